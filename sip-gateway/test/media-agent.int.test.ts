// The media agent against a real livekit-server (its own, on ports 6780–6782, not the stack's):
// two phone callers (UDP sockets playing the relay side) and a browser-like @livekit/rtc-node
// participant. The browser hears caller A; caller A hears the browser and caller B but never
// itself; a muted caller is not heard; a caller who left is gone; identities and names are as
// given; LiveKit killed → livekit_down, restarted → livekit_up and media flows again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Room, TrackKind } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, publishTone, remoteAudio, type Tone, livekitToken } from '../../tests/helpers/livekit.ts';
import { agentBinary, every20ms, LivekitServer, MediaAgent, RelayLeg, sleep } from '../../tests/helpers/media-agent.ts';

const KEYS = { apiKey: 'foyer-agent-test', apiSecret: 'media-agent-test-secret-0123456789abcdef' };
const ROOM = 'agent-test-room';
const BROWSER_HZ = 600;
const A_HZ = 1000;
const B_HZ = 1400;

describe('media agent on LiveKit', () => {
  let dir: string;
  let lk: LivekitServer;
  let agent: MediaAgent;
  let a: RelayLeg;
  let b: RelayLeg;
  let stopSending: (() => void) | undefined;
  let browser: Room | undefined;
  let tone: Tone | undefined;
  let rooms: RoomServiceClient;

  async function joinBrowser(): Promise<void> {
    browser = new Room();
    await browser.connect(lk.url, await livekitToken(KEYS, 'browser', ROOM), { autoSubscribe: true, dynacast: false });
    tone = await publishTone(browser, BROWSER_HZ);
  }

  async function leaveBrowser(): Promise<void> {
    await tone?.stop().catch(() => undefined);
    tone = undefined;
    await browser?.disconnect().catch(() => undefined);
    browser = undefined;
  }

  /** Measure caller leg `leg` until it hears `hz` (≥ share) or `timeoutMs` passes. */
  async function hearsWithin(leg: RelayLeg, hz: number, share: number, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    let last = await leg.measure(1000, [BROWSER_HZ, A_HZ, B_HZ]);
    while (last.shares[hz]! < share && Date.now() < deadline) last = await leg.measure(1000, [BROWSER_HZ, A_HZ, B_HZ]);
    if (process.env.MEDIA_AGENT_TEST_VERBOSE) console.log('heard', JSON.stringify(last));
    return last;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'foyer-media-agent-'));
    const bin = agentBinary();
    lk = new LivekitServer({ dir, port: 6780, tcpPort: 6781, udpPort: 6782, ...KEYS });
    await lk.start();
    rooms = new RoomServiceClient(lk.httpUrl, KEYS.apiKey, KEYS.apiSecret);
    agent = new MediaAgent(bin, join(dir, 'agent.log'));
    const conf = await agent.request('configure', { livekitUrl: lk.url, ...KEYS, agentId: 'test' });
    expect(conf.livekit).toBe('up');
    a = await RelayLeg.open();
    b = await RelayLeg.open();
    a.hz = A_HZ;
    b.hz = B_HZ;
    stopSending = every20ms(() => {
      a.sendFrame();
      b.sendFrame();
    });
  }, 300_000);

  afterAll(async () => {
    stopSending?.();
    await leaveBrowser();
    await agent?.close();
    await lk?.stop('SIGKILL');
    a?.close();
    b?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('brings each caller into the room with its identity and name', async () => {
    for (const [leg, id, name] of [
      [a, 'a', 'Caller A'],
      [b, 'b', 'Caller B'],
    ] as const) {
      const res = await agent.request('join', {
        conference: ROOM,
        caller: id,
        identity: `phone-${id}`,
        name,
        metadata: JSON.stringify({ kind: 'phone' }),
        rtpTo: { address: '127.0.0.1', port: leg.port },
      });
      expect(typeof res.port).toBe('number');
      leg.target(res.port as number);
    }
    await agent.waitEvent((e) => e.event === 'caller_connected' && e.caller === 'a', 20_000);
    await agent.waitEvent((e) => e.event === 'caller_connected' && e.caller === 'b', 20_000);
    const ps = await rooms.listParticipants(ROOM);
    const pa = ps.find((p) => p.identity === 'phone-a');
    const pb = ps.find((p) => p.identity === 'phone-b');
    expect(pa?.name).toBe('Caller A');
    expect(pb?.name).toBe('Caller B');
    expect(pa?.metadata).toBe(JSON.stringify({ kind: 'phone' }));
    expect(pa?.permission?.canSubscribe).toBe(false);
    // the mixer is hidden
    const mixer = ps.find((p) => p.identity.startsWith('foyer-media-agent-'));
    expect(mixer?.permission?.hidden).toBe(true);
  });

  it('the browser hears caller A', async () => {
    await joinBrowser();
    const track = await remoteAudio(browser!, 'phone-a', 10_000);
    const heard = await listen(track, A_HZ, 1000, 10_000);
    expect(heard.rms).toBeGreaterThan(0.05);
    expect(heard.toneShare).toBeGreaterThan(0.5);
    // the agent reports the room's other participants (not its own callers)
    const rp = await agent.waitEvent(
      (e) =>
        e.event === 'remote_participants' &&
        (e.participants as { identity: string }[]).some((p) => p.identity === 'browser'),
      10_000,
    );
    expect((rp.participants as { identity: string }[]).map((p) => p.identity)).toEqual(['browser']);
    // the browser sees the callers but not the hidden mixer
    const ids = [...browser!.remoteParticipants.values()].map((p) => p.identity).sort();
    expect(ids).toEqual(['phone-a', 'phone-b']);
  });

  it('caller A hears the browser and caller B, never itself', async () => {
    const heard = await hearsWithin(a, BROWSER_HZ, 0.1, 10_000);
    expect(heard.frames).toBeGreaterThan(40); // ~50 packets/s
    expect(heard.shares[BROWSER_HZ]).toBeGreaterThan(0.1);
    expect(heard.shares[B_HZ]).toBeGreaterThan(0.1);
    expect(heard.shares[A_HZ]).toBeLessThan(0.01);
    const hb = await b.measure(1000, [BROWSER_HZ, A_HZ, B_HZ]);
    expect(hb.shares[A_HZ]).toBeGreaterThan(0.1);
    expect(hb.shares[B_HZ]).toBeLessThan(0.01);
  });

  it('a muted caller is not heard', async () => {
    await agent.request('mute', { caller: 'b', muted: true });
    await sleep(300);
    const heard = await a.measure(1000, [BROWSER_HZ, A_HZ, B_HZ]);
    expect(heard.shares[B_HZ]).toBeLessThan(0.01);
    expect(heard.shares[BROWSER_HZ]).toBeGreaterThan(0.1);
    // and LiveKit shows the track muted
    const deadline = Date.now() + 5000;
    let muted = false;
    while (!muted && Date.now() < deadline) {
      const pb = browser!.remoteParticipants.get('phone-b');
      muted = [...(pb?.trackPublications.values() ?? [])].some((t) => t.kind === TrackKind.KIND_AUDIO && t.muted);
      if (!muted) await sleep(100);
    }
    expect(muted).toBe(true);
    await agent.request('mute', { caller: 'b', muted: false });
    const back = await hearsWithin(a, B_HZ, 0.1, 5000);
    expect(back.shares[B_HZ]).toBeGreaterThan(0.1);
  });

  it('a caller who left is gone from the room', async () => {
    await agent.request('leave', { caller: 'b' });
    const deadline = Date.now() + 10_000;
    let present = true;
    while (present && Date.now() < deadline) {
      present = (await rooms.listParticipants(ROOM)).some((p) => p.identity === 'phone-b');
      if (present) await sleep(200);
    }
    expect(present).toBe(false);
    b.target(0);
    const heard = await a.measure(1000, [BROWSER_HZ, A_HZ, B_HZ]);
    expect(heard.shares[B_HZ]).toBeLessThan(0.01);
  });

  it('LiveKit killed → livekit_down; restarted → livekit_up and media flows again', async () => {
    const from = agent.events.length;
    await leaveBrowser();
    await lk.stop('SIGKILL');
    await agent.waitEvent((e) => e.event === 'livekit_down', 10_000, from);
    // the local mix goes on meanwhile (the gateway plays hold music anyway)
    await sleep(1000);
    await lk.start();
    await agent.waitEvent((e) => e.event === 'livekit_up', 15_000, from);
    await agent.waitEvent((e) => e.event === 'caller_connected' && e.caller === 'a', 20_000, from);
    await joinBrowser();
    const track = await remoteAudio(browser!, 'phone-a', 10_000);
    const heard = await listen(track, A_HZ, 1000, 10_000);
    expect(heard.toneShare).toBeGreaterThan(0.5);
    const back = await hearsWithin(a, BROWSER_HZ, 0.1, 15_000);
    expect(back.shares[BROWSER_HZ]).toBeGreaterThan(0.1);
    expect(back.shares[A_HZ]).toBeLessThan(0.01);
  });
});
