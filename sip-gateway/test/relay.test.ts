// The per-call RTP relay with real UDP sockets on loopback: a fake caller and a fake media agent leg.
import type { Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAlaw, encodeUlaw, decodeUlaw } from '../src/media/g711.ts';
import { UdpPortPool } from '../src/media/ports.ts';
import { FrameAssembler, InboundSequence } from '../src/media/frames.ts';
import { CallRelay } from '../src/media/relay.ts';
import { testRtpRange } from '../../tests/helpers/sipp.ts';
import { rtpPeer } from './helpers/rtp-peer.ts';
import { dtmfPackets } from '../src/media/rfc4733.ts';
import { buildRtp, RtpStream, type RtpPacket } from '../src/media/rtp.ts';

const sockets: Socket[] = [];
const relays: CallRelay[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
  for (const r of relays.splice(0)) r.close();
});

const peer = () => rtpPeer(sockets);

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pool = new UdpPortPool('127.0.0.1', ...testRtpRange(200));

async function relayFor(
  caller: { port: number },
  o: { payloadType: 0 | 8; sdpAddress?: string; mediaTimeoutMs?: number },
) {
  const relay = await CallRelay.open({
    pool,
    address: '127.0.0.1',
    // Behind NAT the SDP names a private address; the packets come from the signalling one.
    remote: { address: o.sdpAddress ?? '127.0.0.1', port: caller.port },
    signalling: '127.0.0.1',
    payloadType: o.payloadType,
    telephoneEvent: 101,
    mediaTimeoutMs: o.mediaTimeoutMs,
  });
  relays.push(relay);
  return relay;
}

/** A PCMU caller and a fake media agent leg, the relay between them in the mix. */
async function inTheMix() {
  const caller = await peer();
  const agent = await peer();
  const relay = await relayFor(caller, { payloadType: 0 });
  relay.setMix({ address: '127.0.0.1', port: agent.port });
  relay.mode = 'mix';
  return { caller, agent, relay };
}

/** A 440 Hz tone frame (20 ms at 8 kHz). */
function toneFrame(n: number): Int16Array {
  const s = new Int16Array(160);
  for (let i = 0; i < 160; i++) s[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (n * 160 + i)) / 8000));
  return s;
}

