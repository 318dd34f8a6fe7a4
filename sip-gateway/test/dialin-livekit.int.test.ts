// Phone callers on the LiveKit media plane. Real LiveKit, the real media agent, baresip phones,
// and a @livekit/rtc-node participant standing in for a browser: each caller is a participant of
// the group's room with its own identity and masked name; callers hear each other and the room,
// the room hears them; a moderator's mute reaches LiveKit, and a mute through LiveKit's room
// service reaches the conference; LiveKit or the agent going away puts callers on hold music
// until they are back.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dispose, type Room } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { callerIdentity, livekitRoomOf } from '@foyer/common/livekit';
import { isAlive } from '../../scripts/lib/stack/proc.ts';
import { startPhonePair, type Baresip } from '../../tests/helpers/baresip.ts';
import { ConferenceClient, type StateMessage } from '../../tests/helpers/conference.ts';
import { joinRoom, listen, publishTone, remoteAudio, type Tone } from '../../tests/helpers/livekit.ts';
import { eventually, groupWithGuestAccess, newUser, type TestUser } from '../../tests/helpers/matrix.ts';
import { runStack, testStack } from '../../tests/helpers/stack.ts';

const { info, env } = testStack();
const lk = info.livekit;
const roomService = new RoomServiceClient(lk.url.replace(/^ws/, 'http'), lk.apiKey, lk.apiSecret);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const callers = (s: StateMessage) => s.participants.filter((p) => p.kind === 'phone');

let alice: TestUser;
let roomId: string;
let pin: string;
let lkRoom: string;
let phones: { a: Baresip; b: Baresip; stop: () => Promise<void> } | undefined;
let moderator: ConferenceClient | undefined;
let browser: Room | undefined;
let browserTone: Tone | undefined;

/** The LiveKit participants of the group's room that are callers, by identity. */
async function callerParticipants() {
  const all = await roomService.listParticipants(lkRoom).catch(() => []);
  return all.filter((p) => p.identity.includes('_phone_'));
}

beforeAll(async () => {
  const health = (await (await fetch(`${info.gatewayUrl}/health`)).json()) as { callers: unknown };
  expect(health.callers).toEqual({ plane: 'livekit', mix: 'available' });
  alice = await newUser(info, 'alice');
  ({ roomId, pin } = await groupWithGuestAccess(info, alice, 'LiveKit line'));
  lkRoom = livekitRoomOf(roomId);
});

afterAll(async () => {
  await browserTone?.stop();
  await browser?.disconnect().catch(() => undefined);
  await moderator?.close();
  await phones?.stop();
  // Bounded: rtc-node's shutdown must not hold the suite (the next file needs the stack).
  await Promise.race([dispose(), sleep(10_000)]);
});

