// The relays in their worker thread, driven from this (the main) thread through RelayHost, with
// real UDP sockets on loopback: DTMF, prompts, the mix leg, recordings and levels cross between
// the threads; a prompt replaced before it ended never reports "played"; a worker that dies
// ends its calls' media ('timeout') and the next call gets a new worker.
import type { Socket } from 'node:dgram';
import { once } from 'node:events';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeUlaw } from '../src/media/g711.ts';
import { RelayHost, type Relay } from '../src/media/relay-host.ts';
import { dtmfPackets } from '../src/media/rfc4733.ts';
import { RtpStream } from '../src/media/rtp.ts';
import { testRtpRange } from '../../tests/helpers/sipp.ts';
import { rtpPeer } from './helpers/rtp-peer.ts';

const [portMin, portMax] = testRtpRange(100);
const host = new RelayHost({ bind: '127.0.0.1', portMin, portMax, log: pino({ level: 'silent' }), statsEveryMs: 50 });
const sockets: Socket[] = [];
const relays: Relay[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
  for (const r of relays.splice(0)) r.close();
});
afterAll(() => host.stop());

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

const peer = () => rtpPeer(sockets);

async function call(caller: { port: number }): Promise<Relay> {
  const relay = await host.open({
    address: '127.0.0.1',
    remote: { address: '127.0.0.1', port: caller.port },
    signalling: '127.0.0.1',
    payloadType: 0,
    telephoneEvent: 101,
  });
  relays.push(relay);
  return relay;
}

/** A loud 440 Hz frame (20 ms at 8 kHz, mu-law). */
function loudFrame(n: number): Buffer {
  const s = new Int16Array(160);
  for (let i = 0; i < 160; i++) s[i] = Math.round(16000 * Math.sin((2 * Math.PI * 440 * (n * 160 + i)) / 8000));
  return encodeUlaw(s);
}

describe('relays in the worker thread', () => {
  it('ports from the range; DTMF, prompts, the mix and the caller’s level cross the threads', async () => {
    const caller = await peer();
    const mix = await peer();
    const relay = await call(caller);
    for (const p of [relay.callerPort, relay.mixPort]) {
      expect(p).toBeGreaterThanOrEqual(portMin);
      expect(p).toBeLessThanOrEqual(portMax);
    }
    const digits: string[] = [];
    relay.on('dtmf', (d) => digits.push(d));

    // A 200 ms prompt: the caller gets it, then 'played'.
    relay.play(Buffer.alloc(1600, 0x80), { loop: false });
    expect(relay.playing).toBe(true);
    await once(relay, 'played');
    expect(relay.playing).toBe(false);
    await wait(50); // the last frame's datagram may come after the message that says it was sent
    expect(caller.got.length).toBeGreaterThanOrEqual(10);

    // In the mix: the caller's audio reaches the mix leg, the mix reaches the caller.
    relay.setMix({ address: '127.0.0.1', port: mix.port });
    relay.mode = 'mix';
    const out = new RtpStream(0);
    const mixOut = new RtpStream(0);
    for (let i = 0; i < 15; i++) {
      caller.sock.send(out.next(loudFrame(i), 160), relay.callerPort, '127.0.0.1');
      mix.sock.send(mixOut.next(Buffer.alloc(160, 0xff), 160), relay.mixPort, '127.0.0.1');
      await wait(20);
    }
    for (const pkt of dtmfPackets('5', { payloadType: 101, ssrc: 7, startSeq: 1, timestamp: 99 })) {
      caller.sock.send(pkt, relay.callerPort, '127.0.0.1');
      await wait(5);
    }
    await wait(150);
    expect(digits).toEqual(['5']);
    expect(mix.got.filter((p) => p.payload.some((b) => b !== 0xff)).length).toBeGreaterThanOrEqual(10);
    // Stats come every 50 ms: counters and a speaking level.
    expect(relay.counters.fromCaller).toBeGreaterThanOrEqual(15);
    expect(relay.counters.fromMix).toBeGreaterThanOrEqual(10);
    expect(relay.counters.dtmf).toBe(1);
    expect(relay.level).toBeGreaterThan(-30);
  });

  it('records the caller and hands the recording back', async () => {
    const caller = await peer();
    const relay = await call(caller);
    relay.startRecording(2000);
    const out = new RtpStream(0);
    for (let i = 0; i < 10; i++) {
      caller.sock.send(out.next(loudFrame(i), 160), relay.callerPort, '127.0.0.1');
      await wait(20);
    }
    await wait(50);
    const recorded = await relay.stopRecording();
    expect(recorded.length).toBe(1600);
    expect(recorded.equals(Buffer.concat(Array.from({ length: 10 }, (_, i) => loudFrame(i))))).toBe(true);
  });

  it('a prompt replaced, or cut short by music, never reports "played"', async () => {
    const caller = await peer();
    const relay = await call(caller);
    let played = 0;
    relay.on('played', () => played++);
    relay.play(Buffer.alloc(800, 0x80), { loop: false });
    relay.play(Buffer.alloc(800, 0x80), { loop: false }); // replaces the first
    await once(relay, 'played');
    relay.play(Buffer.alloc(800, 0x80), { loop: false });
    relay.play(Buffer.alloc(1600, 0x80), { loop: true }); // music takes the line
    expect(relay.playing).toBe(false);
    await wait(300);
    expect(played).toBe(1);
  });

  it('a worker that dies ends its calls’ media; the next call gets a new worker', async () => {
    const caller = await peer();
    const relay = await call(caller);
    const timedOut = once(relay, 'timeout');
    const recording = relay.stopRecording();
    await (host as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await timedOut;
    expect((await recording).length).toBe(0);
    const again = await call(await peer());
    expect(again.callerPort).toBeGreaterThan(0);
    expect(host.workersStarted).toBe(2);
  });
});
