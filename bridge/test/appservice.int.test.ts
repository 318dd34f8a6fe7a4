// The bridge against the real Synapse of the test stack: Synapse's transactions arrive and are
// processed; a wrong hs_token is refused with nothing processed; a replayed transaction ID is
// processed once, also after the bridge restarted.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { cs, eventually, joinedMembers, metricValue, newUser, type TestUser } from '../../tests/helpers/matrix.ts';
import { runStack, testStack } from '../../tests/helpers/stack.ts';

const { info, registration, env } = testStack();

async function metrics(): Promise<string> {
  const res = await fetch(`${info.bridgeApiUrl}/metrics`, {
    headers: { authorization: `Bearer ${info.internalApiSecret}` },
  });
  expect(res.status).toBe(200);
  return res.text();
}

function pushTransaction(txnId: string, events: unknown[], token: string): Promise<Response> {
  return fetch(`${info.appserviceUrl}/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
}

async function newRoomWithBot(owner: TestUser): Promise<string> {
  const { room_id: roomId } = await cs<{ room_id: string }>(info, owner, 'POST', '/createRoom', {
    name: 'Smoke group',
    preset: 'private_chat',
  });
  await cs(info, owner, 'POST', `/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: info.botUserId });
  await eventually(async () => (await joinedMembers(info, owner, roomId)).includes(info.botUserId), 'the bot to join');
  return roomId;
}

describe('bridge ⇄ Synapse appservice transactions', () => {
  let alice: TestUser;
  let roomId: string;

  beforeAll(async () => {
    alice = await newUser(info, 'alice');
    roomId = await newRoomWithBot(alice);
  });

  it('receives the transaction for a message in a room it joined', async () => {
    const before = metricValue(await metrics(), 'foyer_bridge_events_total', { type: 'm.room.message' });
    await cs(info, alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${Date.now()}`, {
      msgtype: 'm.text',
      body: 'hello bridge',
    });
    await eventually(
      async () => metricValue(await metrics(), 'foyer_bridge_events_total', { type: 'm.room.message' }) === before + 1,
      'the bridge to count the message',
    );
  });

  it('refuses a push with a wrong hs_token with 403 and processes nothing', async () => {
    const bob = await newUser(info, 'bob');
    const { room_id: otherRoom } = await cs<{ room_id: string }>(info, bob, 'POST', '/createRoom', {
      preset: 'private_chat',
    });
    const forgedInvite = {
      type: 'm.room.member',
      state_key: info.botUserId,
      event_id: `$forged${randomBytes(6).toString('hex')}`,
      room_id: otherRoom,
      sender: bob.userId,
      origin_server_ts: Date.now(),
      content: { membership: 'invite' },
    };
    const before = await metrics();
    const res = await pushTransaction(
      `forged-${randomBytes(6).toString('hex')}`,
      [forgedInvite],
      `${registration.hs_token}x`,
    );
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errcode: string }).errcode).toBe('M_FORBIDDEN');
    const noToken = await fetch(`${info.appserviceUrl}/_matrix/app/v1/transactions/x`, { method: 'PUT', body: '{}' });
    expect(noToken.status).toBe(401);

    const after = await metrics();
    expect(metricValue(after, 'foyer_bridge_events_total', { type: 'm.room.member' })).toBe(
      metricValue(before, 'foyer_bridge_events_total', { type: 'm.room.member' }),
    );
    expect(metricValue(after, 'foyer_bridge_transactions_total', { outcome: 'forbidden' })).toBe(
      metricValue(before, 'foyer_bridge_transactions_total', { outcome: 'forbidden' }) + 1,
    );
    // The bot did not act on the forged invitation (it was never really invited either way).
    const members = await joinedMembers(info, bob, otherRoom);
    expect(members).not.toContain(info.botUserId);
  });

  it('processes a replayed transaction ID once, also across a bridge restart', async () => {
    const txnId = `replay-${randomBytes(6).toString('hex')}`;
    const event = {
      type: 'm.room.message',
      event_id: `$replay${randomBytes(6).toString('hex')}`,
      room_id: roomId,
      sender: alice.userId,
      origin_server_ts: Date.now(),
      content: { msgtype: 'm.text', body: 'once' },
    };
    const count = async () => {
      const m = await metrics();
      return {
        messages: metricValue(m, 'foyer_bridge_events_total', { type: 'm.room.message' }),
        duplicates: metricValue(m, 'foyer_bridge_transactions_total', { outcome: 'duplicate' }),
      };
    };
    const start = await count();
    for (let i = 0; i < 3; i++) expect((await pushTransaction(txnId, [event], registration.hs_token)).status).toBe(200);
    const afterReplays = await count();
    expect(afterReplays.messages).toBe(start.messages + 1);
    expect(afterReplays.duplicates).toBe(start.duplicates + 2);

    // The bridge forgets nothing it processed when it restarts: the ID is in the database.
    const restart = await runStack(['restart', 'bridge'], env);
    expect(restart.code, restart.stderr).toBe(0);
    const fresh = await count(); // counters start from zero in the new process
    expect((await pushTransaction(txnId, [event], registration.hs_token)).status).toBe(200);
    const afterRestart = await count();
    expect(afterRestart.messages).toBe(fresh.messages);
    expect(afterRestart.duplicates).toBe(fresh.duplicates + 1);
  });

  it('skips malformed events with a log line and keeps serving', async () => {
    const res = await pushTransaction(
      `bad-${randomBytes(6).toString('hex')}`,
      [
        { type: 'm.room.message', room_id: 'not-a-room' },
        'garbage',
        { type: 'm.room.member', state_key: info.botUserId },
      ],
      registration.hs_token,
    );
    expect(res.status).toBe(200);
    const m = await metrics();
    expect(metricValue(m, 'foyer_bridge_events_total', { type: 'invalid' })).toBeGreaterThanOrEqual(3);
    const health = await fetch(`${info.bridgeApiUrl}/health`);
    expect(health.status).toBe(200);
  });
});