describe('callers on LiveKit', () => {
  it('each caller is a participant of the group’s LiveKit room; callers and the room hear each other; mute reaches LiveKit', async () => {
    phones = await startPhonePair('lk');
    const { a, b } = phones;
    moderator = await ConferenceClient.asMember(info, alice, roomId);
    moderator.send({ type: 'join' });
    await moderator.state((s) => s.status === 'running');
    for (const p of [a, b]) {
      await p.dial(`sip:4999112341660@${info.sip.host}:${info.sip.port}`);
      await p.waitFor('CALL_ESTABLISHED', 20_000);
      await p.press(`${pin}#`);
    }
    const running = await moderator.state(
      (s) => callers(s).length === 2 && callers(s).every((p) => !p.waiting),
      30_000,
    );
    const [aView, bView] = callers(running) as [StateMessage['participants'][0], StateMessage['participants'][0]];

    // Their identities (virtual user + phone device) and masked names, as the conference shows them.
    const inRoom = await eventually(
      async () => {
        const ps = await callerParticipants();
        return ps.length === 2 && ps.every((p) => p.tracks.length === 1) ? ps : undefined;
      },
      'both callers in the LiveKit room with a published track',
      30_000,
    );
    const byIdentity = new Map(inRoom.map((p) => [p.identity, p]));
    for (const view of [aView, bView]) {
      const p = byIdentity.get(callerIdentity(view.id, info.serverName));
      expect(p, `participant for ${view.id}`).toBeDefined();
      expect(p?.name).toBe(view.name);
      expect(p?.name).toMatch(/•/); // never the full number
    }

    // A stand-in browser on LiveKit: it hears caller A (440 Hz) and sends 600 Hz to the callers.
    browser = await joinRoom(lk.url, lk, lkRoom, 'browser-stand-in');
    browserTone = await publishTone(browser, 600);
    const heardA = await listen(
      await remoteAudio(browser, callerIdentity(aView.id, info.serverName), 15_000),
      440,
      2000,
      20_000,
    );
    expect(heardA.ms).toBeGreaterThanOrEqual(1900);
    expect(heardA.toneShare, 'the room hears caller A').toBeGreaterThan(0.5);
    const mixFrom = Date.now() + 1000;
    await sleep(5000);
    const mixTo = Date.now();

    // The moderator mutes A: LiveKit shows the track muted, and B stops hearing 440 Hz.
    moderator.send({ type: 'mute', participantId: aView.id, muted: true });
    await eventually(async () => {
      const p = (await callerParticipants()).find((x) => x.identity === callerIdentity(aView.id, info.serverName));
      return p?.tracks[0]?.muted === true;
    }, 'A’s track muted in LiveKit');
    const muteFrom = Date.now() + 700;
    await sleep(3000);
    const muteTo = Date.now() - 300;
    moderator.send({ type: 'mute', participantId: aView.id, muted: false });
    await moderator.state((s) => callers(s).every((p) => !p.muted));

    // Someone with LiveKit's room service (a moderator in another client) mutes B: Foyer's
    // conference shows B muted (as by a moderator), and A stops hearing B.
    const bIdentity = callerIdentity(bView.id, info.serverName);
    const bTrack = (await callerParticipants()).find((p) => p.identity === bIdentity)?.tracks[0]?.sid ?? '';
    await roomService.mutePublishedTrack(lkRoom, bIdentity, bTrack, true);
    await moderator.state((s) => callers(s).some((p) => p.id === bView.id && p.muted));
    const lkMuteFrom = Date.now() + 700;
    await sleep(3000);
    const lkMuteTo = Date.now() - 300;
    moderator.send({ type: 'mute', participantId: bView.id, muted: false });
    await moderator.state((s) => callers(s).every((p) => !p.muted));

    // The moderator leaves: callers back on hold music.
    moderator.send({ type: 'leave' });
    await moderator.state((s) => s.status === 'on_hold');
    const holdFrom = Date.now() + 1000;
    await sleep(4000);
    const holdTo = Date.now();

    const hungUpAt = Date.now();
    for (const p of [a, b]) await p.hangup();
    await eventually(
      async () => (await callerParticipants()).length === 0,
      'callers to leave the LiveKit room',
      15_000,
    );

    expect(b.heard(hungUpAt, mixFrom, mixTo).tone(440), 'B hears A').toBeGreaterThan(0.2);
    expect(b.heard(hungUpAt, mixFrom, mixTo).tone(600), 'B hears the room').toBeGreaterThan(0.2);
    expect(a.heard(hungUpAt, mixFrom, mixTo).tone(1000), 'A hears B').toBeGreaterThan(0.2);
    expect(a.heard(hungUpAt, mixFrom, mixTo).tone(440), 'A never hears themself').toBeLessThan(0.05);
    expect(b.heard(hungUpAt, muteFrom, muteTo).tone(440), 'muted A is not heard').toBeLessThan(0.05);
    expect(a.heard(hungUpAt, lkMuteFrom, lkMuteTo).tone(1000), 'B muted through LiveKit is not heard').toBeLessThan(
      0.05,
    );
    const onHold = b.heard(hungUpAt, holdFrom, holdTo);
    expect(onHold.rms, 'hold music').toBeGreaterThan(200);
    expect(onHold.tone(440) + onHold.tone(600), 'nothing of the conference on hold').toBeLessThan(0.2);
  });

  /** One caller in the running conference, in the mix (a fresh moderator page). */
  async function oneCallerInTheMix(): Promise<{ phone: Baresip; id: string }> {
    moderator = await ConferenceClient.asMember(info, alice, roomId);
    moderator.send({ type: 'join' });
    await moderator.state((s) => s.status === 'running');
    const phone = phones!.a;
    const since = phone.eventCount; // the phone called before: wait for this call's events
    await phone.dial(`sip:4999112341660@${info.sip.host}:${info.sip.port}`);
    await phone.waitFor('CALL_ESTABLISHED', 20_000, since);
    await phone.press(`${pin}#`);
    const s = await moderator.state((x) => callers(x).length === 1 && !callers(x)[0]?.waiting, 30_000);
    return { phone, id: callers(s)[0]!.id };
  }

  /** The caller waits (on hold) and comes back into the mix and the LiveKit room. */
  async function waitsAndReturns(id: string, since: number): Promise<void> {
    await moderator!.stateSince(since, (s) => callers(s)[0]?.waiting === true, 20_000);
    await moderator!.state((s) => callers(s)[0]?.waiting === false, 60_000);
    await eventually(
      async () =>
        (await callerParticipants()).some(
          (p) => p.identity === callerIdentity(id, info.serverName) && p.tracks.length === 1,
        ),
      'the caller back in the LiveKit room',
      30_000,
    );
  }

  it('LiveKit restarted: the caller waits on hold music and comes back into the room', async () => {
    await moderator?.close();
    const { phone, id } = await oneCallerInTheMix();
    const since = moderator!.messages.length;
    expect((await runStack(['restart', 'livekit'], env)).code).toBe(0);
    await waitsAndReturns(id, since);
    await phone.hangup();
    await moderator!.close();
    moderator = undefined;
  });

  it('the media agent killed: the gateway starts it again and the caller comes back', async () => {
    const { phone, id } = await oneCallerInTheMix();
    const gatewayPid = readFileSync(join(inject('stackDir'), 'run', 'sip-gateway.pid'), 'utf8').trim();
    const agentPid = Number(
      execFileSync('pgrep', ['-P', gatewayPid, '-f', 'foyer-media-agent'], { encoding: 'utf8' }).trim(),
    );
    expect(agentPid).toBeGreaterThan(0);
    const since = moderator!.messages.length;
    process.kill(agentPid, 'SIGKILL');
    await eventually(async () => !isAlive(agentPid), 'the agent to die');
    await waitsAndReturns(id, since);
    const health = (await (await fetch(`${info.gatewayUrl}/health`)).json()) as { callers: unknown };
    expect(health.callers).toEqual({ plane: 'livekit', mix: 'available' });
    await phone.hangup();
  });
});
