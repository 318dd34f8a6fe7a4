// One busy room never slows another, against the real Synapse and gateway of the test stack:
// the appservice answers a transaction of 100 events at once while a room is held up with
// hundreds of slow events (each m.room.power_levels makes the bridge read the room's state), the
// other room's events are processed meanwhile and the busy room's later; and during a burst of
// callers joining one group, a member's chat message in another group reaches the gateway (for
// its web guest) within a second. The bounds: answer < 1 s, the other room's events < 2 s, each
// chat message < 1 s.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { BridgeClient } from '../../sip-gateway/src/bridge-client.ts';
import {
  cs,
  enc,
  eventually,
  joinedMembers,
  metricValue,
  newGroup,
  newUser,
  stateOf,
  type TestUser,
} from '../../tests/helpers/matrix.ts';
import { testStack } from '../../tests/helpers/stack.ts';

const { info, registration } = testStack();
const gateway = new BridgeClient(info.bridgeApiUrl, info.internalApiSecret);

function pushTransaction(events: unknown[]): Promise<Response> {
  return fetch(`${info.appserviceUrl}/_matrix/app/v1/transactions/busy-${randomBytes(6).toString('hex')}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${registration.hs_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
}

const forged = (roomId: string, sender: string, type: string, content: Record<string, unknown>, stateKey?: string) => ({
  type,
  event_id: `$busy${randomBytes(8).toString('hex')}`,
  room_id: roomId,
  sender,
  origin_server_ts: Date.now(),
  content,
  ...(stateKey === undefined ? {} : { state_key: stateKey }),
});

/** The group's name as the bridge has it (what a member's page is told). */
async function nameAtBridge(roomId: string, member: TestUser): Promise<string | null | undefined> {
  const a = await gateway.admit({ way: 'member', roomId, userId: member.userId });
  return a.decision === 'accept' ? a.group?.name : undefined;
}

/** Poll quickly (latency is what is measured); resolves with the elapsed milliseconds. */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function gatewayChatCount(): Promise<number> {
  const res = await fetch(`${info.gatewayUrl}/metrics`, {
    headers: { authorization: `Bearer ${info.internalApiSecret}` },
  });
  return metricValue(await res.text(), 'foyer_gateway_bridge_notifications_total', { type: 'chat.message' });
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.ceil((p / 100) * xs.length) - 1]!;

describe('a busy room never slows another', () => {
  let alice: TestUser;
  let busy: string;
  let calm: string;

  beforeAll(async () => {
    alice = await newUser(info, 'busy');
    busy = await newGroup(info, alice, 'Busy');
    calm = await newGroup(info, alice, 'Calm');
  });

  it('answers a transaction of 100 events promptly while a room is busy, and processes them', async () => {
    // Hold the busy room up: each power-levels event makes the bridge read the room's state.
    const slow = Array.from({ length: 300 }, () =>
      forged(busy, alice.userId, 'm.room.power_levels', { users: { [info.botUserId]: 100 } }, ''),
    );
    const busyDone = `busy-done-${randomBytes(3).toString('hex')}`;
    slow.push(forged(busy, alice.userId, 'm.room.name', { name: busyDone }, ''));
    expect((await pushTransaction(slow)).status).toBe(200);

    // 100 events: half for the busy room (they queue behind it), half for the calm one.
    const calmDone = `calm-done-${randomBytes(3).toString('hex')}`;
    const hundred = [
      ...Array.from({ length: 50 }, (_, i) =>
        forged(busy, alice.userId, 'm.room.message', { msgtype: 'm.text', body: `busy ${i}` }),
      ),
      ...Array.from({ length: 49 }, (_, i) =>
        forged(calm, alice.userId, 'm.room.message', { msgtype: 'm.text', body: `calm ${i}` }),
      ),
      forged(calm, alice.userId, 'm.room.name', { name: calmDone }, ''),
    ];
    const started = performance.now();
    const res = await pushTransaction(hundred);
    const answeredMs = performance.now() - started;
    expect(res.status).toBe(200);
    expect(answeredMs).toBeLessThan(1000);

    const calmMs = await waitFor(async () => (await nameAtBridge(calm, alice)) === calmDone, 'the calm room');
    const busyStillBusy = (await nameAtBridge(busy, alice)) !== busyDone;
    const busyMs = await waitFor(async () => (await nameAtBridge(busy, alice)) === busyDone, 'the busy room', 120_000);
    console.info(
      `transaction of 100 answered in ${answeredMs.toFixed(0)} ms; calm room done after ${calmMs.toFixed(0)} ms ` +
        `(busy room still busy then: ${busyStillBusy}); busy room done after ${busyMs.toFixed(0)} ms`,
    );
    expect(calmMs).toBeLessThan(2000);
  });

  it('relays a member’s chat in another group within a second while callers pour into one group', async () => {
    // The other group has a web guest, so its chat is relayed to the gateway.
    await cs(info, alice, 'PUT', `/rooms/${enc(calm)}/state/org.foyer.guest_access/`, { enabled: true });
    await eventually(async () => {
      const a = await gateway.admit({ way: 'member', roomId: calm, userId: alice.userId });
      return a.decision === 'accept' && a.group?.dialIn !== null;
    }, 'guest access in the calm group');
    await cs(info, alice, 'PUT', `/rooms/${enc(busy)}/state/org.foyer.guest_access/`, { enabled: true });
    await gateway.reportConference(calm, {
      seq: 1,
      status: 'running',
      participants: [{ id: 'calmguest1', kind: 'guest', name: 'Gast', waiting: false }],
    });

    // The burst: 150 callers into the busy group, in changes of 10 as the gateway sends them.
    const CALLERS = 150;
    const phone = (i: number) => ({
      id: `burst${String(i).padStart(4, '0')}`,
      kind: 'phone' as const,
      number: `+49301234${String(i).padStart(4, '0')}`,
      waiting: false,
    });
    await eventually(async () => {
      const a = await gateway.admit({ way: 'member', roomId: busy, userId: alice.userId });
      return a.decision === 'accept' && a.group?.dialIn !== null;
    }, 'guest access in the busy group');
    await gateway.reportConference(busy, { seq: 1, status: 'running', participants: [] });
    const burst = (async () => {
      for (let seq = 2, i = 0; i < CALLERS; seq++, i += 10) {
        const joined = Array.from({ length: 10 }, (_, k) => phone(i + k));
        expect(
          await gateway.reportChanges(busy, { seq, since: seq - 1, status: 'running', joined, changed: [], left: [] }),
        ).toBe('ok');
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const latencies: number[] = [];
    for (let m = 0; m < 10; m++) {
      const before = await gatewayChatCount();
      await cs(info, alice, 'PUT', `/rooms/${enc(calm)}/send/m.room.message/burst${m}-${Date.now()}`, {
        msgtype: 'm.text',
        body: `during the burst ${m}`,
      });
      latencies.push(await waitFor(async () => (await gatewayChatCount()) > before, `chat message ${m}`, 20_000));
      await new Promise((r) => setTimeout(r, 200));
    }
    await burst;
    const joinedCallers = await waitFor(
      async () =>
        (await joinedMembers(info, alice, busy)).filter((u) => u.startsWith('@foyer_phone_burst')).length === CALLERS,
      'every caller’s virtual user to join',
      180_000,
    );
    console.info(
      `chat in another group during a burst of ${CALLERS} callers: p50 ${percentile(latencies, 50).toFixed(0)} ms, ` +
        `max ${Math.max(...latencies).toFixed(0)} ms; all callers joined ${joinedCallers.toFixed(0)} ms after the chat`,
    );
    expect(Math.max(...latencies)).toBeLessThan(1000);
    // Named by their member event alone (no profile request).
    expect(
      await stateOf(info, alice, busy, 'm.room.member', `@foyer_phone_burst0007:${info.serverName}`),
    ).toMatchObject({ membership: 'join', displayname: '+49 301 •••• 007 (Telefon)' });
    await gateway.reportConference(busy, { seq: 1000, status: 'idle', participants: [] });
    await gateway.reportConference(calm, { seq: 1000, status: 'idle', participants: [] });
  });
});
