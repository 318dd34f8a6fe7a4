// Calls into fixed conference rooms against the real stack: a room made through the admin API,
// dialled at its own extension by baresip phones (A sends 440 Hz, B 1000 Hz, so who hears whom is
// measured), and by sipp for the PIN rules. A staff member of the room watches the conference
// state on the conference WebSocket without joining it.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPhonePair } from '../../tests/helpers/baresip.ts';
import { ConferenceClient, type StateMessage } from '../../tests/helpers/conference.ts';
import { cs, enc, eventually, newUser, type TestUser } from '../../tests/helpers/matrix.ts';
import { ANSWERED, CALLER_BYE, EXPECT_BYE, INVITE, rfc4733Keys, runSipp, scenario } from '../../tests/helpers/sipp.ts';
import { adminApi } from '../../tests/helpers/admin.ts';
import { testStack } from '../../tests/helpers/stack.ts';

const { info, config } = testStack();
const sip = { host: info.sip.host, port: info.sip.port };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const phonesIn = (s: StateMessage) => s.participants.filter((p) => p.kind === 'phone');

interface Room {
  id: string;
  roomId: string;
  extension: string;
  pin: string | null;
  moderatorPin: string | null;
}

async function createRoom(body: Record<string, unknown>): Promise<Room> {
  const r = await adminApi(info, config, 'POST', '/rooms', body);
  if (r.status !== 201) throw new Error(`creating a room: ${r.status} ${String(r.body.message)}`);
  return r.body as unknown as Room;
}

