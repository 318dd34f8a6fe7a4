// A group's moderator PIN against the real stack: a meeting run by phone alone. Two baresip
// phones dial the one lobby number (A sends 440 Hz with the guest PIN, B 1000 Hz with the
// moderator PIN); a staff member watches the conference socket without joining it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPhonePair } from '../../tests/helpers/baresip.ts';
import { ConferenceClient, type StateMessage } from '../../tests/helpers/conference.ts';
import {
  cs,
  enc,
  eventually,
  groupWithGuestAccess,
  newUser,
  stateOf,
  type TestUser,
} from '../../tests/helpers/matrix.ts';
import { testStack } from '../../tests/helpers/stack.ts';

const { info } = testStack();
const sip = { host: info.sip.host, port: info.sip.port };
const lobby = `sip:4999112341660@${sip.host}:${sip.port}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const callers = (s: StateMessage) => s.participants.filter((p) => p.kind === 'phone');

let staff: TestUser;
let roomId: string;
let guestPin: string;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  staff = await newUser(info, 'modpin');
  ({ roomId, pin: guestPin } = await groupWithGuestAccess(info, staff, 'Telefonrunde'));
});

afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

describe('a group’s moderator PIN', () => {
  it('is told to moderators on the conference socket; a caller with it starts the conference and may mute all (*8)', async () => {
    await cs(info, staff, 'PUT', `/rooms/${enc(roomId)}/state/org.foyer.guest_access/`, {
      enabled: true,
      moderator_pin: true,
    });
    const probe = await eventually(async () => {
      const c = await ConferenceClient.asMember(info, staff, roomId);
      const welcome = c.messages[0];
      if (welcome?.type === 'welcome' && welcome.moderatorPin) return c;
      await c.close();
      return undefined;
    }, 'the moderator PIN in the welcome');
    cleanup.push(() => probe.close());
    const welcome = probe.messages[0];
    if (welcome?.type !== 'welcome') throw new Error('no welcome');
    expect(welcome.role).toBe('moderator');
    const moderatorPin = welcome.moderatorPin ?? '';
    expect(moderatorPin).toMatch(/^[1-9][0-9]{9,}$/);
    expect(moderatorPin).not.toBe(guestPin);
    // The guests' dial-in details stay the guest PIN; the room only says that a moderator PIN exists.
    expect(welcome.dialIn?.pin).toBe(guestPin);
    const content = await eventually(async () => {
      const c = await stateOf<Record<string, unknown>>(info, staff, roomId, 'org.foyer.conference');
      return c?.moderator_pin === true ? c : undefined;
    }, 'moderator_pin in the room');
    expect(JSON.stringify(content)).not.toContain(moderatorPin);

    const { a, b, stop } = await startPhonePair('modpin');
    cleanup.push(stop);

    // A, a guest caller: waits, as nobody moderates yet.
    await a.dial(lobby);
    await a.waitFor('CALL_ESTABLISHED', 20_000);
    await a.press(`${guestPin}#`);
    const waiting = await probe.state((s) => callers(s).length === 1 && callers(s)[0]?.waiting === true, 30_000);
    expect(waiting.status).toBe('waiting');
    const aId = callers(waiting)[0]?.id ?? '';

    // B dials the same number with the moderator PIN: the conference runs, without anyone online.
    await b.dial(lobby);
    await b.waitFor('CALL_ESTABLISHED', 20_000);
    await b.press(`${moderatorPin}#`);
    const running = await probe.state(
      (s) => s.status === 'running' && callers(s).length === 2 && callers(s).every((p) => !p.waiting),
      30_000,
    );
    expect(
      callers(running)
        .filter((p) => p.moderator)
        .map((p) => p.id),
    ).not.toContain(aId);
    expect(callers(running).filter((p) => p.moderator)).toHaveLength(1);
    expect(running.moderators).toHaveLength(1);
    await eventually(
      async () =>
        (await stateOf<{ status: string }>(info, staff, roomId, 'org.foyer.conference'))?.status === 'running',
      'running in the room',
    );
    const mixFrom = Date.now() + 2000; // after the join chime and B's "you are a moderator"
    await sleep(6000);
    const mixTo = Date.now();

    // *8: the phone moderator mutes everyone but moderators; A's tone is gone for B.
    await b.press('*8');
    await probe.state((s) => callers(s).some((p) => p.id === aId && p.muted), 15_000);
    const mutedFrom = Date.now() + 2500; // after the "all muted" prompt
    await sleep(6000);
    const mutedTo = Date.now();

    // B hangs up: the last moderator left, so A is on hold again.
    await b.hangup();
    const bHungUpAt = Date.now();
    const onHold = await probe.state((s) => s.status === 'on_hold' && callers(s).length === 1, 15_000);
    expect(callers(onHold)[0]?.waiting).toBe(true);
    await a.hangup();
    const aHungUpAt = Date.now();

    expect(b.heard(bHungUpAt, mixFrom, mixTo).tone(440), 'B hears A in the mix').toBeGreaterThan(0.5);
    expect(a.heard(aHungUpAt, mixFrom, mixTo).tone(1000), 'A hears B in the mix').toBeGreaterThan(0.5);
    expect(b.heard(bHungUpAt, mutedFrom, mutedTo).tone(440), 'A muted by *8').toBeLessThan(0.1);
    expect(a.heard(aHungUpAt, mutedFrom, mutedTo).tone(1000), 'the moderator is not muted').toBeGreaterThan(0.5);
  });
});
