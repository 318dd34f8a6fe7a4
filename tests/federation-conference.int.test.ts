// Federated partners in conferences: a partner homeserver's user proves who they are with an
// OpenID token that the gateway checks at the partner's homeserver (found by server discovery,
// over TLS with the test stack's CA), joins as a participant, and the partner's homeserver going
// away leaves the local conference running.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConferenceClient } from './helpers/conference.ts';
import {
  cs,
  enc,
  eventually,
  groupWithGuestAccess,
  joinedMembers,
  newPartnerUser,
  newUser,
  openIdToken,
  partnerView,
  stateOf,
  type TestUser,
} from './helpers/matrix.ts';
import { askService, jwtClaims, rtcServiceUrl, sfuGetBody } from './helpers/matrixrtc.ts';
import { runStack, testStack } from './helpers/stack.ts';

const { info, env } = testStack();
const open: ConferenceClient[] = [];

async function hello(o: { userId: string; roomId: string; token: string; serverName: string }) {
  const c = await ConferenceClient.open(info);
  open.push(c);
  c.send({
    type: 'hello',
    auth: { kind: 'matrix', userId: o.userId, roomId: o.roomId, openidToken: o.token, serverName: o.serverName },
  });
  return { c, first: await c.next((m) => m.type === 'welcome' || m.type === 'error', 20_000) };
}

let owner: TestUser;
let partnerUser: TestUser;
let roomId: string;