describe('call relay', () => {
  it('latches to the caller behind NAT, keeps DTMF away from the mix, and sends the mix PCMU for a PCMA caller', async () => {
    const caller = await peer();
    const agent = await peer();
    const relay = await relayFor(caller, { payloadType: 8, sdpAddress: '10.1.2.3' });
    relay.setMix({ address: '127.0.0.1', port: agent.port });
    relay.mode = 'mix';
    const digits: string[] = [];
    relay.on('dtmf', (d) => digits.push(d));

    const out = new RtpStream(8);
    for (let i = 0; i < 10; i++) {
      caller.sock.send(out.next(encodeAlaw(toneFrame(i)), 160), relay.callerPort, '127.0.0.1');
      await wait(20);
    }
    for (const pkt of dtmfPackets('7', { payloadType: 101, ssrc: 99, startSeq: 1, timestamp: 1234 })) {
      caller.sock.send(pkt, relay.callerPort, '127.0.0.1');
      await wait(5);
    }
    await wait(100);
    expect(digits).toEqual(['7']);
    const toAgent = agent.got;
    expect(toAgent.every((p) => p.payloadType === 0)).toBe(true); // no telephone-event, PCMU only
    const loud = toAgent.filter((p) => Math.max(...decodeUlaw(p.payload).map(Math.abs)) > 4000);
    expect(loud.length).toBeGreaterThanOrEqual(9); // the tone, transcoded A-law → μ-law
    expect(relay.level).toBeGreaterThan(-20);

    // The agent's mix goes back to the latched source (not the private SDP address), as PCMA.
    const mix = new RtpStream(0);
    agent.sock.send(mix.next(Buffer.alloc(160, 0xff), 160), relay.mixPort, '127.0.0.1');
    await wait(100);
    expect(caller.got.some((p) => p.payloadType === 8)).toBe(true);
  });

  it('drops audio from a stranger, fills the mix leg with silence, and times out a silent caller', async () => {
    const caller = await peer();
    const stranger = await peer();
    const agent = await peer();
    const relay = await relayFor(caller, { payloadType: 0, sdpAddress: '127.0.0.1', mediaTimeoutMs: 300 });
    relay.setMix({ address: '127.0.0.1', port: agent.port });
    relay.mode = 'mix';
    let timedOut = false;
    relay.once('timeout', () => (timedOut = true));
    const out = new RtpStream(0);
    // Claimed first by the caller…
    caller.sock.send(out.next(Buffer.alloc(160, 0x00), 160), relay.callerPort, '127.0.0.1');
    await wait(50);
    const before = relay.counters.dropped;
    // …so another socket (same host, other port) cannot take the call's audio over.
    stranger.sock.send(out.next(Buffer.alloc(160, 0x00), 160), relay.callerPort, '127.0.0.1');
    await wait(50);
    expect(relay.counters.dropped).toBe(before + 1);
    // Silence keeps the mix leg fed while the caller is quiet.
    await wait(200);
    expect(agent.got.filter((p) => p.payload.every((b) => b === 0xff)).length).toBeGreaterThan(3);
    await wait(300);
    expect(timedOut).toBe(true);
  });

  it('sends nothing to a caller who put the call on hold, and does not time them out', async () => {
    const caller = await peer();
    const relay = await relayFor(caller, { payloadType: 0, mediaTimeoutMs: 200 });
    let timedOut = false;
    relay.once('timeout', () => (timedOut = true));
    relay.heldByCaller = true;
    relay.play(Buffer.alloc(1600, 0x7f), { loop: true });
    await wait(400);
    expect(caller.got).toHaveLength(0);
    expect(timedOut).toBe(false);
    relay.heldByCaller = false;
    await wait(100);
    expect(caller.got.length).toBeGreaterThan(0);
  });

  it('survives loss and reordering: late packets are dropped, the rest flows in order', async () => {
    const { caller, agent, relay } = await inTheMix();
    const out = new RtpStream(0);
    const packets = Array.from({ length: 12 }, (_, i) => out.next(Buffer.alloc(160, i + 1), 160));
    // 0 1 3 2(late) 4 6(5 lost) 7 … : the late one is dropped, the loss is the media agent's jitter buffer's.
    const order = [0, 1, 3, 2, 4, 6, 7, 8, 9, 10, 11];
    for (const i of order) {
      caller.sock.send(packets[i] ?? Buffer.alloc(0), relay.callerPort, '127.0.0.1');
      await wait(5);
    }
    await wait(50);
    const forwarded = agent.got.map((p) => p.payload[0]).filter((b) => b !== 0xff);
    expect(forwarded).toEqual([1, 2, 4, 5, 7, 8, 9, 10, 11, 12]);
    const seqs = agent.got.map((p) => p.sequence);
    for (let i = 1; i < seqs.length; i++) expect((seqs[i]! - seqs[i - 1]! + 0x10000) & 0xffff).toBe(1);
    expect(relay.counters.dropped).toBe(1);
  });

  /** A 440 Hz tone of `ms` milliseconds from sample `start` on, as μ-law. */
  const tone = (start: number, ms: number) => {
    const n = ms * 8;
    const pcm = new Int16Array(n);
    for (let i = 0; i < n; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (start + i)) / 8000));
    return encodeUlaw(pcm);
  };
  const loudFrames = (got: RtpPacket[]) =>
    got.filter((p) => p.payload.length === 160 && Math.max(...decodeUlaw(p.payload).map(Math.abs)) > 4000).length;

  for (const ptime of [10, 30, 40, 60]) {
    it(`cuts a caller's ${ptime} ms packets into the 20 ms frames the mix takes, none lost`, async () => {
      const { caller, agent, relay } = await inTheMix();
      const out = new RtpStream(0);
      const totalMs = 600;
      for (let t = 0; t < totalMs; t += ptime) {
        caller.sock.send(out.next(tone(t * 8, ptime), ptime * 8), relay.callerPort, '127.0.0.1');
        await wait(ptime);
      }
      await wait(60);
      expect(agent.got.every((p) => p.payload.length === 160)).toBe(true);
      expect(loudFrames(agent.got)).toBe(totalMs / 20);
    });
  }

  it('hears a caller whose stream restarts (new SSRC, sequence numbers from the start again)', async () => {
    const { caller, agent, relay } = await inTheMix();
    // The same 60 packets twice, as a looping pcap sends them (same SSRC and sequence numbers),
    // then a new SSRC whose sequence starts lower: each restart is heard from its first packet.
    const runs = [
      { ssrc: 1111, seq: 1000 },
      { ssrc: 1111, seq: 1000 },
      { ssrc: 2222, seq: 5 },
    ];
    for (const run of runs) {
      for (let i = 0; i < 60; i++) {
        const pkt = buildRtp({
          payloadType: 0,
          sequence: run.seq + i,
          timestamp: i * 160,
          ssrc: run.ssrc,
          payload: tone(i * 160, 20),
        });
        caller.sock.send(pkt, relay.callerPort, '127.0.0.1');
        await wait(5);
      }
      await wait(50);
    }
    expect(loudFrames(agent.got)).toBe(180);
  });
});

describe('frames for the mix', () => {
  it('assembles 20 ms frames from any packet size and forgets a partial one on reset', () => {
    const a = new FrameAssembler();
    expect(a.push(Buffer.alloc(240, 1))).toHaveLength(1);
    const two = a.push(Buffer.alloc(240, 2));
    expect(two.map((f) => [f.length, f[0], f[159]])).toEqual([
      [160, 1, 2],
      [160, 2, 2],
    ]);
    a.push(Buffer.alloc(80, 3));
    a.reset();
    expect(a.push(Buffer.alloc(80, 4))).toHaveLength(0);
    expect(a.push(Buffer.alloc(80, 5))[0]?.[0]).toBe(4);
  });

  it('tells late, duplicate and restarted packets apart (16-bit wrap-around included)', () => {
    const s = new InboundSequence();
    expect(s.accept(7, 65534)).toBe('next');
    expect(s.accept(7, 65535)).toBe('next');
    expect(s.accept(7, 1)).toBe('next'); // wrapped, one lost
    expect(s.accept(7, 0)).toBe('late');
    expect(s.accept(7, 1)).toBe('duplicate');
    expect(s.accept(7, 30_000)).toBe('next'); // a jump ahead is just loss
    expect(s.accept(7, 100)).toBe('restart'); // far behind: the stream started again
    expect(s.accept(8, 100)).toBe('restart'); // another SSRC
    expect(s.accept(8, 101)).toBe('next');
  });
});
