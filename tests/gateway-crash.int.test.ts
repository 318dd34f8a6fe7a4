// Honest conference state when parts of the stack go away, against the real stack: a moderator
// on the conference socket, a caller (sipp) and a web guest in a group's conference; then
// - LiveKit stops: the room says on_hold with media unavailable (not running), and running again
//   once LiveKit is back;
// - the bridge restarts while the gateway runs: nothing is reset, and the new bridge takes over
//   the caller's and guest's call memberships (their earlier delayed leaves cancelled);
// - the gateway is killed (kill -9): within the bound (15 s) the room is no longer running, the
//   virtual users have left and their call memberships ended; the restarted gateway ends the old
//   call and takes new callers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isAlive } from '../scripts/lib/stack/proc.ts';
import { ConferenceClient } from './helpers/conference.ts';
import { callMemberships, pendingDelayedEvents } from './helpers/matrixrtc.ts';
import {
  eventually,
  groupWithGuestAccess,
  joinedMembers,
  newUser,
  stateOf,
  timeline,
  type TestUser,
} from './helpers/matrix.ts';
import { ANSWERED, CALLER_BYE, EXPECT_BYE, INVITE, rfc4733Keys, runSipp, scenario } from './helpers/sipp.ts';
import { runStack, testStack } from './helpers/stack.ts';

const { info, env, registration } = testStack();
const sip = { host: info.sip.host, port: info.sip.port };
/** The bound the bridge's default health check gives (2 × 5 s + 2 s) plus Synapse's share. */
const BOUND_MS = 15_000;

interface Conf {
  status: string;
  waiting: number;
  media?: string;
  join_url: string | null;
}

let alice: TestUser;
let roomId: string;
let pin: string;
const sockets: ConferenceClient[] = [];

const conference = async () => (await stateOf<Conf>(info, alice, roomId, 'org.foyer.conference')) as Conf;
const puppets = async () => (await joinedMembers(info, alice, roomId)).filter((m) => /^@foyer_(guest|phone)_/.test(m));
/** Who is in the room's call (Element Call's view): the senders of live call memberships. */
const inCall = async () => (await callMemberships(info, alice, roomId)).map((m) => m.sender).sort();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  alice = await newUser(info, 'crash');
  ({ roomId, pin } = await groupWithGuestAccess(info, alice, 'Crash test'));
});

afterAll(async () => {
  for (const s of sockets) await s.close();
  // Whatever happened above, leave the stack as it was for the other tests.
  await runStack(['start', 'livekit'], env);
  await runStack(['start', 'sip-gateway'], env);
});

describe('conference state across outages', () => {
  let call: ReturnType<typeof runSipp>;

  it('a moderator, a caller and a guest: the room says running with two virtual users', async () => {
    const moderator = await ConferenceClient.asMember(info, alice, roomId);
    sockets.push(moderator);
    moderator.send({ type: 'join' });
    await moderator.state((s) => s.status === 'running');

    // The caller stays until the gateway hangs up (the restarted one, below).
    call = runSipp(
      scenario(
        `${INVITE('+4930555123456')}\n${ANSWERED}\n  <pause milliseconds="500"/>\n${rfc4733Keys(`${pin}#`)}\n${EXPECT_BYE(170_000)}`,
      ),
      sip,
      { timeoutS: 180 },
    );

    const token = (await conference()).join_url?.split('/join/')[1];
    expect(token).toBeTruthy();
    const guest = await ConferenceClient.open(info);
    sockets.push(guest);
    guest.send({ type: 'hello', auth: { kind: 'guest', token, name: 'Gast Crash' } });
    await guest.next((m) => m.type === 'welcome');
    guest.send({ type: 'join' });

    await eventually(
      async () => ((await puppets()).length === 2 ? true : undefined),
      'caller and guest in the room',
      30_000,
    );
    await eventually(async () => {
      const c = await conference();
      return c.status === 'running' && c.waiting === 0 && c.media === undefined;
    }, 'status running');
    // Caller and guest are members of the room's call (what Element Call shows).
    await eventually(
      async () => JSON.stringify(await inCall()) === JSON.stringify((await puppets()).sort()),
      'both in the call',
    );
  });

  it('LiveKit away: on_hold with media unavailable, everyone waiting; running again when it is back', async () => {
    expect((await runStack(['stop', 'livekit'], env)).code).toBe(0);
    try {
      const c = await eventually(
        async () => {
          const s = await conference();
          return s.status !== 'running' && s.media === 'unavailable' ? s : undefined;
        },
        'the room to show the media outage',
        15_000,
      );
      expect(c.status).toBe('on_hold');
      expect(c.waiting).toBe(2);
      expect(await puppets()).toHaveLength(2); // they are still here, waiting
      await eventually(async () => (await inCall()).length === 0, 'waiting: out of the call');
    } finally {
      expect((await runStack(['start', 'livekit'], env)).code).toBe(0);
    }
    await eventually(
      async () => {
        const s = await conference();
        return s.status === 'running' && s.waiting === 0 && s.media === undefined;
      },
      'running again with LiveKit back',
      30_000,
    );
    await eventually(async () => (await inCall()).length === 2, 'back in the call');
  });

  it('a bridge restarted while the gateway runs resets nothing', async () => {
    expect((await runStack(['restart', 'bridge'], env)).code).toBe(0);
    // Longer than the bound in which a lost gateway would have been reset.
    await sleep(BOUND_MS);
    const c = await conference();
    expect(c.status).toBe('running');
    expect(await puppets()).toHaveLength(2);
    // The new bridge holds the call memberships: one pending delayed leave each (its own; the
    // earlier process's would have ended them minutes later).
    expect(await inCall()).toHaveLength(2);
    for (const p of await puppets()) {
      const pending = (await pendingDelayedEvents(info, registration.as_token, p)).filter((d) => d.room_id === roomId);
      expect(pending, p).toHaveLength(1);
    }
  });

  it(`kill -9 of the gateway: within ${BOUND_MS / 1000} s the room is idle and the virtual users left`, async () => {
    const pid = Number(readFileSync(join(inject('stackDir'), 'run', 'sip-gateway.pid'), 'utf8'));
    process.kill(-pid, 'SIGKILL');
    const killedAt = Date.now();
    await eventually(async () => !isAlive(pid), 'the gateway to die');
    await eventually(
      async () => {
        const c = await conference();
        const over = c.status === 'idle' && c.waiting === 0 && (await puppets()).length === 0;
        return over && (await inCall()).length === 0 ? true : undefined;
      },
      'the room to show the conference over',
      BOUND_MS + 5_000,
    );
    const took = Date.now() - killedAt;
    expect(took, `took ${took} ms`).toBeLessThanOrEqual(BOUND_MS);
  });

  it('the restarted gateway ends the old call, and a new caller gets in', async () => {
    expect((await runStack(['start', 'sip-gateway'], env)).code).toBe(0);
    const old = await call;
    expect(old.code, old.output + old.errors).toBe(0);

    const fresh = runSipp(
      scenario(
        `${INVITE('+4930555654321')}\n${ANSWERED}\n  <pause milliseconds="500"/>\n${rfc4733Keys(`${pin}#`)}\n  <pause milliseconds="8000"/>\n${CALLER_BYE}`,
      ),
      sip,
    );
    await eventually(
      async () => ((await puppets()).some((m) => m.startsWith('@foyer_phone_')) ? true : undefined),
      'the new caller in the room',
      30_000,
    );
    await eventually(async () => {
      const c = await conference();
      return c.status === 'waiting' && c.waiting === 1; // no moderator any more: the caller waits
    }, 'status waiting with the new caller');
    const r = await fresh;
    expect(r.code, r.output + r.errors).toBe(0);
    await eventually(async () => (await puppets()).length === 0, 'the new caller to leave');
  });
});

