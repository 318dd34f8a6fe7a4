// The guest-access and moderator-PIN rules, branch by branch: pure functions, no fakes needed.
import { describe, expect, it } from 'vitest';
import {
  decideGuestAccess,
  hasModeratorPinNow,
  linkMatches,
  pinRole,
  type GuestAccessState,
  type RequestSender,
} from '../src/groups/guest-access-rules.ts';

const off: GuestAccessState = { guestAccess: false, moderatorPin: null };
const on: GuestAccessState = { guestAccess: true, moderatorPin: null };
const onWithModPin: GuestAccessState = { guestAccess: true, moderatorPin: '2222222222' };
const staff: RequestSender = { kind: 'staff', membership: 'join' };

const change = (group: GuestAccessState, content: Record<string, unknown>, sender = staff) => {
  const d = decideGuestAccess(group, content, sender);
  if (d.kind !== 'apply') throw new Error(`expected apply, got ${JSON.stringify(d)}`);
  return d.change;
};

describe('guest access: who may ask', () => {
  it('ignores the bot’s own request', () => {
    expect(decideGuestAccess(off, { enabled: true }, { kind: 'bot', membership: 'join' })).toEqual({ kind: 'ignore' });
  });

  it('refuses users of other servers, members or not', () => {
    for (const membership of ['join', undefined])
      expect(decideGuestAccess(off, { enabled: true }, { kind: 'federated', membership })).toEqual({
        kind: 'refuse',
        reason: 'federated',
      });
  });

  it('refuses staff who are not joined, and virtual users', () => {
    for (const sender of [
      { kind: 'staff', membership: undefined },
      { kind: 'staff', membership: 'invite' },
      { kind: 'staff', membership: 'leave' },
      { kind: 'guest', membership: 'join' },
      { kind: 'phone', membership: 'join' },
    ] satisfies RequestSender[])
      expect(decideGuestAccess(off, { enabled: true }, sender), JSON.stringify(sender)).toEqual({
        kind: 'refuse',
        reason: 'not_member',
      });
  });

  it('refuses a request of the wrong shape, naming the problem (after the sender checks)', () => {
    expect(decideGuestAccess(off, { enabled: 'yes' }, staff)).toEqual({
      kind: 'refuse',
      reason: 'invalid',
      problem: '"enabled" must be true or false',
    });
    expect(decideGuestAccess(off, { enabled: true, moderator_pin: 1 }, staff)).toMatchObject({ reason: 'invalid' });
    expect(decideGuestAccess(off, {}, { kind: 'federated', membership: 'join' })).toMatchObject({
      reason: 'federated',
    });
  });

  it('reports fields nobody knows without refusing', () => {
    expect(decideGuestAccess(off, { enabled: true, colour: 'red' }, staff)).toMatchObject({
      kind: 'apply',
      unknownKeys: ['colour'],
    });
    expect(decideGuestAccess(off, { enabled: true }, staff)).toMatchObject({ unknownKeys: [] });
  });
});

describe('guest access: what changes', () => {
  it('turns guest access on, with a moderator PIN only when asked', () => {
    expect(change(off, { enabled: true })).toEqual({
      kind: 'enable',
      rotate: false,
      moderatorPin: false,
      moderatorPinAdded: false,
    });
    expect(change(off, { enabled: true, moderator_pin: true })).toEqual({
      kind: 'enable',
      rotate: false,
      moderatorPin: true,
      moderatorPinAdded: true,
    });
    // A moderator PIN left over while guest access was off does not count.
    expect(change({ guestAccess: false, moderatorPin: '2222222222' }, { enabled: true })).toMatchObject({
      moderatorPin: false,
    });
  });

  it('renews PIN and link on regenerate, keeping or changing the moderator PIN', () => {
    expect(change(on, { enabled: true, regenerate: true })).toEqual({
      kind: 'enable',
      rotate: true,
      moderatorPin: false,
      moderatorPinAdded: false,
    });
    expect(change(onWithModPin, { enabled: true, regenerate: true })).toEqual({
      kind: 'enable',
      rotate: true,
      moderatorPin: true,
      moderatorPinAdded: false,
    });
    expect(change(onWithModPin, { enabled: true, regenerate: true, moderator_pin: false })).toMatchObject({
      rotate: true,
      moderatorPin: false,
    });
    expect(change(on, { enabled: true, regenerate: true, moderator_pin: true })).toMatchObject({
      moderatorPinAdded: true,
    });
  });

  it('turns guest access off only when it is on', () => {
    expect(change(on, { enabled: false })).toEqual({ kind: 'disable' });
    expect(change(onWithModPin, { enabled: false, moderator_pin: true })).toEqual({ kind: 'disable' });
    expect(change(off, { enabled: false })).toEqual({ kind: 'none' });
  });

  it('switches only the moderator PIN while guest access stays on', () => {
    expect(change(on, { enabled: true, moderator_pin: true })).toEqual({ kind: 'moderator_pin', on: true });
    expect(change(onWithModPin, { enabled: true, moderator_pin: false })).toEqual({ kind: 'moderator_pin', on: false });
  });

  it('changes nothing when the request matches what is', () => {
    expect(change(on, { enabled: true })).toEqual({ kind: 'none' });
    expect(change(on, { enabled: true, moderator_pin: false })).toEqual({ kind: 'none' });
    expect(change(onWithModPin, { enabled: true, moderator_pin: true })).toEqual({ kind: 'none' });
    expect(change(on, { enabled: true, regenerate: false })).toEqual({ kind: 'none' });
  });
});

describe('moderator PIN', () => {
  const group = { pin: '1111111111', moderatorPin: '2222222222', linkToken: 'A'.repeat(32) };

  it('counts only while guest access is on', () => {
    expect(hasModeratorPinNow(onWithModPin)).toBe(true);
    expect(hasModeratorPinNow(on)).toBe(false);
    expect(hasModeratorPinNow({ guestAccess: false, moderatorPin: '2222222222' })).toBe(false);
  });

  it('the guest PIN makes a participant, the moderator PIN a moderator, anything else nothing', () => {
    expect(pinRole(group, '1111111111')).toBe('participant');
    expect(pinRole(group, '2222222222')).toBe('moderator');
    expect(pinRole(group, '3333333333')).toBeUndefined();
    expect(pinRole({ ...group, moderatorPin: null }, '2222222222')).toBeUndefined();
    expect(pinRole({ pin: null, moderatorPin: null }, '1111111111')).toBeUndefined();
  });

  it('a PIN of the wrong form matches nothing', () => {
    for (const bad of ['', '0111111111', '12345', '1'.repeat(17), '11111a1111'])
      expect(pinRole({ pin: bad, moderatorPin: bad }, bad), bad).toBeUndefined();
  });

  it('a link token matches only the group’s current one', () => {
    expect(linkMatches(group, 'A'.repeat(32))).toBe(true);
    expect(linkMatches(group, 'B'.repeat(32))).toBe(false);
    expect(linkMatches({ linkToken: null }, 'A'.repeat(32))).toBe(false);
    expect(linkMatches({ linkToken: 'short' }, 'short')).toBe(false);
  });
});
