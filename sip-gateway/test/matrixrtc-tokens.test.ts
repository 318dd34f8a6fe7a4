// Element Call's token requests as the service reads them, and whom it gives a token: pure
// logic; the service against the real homeserver and LiveKit is matrixrtc-tokens.int.test.ts.
import { describe, expect, it } from 'vitest';
import type { Admission } from '@foyer/common';
import { GROUP_CONFERENCE_POLICY } from '@foyer/common';
import { callMemberIdentity, rtcMemberIdentity } from '@foyer/common/livekit';
import { parseTokenRequest } from '../src/matrixrtc/token-request.ts';
import { decideToken, type ConferenceGate } from '../src/matrixrtc/token-service.ts';

const openid = { access_token: 'tok', token_type: 'Bearer', matrix_server_name: 'example.org', expires_in: 3600 };
const legacy = { room: '!group:example.org', openid_token: openid, device_id: 'DEV1' };
const matrix2 = {
  room_id: '!group:example.org',
  slot_id: 'm.call#ROOM',
  openid_token: openid,
  member: { id: 'member-uuid', claimed_user_id: '@alice:example.org', claimed_device_id: 'DEV1' },
};
const parse = (endpoint: 'sfu/get' | 'get_token', body: unknown) =>
  parseTokenRequest(endpoint, typeof body === 'string' ? body : JSON.stringify(body));

describe('token requests', () => {
  it('sfu/get: the room, the OpenID token, and the identity <user>:<device> of the verified user', () => {
    const r = parse('sfu/get', legacy);
    if ('errcode' in r) throw new Error(r.error);
    expect(r).toMatchObject({ roomId: '!group:example.org', openid: { serverName: 'example.org', token: 'tok' } });
    expect(r.claimedUserId).toBeUndefined();
    expect(r.identity('@alice:example.org')).toBe('@alice:example.org:DEV1');
    expect(r.identity('@alice:example.org')).toBe(callMemberIdentity('@alice:example.org', 'DEV1'));
  });

  it('get_token: the claimed user, and the hashed identity matrix-js-sdk matches memberships by', () => {
    const r = parse('get_token', matrix2);
    if ('errcode' in r) throw new Error(r.error);
    expect(r.claimedUserId).toBe('@alice:example.org');
    const id = r.identity('@alice:example.org');
    expect(id).toBe(rtcMemberIdentity('@alice:example.org', 'DEV1', 'member-uuid'));
    // sha256 in standard base64 without padding: 43 characters.
    expect(id).toMatch(/^[A-Za-z0-9+/]{43}$/);
  });

  it('refuses what is not JSON (M_NOT_JSON) and what lacks or mistypes a field (M_BAD_JSON, naming it)', () => {
    expect(parse('sfu/get', '{not json')).toMatchObject({ status: 400, errcode: 'M_NOT_JSON' });
    expect(parse('sfu/get', { ...legacy, device_id: undefined })).toMatchObject({
      errcode: 'M_BAD_JSON',
      error: expect.stringContaining('device_id') as string,
    });
    expect(parse('sfu/get', { ...legacy, room: 'not-a-room' })).toMatchObject({ errcode: 'M_BAD_JSON' });
    expect(parse('get_token', { ...matrix2, member: { id: 'x' } })).toMatchObject({ errcode: 'M_BAD_JSON' });
    expect(parse('get_token', { ...matrix2, slot_id: 'm.call#other' })).toMatchObject({
      errcode: 'M_BAD_JSON',
      error: expect.stringContaining('slot_id') as string,
    });
    expect(parse('sfu/get', 'null')).toMatchObject({ errcode: 'M_BAD_JSON' });
    expect(parse('sfu/get', { ...legacy, device_id: 'x'.repeat(256) })).toMatchObject({ errcode: 'M_BAD_JSON' });
  });

  it('refuses delegated delayed leaves with M_BAD_JSON (Element Call then asks without them)', () => {
    for (const extra of [{ delay_id: 'syd_1' }, { delay_timeout: 3600000 }, { delay_cs_api_url: 'https://hs' }]) {
      expect(parse('sfu/get', { ...legacy, ...extra })).toMatchObject({ status: 400, errcode: 'M_BAD_JSON' });
      expect(parse('get_token', { ...matrix2, ...extra })).toMatchObject({ status: 400, errcode: 'M_BAD_JSON' });
    }
  });
});

describe('who gets a token', () => {
  const group = { roomId: '!group:example.org', name: 'G', dialIn: null, moderatorPin: null };
  const accept = (role: 'moderator' | 'participant', moderatorRequired = true): Admission => ({
    decision: 'accept',
    roomId: group.roomId,
    role,
    policy: { ...GROUP_CONFERENCE_POLICY, moderatorRequired },
    group,
    kind: role === 'moderator' ? 'staff' : 'federated',
  });
  const conference = (o: Partial<{ started: boolean; refusal: 'locked' | 'full' }>): ConferenceGate => ({
    started: o.started ?? false,
    admission: (moderator) => (o.refusal === 'locked' && moderator ? undefined : o.refusal),
  });

  it('refuses anyone the bridge does not accept as a member of the group', () => {
    expect(decideToken({ decision: 'refuse', reason: 'not-member' }, undefined)).toMatchObject({
      grant: false,
      status: 403,
      errcode: 'M_FORBIDDEN',
    });
  });

  it('gives moderators a token whether or not the conference runs; participants once it runs', () => {
    expect(decideToken(accept('moderator'), undefined)).toEqual({ grant: true, role: 'moderator', conference: true });
    expect(decideToken(accept('participant'), undefined)).toMatchObject({ grant: false, status: 403 });
    expect(decideToken(accept('participant'), conference({ started: false }))).toMatchObject({ grant: false });
    expect(decideToken(accept('participant'), conference({ started: true }))).toEqual({
      grant: true,
      role: 'participant',
      conference: true,
    });
    // A conference that needs no moderator (a fixed room so configured) lets participants in.
    expect(decideToken(accept('participant', false), undefined)).toEqual({
      grant: true,
      role: 'participant',
      conference: true,
    });
  });

  it('an encrypted room’s members call among themselves, apart from the conference, whatever it does', () => {
    const encrypted = { ...accept('participant'), encrypted: true };
    expect(decideToken(encrypted, conference({ started: false, refusal: 'locked' }))).toEqual({
      grant: true,
      role: 'participant',
      conference: false,
    });
  });

  it('a locked conference takes moderators only, a full one nobody', () => {
    const locked = conference({ started: true, refusal: 'locked' });
    expect(decideToken(accept('participant'), locked)).toMatchObject({
      grant: false,
      error: expect.stringContaining('locked') as string,
    });
    expect(decideToken(accept('moderator'), locked)).toMatchObject({ grant: true });
    expect(decideToken(accept('moderator'), conference({ started: true, refusal: 'full' }))).toMatchObject({
      grant: false,
      error: expect.stringContaining('full') as string,
    });
  });
});