describe('guest chat while the bridge is away', () => {
  it('is kept by the gateway and reaches the room once when the bridge is back', async () => {
    const { roomId: room } = await groupWithGuestAccess(info, alice, 'Chat outage');
    const token = (await stateOf<Conf>(info, alice, room, 'org.foyer.conference'))?.join_url?.split('/join/')[1];
    const moderator = await ConferenceClient.asMember(info, alice, room);
    sockets.push(moderator);
    moderator.send({ type: 'join' });
    const guest = await ConferenceClient.open(info);
    sockets.push(guest);
    guest.send({ type: 'hello', auth: { kind: 'guest', token, name: 'Gast Outage' } });
    await guest.next((m) => m.type === 'welcome');
    guest.send({ type: 'join' });
    await guest.state((s) => s.joined && s.admitted);
    await eventually(
      async () => (await joinedMembers(info, alice, room)).some((m) => m.startsWith('@foyer_guest_')),
      'the guest in the room',
    );

    expect((await runStack(['stop', 'bridge'], env)).code).toBe(0);
    const body = `Während der Störung ${Date.now()}`;
    guest.send({ type: 'chat.send', txnId: 'outage-1', body });
    // Meanwhile a caller's PIN cannot be checked: they hear "not available, try again later"
    // (the call is answered, the prompt plays, then the gateway hangs up), and the log says why.
    const since = Date.now();
    const caller = await runSipp(
      scenario(`${INVITE('+4930555777888')}
${ANSWERED}
  <pause milliseconds="500"/>
${rfc4733Keys('12345#')}
${EXPECT_BYE(30_000)}`),
      sip,
    );
    expect(caller.code, caller.output + caller.errors).toBe(0);
    const logged = readFileSync(join(info.logs, 'sip-gateway.log'), 'utf8')
      .split('\n')
      .filter(
        (l) => l.includes('PIN could not be checked') && Number((JSON.parse(l) as { time: number }).time) >= since,
      );
    expect(logged).toHaveLength(1);
    expect(guest.messages.some((m) => m.type === 'chat.failed')).toBe(false);
    expect((await runStack(['start', 'bridge'], env)).code).toBe(0);

    const echo = await guest.next((m) => m.type === 'chat' && m.message.txnId === 'outage-1', 60_000);
    expect(echo.type === 'chat' && echo.message.body).toBe(body);
    const inRoom = await eventually(async () => {
      const events = await timeline(info, alice, room);
      const found = events.filter((e) => e.type === 'm.room.message' && (e.content as { body?: string }).body === body);
      return found.length > 0 ? found : undefined;
    }, 'the message in the room');
    await sleep(3000); // a duplicate would have arrived by now
    const again = (await timeline(info, alice, room)).filter(
      (e) => e.type === 'm.room.message' && (e.content as { body?: string }).body === body,
    );
    expect(again).toHaveLength(inRoom.length);
    expect(again).toHaveLength(1);
    expect(again[0]?.sender.startsWith('@foyer_guest_')).toBe(true);
  });
});