/** A staff member of the room, watching its conference (not joining it). */
async function watch(staff: TestUser, roomId: string): Promise<ConferenceClient> {
  await eventually(async () => {
    const r = await fetch(`${info.homeserverUrl}/_matrix/client/v3/join/${enc(roomId)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${staff.accessToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    return r.ok;
  }, 'the staff member joins the room');
  // The bridge learns the membership from Synapse's next transaction: until then, "not a member".
  return eventually(async () => {
    const c = await ConferenceClient.asMember(info, staff, roomId);
    if (c.messages[0]?.type === 'welcome') return c;
    await c.close();
    return undefined;
  }, 'the staff member on the conference socket');
}

const extension = () => String(randomInt(70_000, 79_999));
let staff: TestUser;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  staff = await newUser(info, 'roomstaff');
  await cs(info, staff, 'PUT', `/profile/${enc(staff.userId)}/displayname`, { displayname: 'Room Staff' });
});

afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

describe('a fixed room with its own extension', () => {
  it('names are announced, a lone caller hears music, a second one is in the mix, *6 mutes and unmutes', async () => {
    const room = await createRoom({
      name: 'Besprechung',
      extension: extension(),
      announce: true,
      holdMusic: { enabled: true, file: null },
      startMuted: true,
      invite: [staff.userId],
    });
    expect(room.pin).toMatch(/^[1-9][0-9]{7,}$/);
    const probe = await watch(staff, room.roomId);
    cleanup.push(() => probe.close());
    const { a, b, stop } = await startPhonePair('room');
    cleanup.push(stop);
    const uri = `sip:${room.extension}@${sip.host}:${sip.port}`;

    // A: PIN, then "say your name" — A's tone is the name (4 s) — then alone with music.
    await a.dial(uri);
    await a.waitFor('CALL_ESTABLISHED', 20_000);
    await a.press(`${room.pin}#`);
    const aIn = await probe.state((s) => phonesIn(s).length === 1 && !phonesIn(s)[0]?.waiting, 40_000);
    const aId = phonesIn(aIn)[0]?.id ?? '';
    expect(aIn.status).toBe('running'); // no moderator PIN: no moderator needed
    const aloneFrom = Date.now() + 1500;
    await sleep(4000);
    const aloneTo = Date.now();

    // B comes in (muted from the start): A hears B's recorded name, then nothing of B.
    await b.dial(uri);
    await b.waitFor('CALL_ESTABLISHED', 20_000);
    await b.press(`${room.pin}#`);
    await probe.state((s) => phonesIn(s).length === 2 && phonesIn(s).every((p) => !p.waiting), 40_000);
    const bJoinedAt = Date.now();
    await sleep(9000);
    const bQuietFrom = Date.now() - 2500;
    const bQuietTo = Date.now();

    // A unmutes with *6: B hears A's tone; *6 again: B does not.
    await a.press('*6');
    await probe.state((s) => phonesIn(s).some((p) => p.id === aId && !p.muted));
    const mixFrom = Date.now() + 700;
    await sleep(3500);
    const mixTo = Date.now();
    await a.press('*6');
    await probe.state((s) => phonesIn(s).some((p) => p.id === aId && p.muted));
    const mutedFrom = Date.now() + 700;
    await sleep(3500);
    const mutedTo = Date.now();

    // B leaves: A hears B's name again.
    await b.hangup();
    const bHungUpAt = Date.now();
    await sleep(6000);
    await a.hangup();
    const aHungUpAt = Date.now();
    await sleep(500);

    const alone = a.heard(aHungUpAt, aloneFrom, aloneTo);
    expect(alone.rms, 'alone: hold music').toBeGreaterThan(200);
    expect(a.heard(aHungUpAt, bJoinedAt - 500, bJoinedAt + 4000).tone(1000), 'B’s name on join').toBeGreaterThan(0.3);
    expect(a.heard(aHungUpAt, bQuietFrom, bQuietTo).tone(1000), 'B is muted').toBeLessThan(0.1);
    expect(b.heard(bHungUpAt, mixFrom, mixTo).tone(440), 'B hears A in the mix').toBeGreaterThan(0.5);
    expect(b.heard(bHungUpAt, mutedFrom, mutedTo).tone(440), 'A muted with *6').toBeLessThan(0.1);
    expect(a.heard(aHungUpAt, bHungUpAt, bHungUpAt + 5000).tone(1000), 'B’s name on leave').toBeGreaterThan(0.2);
  });

  it('a moderator PIN starts the conference for a waiting caller; a wrong PIN is refused as in the lobby', async () => {
    const room = await createRoom({
      name: 'Vorstand',
      extension: extension(),
      newModeratorPin: true,
      holdMusic: { enabled: false, file: null },
      invite: [staff.userId],
    });
    expect(room.moderatorPin).toMatch(/^[1-9][0-9]{7,}$/);
    const probe = await watch(staff, room.roomId);
    cleanup.push(() => probe.close());
    const caller = (pin: string, from: string, holdMs: number) =>
      runSipp(
        scenario(
          `${INVITE(from)}\n${ANSWERED}\n  <pause milliseconds="800"/>\n${rfc4733Keys(`${pin}#`)}\n  <pause milliseconds="${holdMs}"/>\n${CALLER_BYE}`,
        ),
        sip,
        { timeoutS: 60, service: room.extension },
      );
    const participant = caller(room.pin ?? '', '+4930500600700', 14_000);
    await probe.state((s) => phonesIn(s).length === 1 && phonesIn(s)[0]?.waiting === true, 30_000);
    expect((await probe.state((s) => phonesIn(s).length === 1)).status).toBe('waiting');
    const moderator = caller(room.moderatorPin ?? '', '+4930500600701', 6000);
    const started = await probe.state((s) => phonesIn(s).length === 2 && phonesIn(s).every((p) => !p.waiting), 30_000);
    expect(started.status).toBe('running');
    expect(phonesIn(started).filter((p) => p.moderator)).toHaveLength(1);
    for (const r of await Promise.all([participant, moderator])) expect(r.code, r.output + r.errors).toBe(0);

    const wrong = await runSipp(
      scenario(
        `${INVITE('+4930500600702')}\n${ANSWERED}\n  <pause milliseconds="500"/>\n${[1, 2, 3]
          .map(() => rfc4733Keys('13579#'))
          .join('\n  <pause milliseconds="1500"/>\n')}\n${EXPECT_BYE(20_000)}`,
      ),
      sip,
      { service: room.extension },
    );
    expect(wrong.code, wrong.output + wrong.errors).toBe(0);
  });

  it('a deleted room’s extension is unknown: its PIN opens nothing', async () => {
    const room = await createRoom({ name: 'Weg', extension: extension(), invite: [] });
    expect((await adminApi(info, config, 'DELETE', `/rooms/${room.id}`)).status).toBe(200);
    // The extension now reaches the lobby, where the old room PIN is no group's PIN.
    const r = await runSipp(
      scenario(
        `${INVITE('+4930500600703')}\n${ANSWERED}\n  <pause milliseconds="500"/>\n${[1, 2, 3]
          .map(() => rfc4733Keys(`${room.pin ?? ''}#`))
          .join('\n  <pause milliseconds="1500"/>\n')}\n${EXPECT_BYE(20_000)}`,
      ),
      sip,
      { service: room.extension },
    );
    expect(r.code, r.output + r.errors).toBe(0);
  });
});