beforeAll(async () => {
  if (!info.partner) throw new Error('the test stack must run with --partner');
  const p = partnerView(info);
  owner = await newUser(info, 'fedhost');
  partnerUser = await newPartnerUser(info, 'fedguest');
  ({ roomId } = await groupWithGuestAccess(info, owner, 'Partner call'));
  // With a moderator PIN, which staff learn on the conference socket and partners must not.
  await cs(info, owner, 'PUT', `/rooms/${enc(roomId)}/state/org.foyer.guest_access/`, {
    enabled: true,
    moderator_pin: true,
  });
  await eventually(
    async () =>
      (await stateOf<{ moderator_pin?: boolean }>(info, owner, roomId, 'org.foyer.conference'))?.moderator_pin,
    'a moderator PIN',
  );
  await cs(info, owner, 'POST', `/rooms/${enc(roomId)}/invite`, { user_id: partnerUser.userId });
  await eventually(
    async () => {
      const r = await fetch(
        `${p.homeserverUrl}/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(info.serverName)}`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${partnerUser.accessToken}`, 'content-type': 'application/json' },
          body: '{}',
        },
      );
      return r.ok;
    },
    'the partner joins over federation',
    30_000,
  );
  // The bridge must know the partner as a member before the gateway asks it.
  await eventually(async () => (await joinedMembers(info, owner, roomId)).includes(partnerUser.userId), 'membership');
}, 90_000);

afterAll(async () => {
  for (const c of open) await c.close();
  await runStack(['start', 'partner-synapse'], env);
});

describe('partners in conferences', () => {
  it('a partner’s Element Call gets a token for the conference only while a moderator is in it', async () => {
    const service = await rtcServiceUrl(info, owner);
    const ask = async () =>
      askService(`${service}/sfu/get`, {
        body: sfuGetBody(roomId, await openIdToken(partnerView(info), partnerUser), 'PARTNERDEV'),
      });
    const early = await ask();
    expect(early).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    expect(String(early.body.error)).toMatch(/moderator/);

    const moderator = await ConferenceClient.asMember(info, owner, roomId);
    moderator.send({ type: 'join' });
    await moderator.state((s) => s.status === 'running');
    const granted = await ask();
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    expect(jwtClaims(String(granted.body.jwt)).sub).toBe(`${partnerUser.userId}:PARTNERDEV`);
    // Nobody moderating again, for the next test.
    moderator.send({ type: 'leave' });
    await moderator.state((s) => !s.joined);
    await moderator.close();
  });

  it('a partner’s OpenID token is verified at their homeserver: they join as a participant', async () => {
    const token = await openIdToken(partnerView(info), partnerUser);
    expect(token.matrix_server_name).toBe(info.partner?.serverName);
    const { c, first } = await hello({
      userId: partnerUser.userId,
      roomId,
      token: token.access_token,
      serverName: token.matrix_server_name,
    });
    expect(first).toMatchObject({ type: 'welcome', role: 'participant' });
    expect(first).not.toHaveProperty('moderatorPin');
    c.send({ type: 'join' });
    const waiting = await c.state((s) => s.joined);
    expect(waiting.admitted).toBe(false); // no moderator yet
    expect(waiting.participants).toContainEqual(
      expect.objectContaining({ kind: 'federated', userId: partnerUser.userId, moderator: false, waiting: true }),
    );

    const moderator = await ConferenceClient.asMember(info, owner, roomId);
    open.push(moderator);
    expect(moderator.messages[0]).toMatchObject({ type: 'welcome', role: 'moderator' });
    expect(moderator.messages[0]).toHaveProperty('moderatorPin', expect.stringMatching(/^[1-9][0-9]{9,}$/));
    moderator.send({ type: 'join' });
    await c.state((s) => s.admitted && s.status === 'running', 15_000);
  });

  it('refuses a token from the wrong server, a forged token, and a user who is not in the room', async () => {
    // A local user's token, claimed for the partner's user.
    const local = await openIdToken(info, owner);
    const wrongServer = await hello({
      userId: partnerUser.userId,
      roomId,
      token: local.access_token,
      serverName: local.matrix_server_name,
    });
    expect(wrongServer.first).toMatchObject({ type: 'error', code: 'forbidden' });

    // The partner's token, presented as the partner's server's but for our user.
    const partnerToken = await openIdToken(partnerView(info), partnerUser);
    const claimsLocal = await hello({
      userId: owner.userId,
      roomId,
      token: partnerToken.access_token,
      serverName: partnerToken.matrix_server_name,
    });
    expect(claimsLocal.first).toMatchObject({ type: 'error', code: 'forbidden' });

    const forged = await hello({
      userId: partnerUser.userId,
      roomId,
      token: 'forged-token-0123456789',
      serverName: info.partner?.serverName ?? '',
    });
    expect(forged.first).toMatchObject({ type: 'error', code: 'forbidden' });

    const outsider = await newPartnerUser(info, 'outsider');
    const outsiderToken = await openIdToken(partnerView(info), outsider);
    const notMember = await hello({
      userId: outsider.userId,
      roomId,
      token: outsiderToken.access_token,
      serverName: outsiderToken.matrix_server_name,
    });
    expect(notMember.first).toMatchObject({ type: 'error', code: 'forbidden' });
  });

  it('the partner’s homeserver going away leaves the local conference running', async () => {
    const token = await openIdToken(partnerView(info), partnerUser);
    const moderator = await ConferenceClient.asMember(info, owner, roomId);
    open.push(moderator);
    expect(moderator.messages[0]).toMatchObject({ type: 'welcome', role: 'moderator' });
    expect(moderator.messages[0]).toHaveProperty('moderatorPin', expect.stringMatching(/^[1-9][0-9]{9,}$/));
    moderator.send({ type: 'join' });
    await moderator.state((s) => s.status === 'running');

    expect((await runStack(['stop', 'partner-synapse'], env)).code).toBe(0);
    // A partner who tries now is told the check is not possible; nothing else changes.
    const late = await hello({
      userId: partnerUser.userId,
      roomId,
      token: token.access_token,
      serverName: token.matrix_server_name,
    });
    expect(late.first).toMatchObject({ type: 'error', code: 'unavailable' });
    moderator.send({ type: 'ping' });
    await moderator.next((m) => m.type === 'pong');
    const still = await moderator.state((s) => s.joined);
    expect(still.status).toBe('running');
    expect((await fetch(`${info.gatewayUrl}/health`)).ok).toBe(true);

    expect((await runStack(['start', 'partner-synapse'], env)).code).toBe(0);
  });
});
