// LiveKit names: rooms per group, callers' and browsers' identities, and parsing them back.
import { describe, expect, it } from 'vitest';
import { callerIdentity, livekitRoomOf, parseWebIdentity, webIdentity } from '../src/livekit.ts';

describe('LiveKit names', () => {
  it('gives each group a stable, opaque room', () => {
    expect(livekitRoomOf('!room:example.org')).toMatch(/^foyer_[A-Za-z0-9_-]{22}$/);
    expect(livekitRoomOf('!room:example.org')).toBe(livekitRoomOf('!room:example.org'));
    expect(livekitRoomOf('!other:example.org')).not.toBe(livekitRoomOf('!room:example.org'));
  });

  it('names a caller by their virtual user and the phone device', () => {
    expect(callerIdentity('p1', 'example.org')).toBe('@foyer_phone_p1:example.org:FOYER_PHONE');
  });

  it('names a browser by its Matrix user (a guest: its virtual user) and a device per participant', () => {
    const guest = webIdentity({ participantId: 'abc123', kind: 'guest' }, 'example.org');
    expect(guest).toBe('@foyer_guest_abc123:example.org:FOYER_WEB_abc123');
    const staff = webIdentity({ participantId: 'x9', kind: 'staff', userId: '@anna:example.org' }, 'example.org');
    expect(staff).toBe('@anna:example.org:FOYER_WEB_x9');
    const partner = webIdentity({ participantId: 'y8', kind: 'federated', userId: '@bo:partner.org:8448' }, 'ex.org');
    expect(parseWebIdentity(partner)).toBe('y8');
    expect(parseWebIdentity(guest)).toBe('abc123');
    expect(parseWebIdentity(staff)).toBe('x9');
  });

  it('does not take other identities for browsers', () => {
    for (const identity of [
      callerIdentity('p1', 'example.org'),
      'browser-1',
      '@anna:example.org:FOYER_WEB_',
      '@anna:example.org:FOYER_WEB_ABC',
      'FOYER_WEB_abc',
      '@anna:example.org:DEVICE',
    ])
      expect(parseWebIdentity(identity), identity).toBeUndefined();
  });
});
