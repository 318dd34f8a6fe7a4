// The RTP relay of one phone call: caller ⇄ gateway ⇄ the mix (the LiveKit media agent, one PCMU
// leg per caller). It latches to the caller's real source address,
// takes DTMF (RFC 4733) out of the stream before anything reaches the mix, plays prompts and hold
// music, converts PCMA callers to the PCMU leg the mix gets, keeps the mix fed
// with silence until the caller's audio flows, and estimates how loud the caller speaks.
import { EventEmitter } from 'node:events';
import type { Socket, RemoteInfo } from 'node:dgram';
import { ULAW_SILENCE, alawToUlaw, decodeAlaw, decodeUlaw, ulawToAlaw } from './g711.ts';
import { levelDbov, FramePlayer } from './audio.ts';
import { FrameAssembler, InboundSequence, MIX_FRAME_BYTES } from './frames.ts';
import { DtmfReceiver } from './rfc4733.ts';
import { parseRtp, RtpStream, type RtpPacket } from './rtp.ts';
import type { UdpPortPool } from './ports.ts';
import { mediaClock, type MediaClock } from './clock.ts';

const FRAME_MS = 20;
const FRAME_SAMPLES = MIX_FRAME_BYTES;
/**
 * After this long without caller audio the relay fills the mix leg with silence; longer for
 * callers whose packets are long (60 ms ptime), so the filler never lands between two of them.
 */
const SILENCE_AFTER_MS = 60;

export type RelayMode =
  /** Prompts and music to the caller; caller audio goes nowhere (IVR, waiting, on hold). */
  | 'lobby'
  /** In the mix: caller audio to the mix, the mix to the caller (unless a prompt plays). */
  | 'mix';

/** A call's relay as the call asks for it (also what crosses to the relay worker). */
export interface RelayCallOptions {
  /** Our address as the caller sees it. */
  address: string;
  /** Where the caller's SDP says it wants media; the relay latches to the real source. */
  remote: { address: string; port: number };
  /** The caller's SIP signalling address: behind NAT, media comes from there, not the SDP's. */
  signalling: string;
  payloadType: 0 | 8;
  telephoneEvent?: number;
  /** Silence from the caller's side (no packets at all) after which 'timeout' is emitted. */
  mediaTimeoutMs?: number;
}

export interface RelayOptions extends RelayCallOptions {
  pool: UdpPortPool;
  /** The frame clock shared by every call (the gateway's one clock unless a test gives its own). */
  clock?: MediaClock;
}

export interface RelayEvents {
  dtmf: [digit: string];
  /** No RTP from the caller for the media timeout (and not on hold): the caller is gone. */
  timeout: [];
  /** The prompt started with play() has ended (not emitted for looping sounds). */
  played: [];
  /** The sound given to announce() has gone into the mix. */
  announced: [];
  closed: [];
}

export class CallRelay extends EventEmitter<RelayEvents> {
  readonly callerSide: Socket;
  readonly mixSide: Socket;
  readonly address: string;
  private readonly payloadType: 0 | 8;
  private readonly telephoneEvent?: number;
  private readonly dtmf = new DtmfReceiver();
  private expected: { address: string; port: number };
  private readonly signalling: string;
  private latched: { address: string; port: number } | undefined;
  private mix: { address: string; port: number } | undefined;
  private readonly toCaller: RtpStream;
  private readonly toMix = new RtpStream(0);
  private player: FramePlayer | undefined;
  private background: FramePlayer | undefined;
  private lastCallerAudio = 0;
  private lastCallerPacket = Date.now();
  private readonly mediaTimeoutMs: number;
  private timedOut = false;
  private readonly inbound = new InboundSequence();
  /** The caller's audio cut into the 20 ms frames the mix takes, whatever their packet time. */
  private readonly frames = new FrameAssembler();
  /** Length of the caller's last audio packet (ms). */
  private callerPacketMs = FRAME_MS;
  private readonly stopTicking: () => void;
  private closed = false;
  mode: RelayMode = 'lobby';
  muted = false;
  /** In the mix but alone: the caller hears the music instead of the (silent) mix. */
  musicInMix = false;
  /** A sound sent into the mix in the caller's place (their recorded name). */
  private announcement: FramePlayer | undefined;
  /** The caller's audio being recorded (their name), as mu-law, up to a limit. */
  private recording: { chunks: Buffer[]; bytes: number; maxBytes: number } | undefined;
  /** The caller put us on hold (a=sendonly/inactive): send them nothing until they resume. */
  heldByCaller = false;
  /** Smoothed speaking level of the caller, dBov (−127 = silence). */
  level = -127;
  readonly counters = { fromCaller: 0, toCaller: 0, fromMix: 0, toMix: 0, dtmf: 0, dropped: 0 };

  private constructor(callerSide: Socket, mixSide: Socket, o: RelayOptions) {
    super();
    this.callerSide = callerSide;
    this.mixSide = mixSide;
    this.address = o.address;
    this.payloadType = o.payloadType;
    this.telephoneEvent = o.telephoneEvent;
    this.expected = o.remote;
    this.signalling = o.signalling;
    this.mediaTimeoutMs = o.mediaTimeoutMs ?? 60_000;
    this.toCaller = new RtpStream(o.payloadType);
    callerSide.on('message', (msg, rinfo) => this.safely(() => this.fromCaller(msg, rinfo)));
    mixSide.on('message', (msg, rinfo) => this.safely(() => this.fromMix(msg, rinfo)));
    callerSide.on('error', () => undefined);
    mixSide.on('error', () => undefined);
    this.stopTicking = (o.clock ?? mediaClock).add(() => this.safely(() => this.tick()));
  }

  static async open(o: RelayOptions): Promise<CallRelay> {
    const callerSide = await o.pool.open();
    try {
      const mixSide = await o.pool.open();
      return new CallRelay(callerSide, mixSide, o);
    } catch (err) {
      callerSide.close();
      throw err;
    }
  }

  get callerPort(): number {
    return this.callerSide.address().port;
  }

  get mixPort(): number {
    return this.mixSide.address().port;
  }

  /** A peer's bad packet must never end the call, let alone the process. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch {
      this.counters.dropped++;
    }
  }

  /** The caller moved (re-INVITE): latch anew. */
  setRemote(remote: { address: string; port: number }): void {
    this.expected = remote;
    this.latched = undefined;
  }

  /** Where the mix sends this leg's audio from and expects the caller's (from the join answer). */
  setMix(remote: { address: string; port: number } | undefined): void {
    this.mix = remote;
  }

  /** Play a sound to the caller; a looping one (music) continues under later prompts. */
  play(ulaw: Buffer, o: { loop: boolean }): void {
    const player = new FramePlayer(ulaw, { loop: o.loop });
    if (o.loop) {
      this.background = player;
      this.player = undefined;
    } else {
      this.player = player;
    }
  }

  /** Stop the current prompt (a caller typing ahead) and any music. */
  stopPlayback(o: { music?: boolean } = {}): void {
    this.player = undefined;
    if (o.music) this.background = undefined;
  }

  get playing(): boolean {
    return this.player !== undefined;
  }

  /** Record what the caller says (8 kHz mu-law) until stopRecording(), at most maxMs. */
  startRecording(maxMs: number): void {
    this.recording = { chunks: [], bytes: 0, maxBytes: Math.round((maxMs / 1000) * 8000) };
  }

  stopRecording(): Buffer {
    const r = this.recording;
    this.recording = undefined;
    return r ? Buffer.concat(r.chunks) : Buffer.alloc(0);
  }

  /** Send a sound into the mix in the caller's place; emits 'announced' when done. */
  announce(ulaw: Buffer): void {
    this.announcement = new FramePlayer(ulaw, { loop: false });
  }

  get announcing(): boolean {
    return this.announcement !== undefined;
  }

  private fromCaller(msg: Buffer, rinfo: RemoteInfo): void {
    const pkt = parseRtp(msg);
    if (!pkt) return;
    if (this.latched) {
      if (rinfo.address !== this.latched.address || rinfo.port !== this.latched.port) {
        this.counters.dropped++;
        return;
      }
    } else {
      // Symmetric RTP: the caller's real source (behind NAT it differs from the SDP) becomes
      // the destination. Only the SDP's address or the caller's signalling address may claim
      // it, so a stranger guessing the port cannot take the call's audio.
      if (rinfo.address !== this.expected.address && rinfo.address !== this.signalling) {
        this.counters.dropped++;
        return;
      }
      this.latched = { address: rinfo.address, port: rinfo.port };
    }
    this.counters.fromCaller++;
    this.lastCallerPacket = Date.now();
    if (this.telephoneEvent !== undefined && pkt.payloadType === this.telephoneEvent) {
      const digit = this.dtmf.push(pkt);
      if (digit) {
        this.counters.dtmf++;
        this.emit('dtmf', digit);
      }
      return; // the mix takes PCMU only (the media agent drops anything else): never forward DTMF
    }
    if (pkt.payloadType !== this.payloadType || pkt.payload.length === 0) return;
    this.onCallerAudio(pkt);
  }

  private onCallerAudio(pkt: RtpPacket): void {
    // Late packets (reordered behind newer ones) are dropped; the mix's jitter buffer covers gaps.
    // A restarted stream (new SSRC, sequence far off) goes on from its first packet.
    const order = this.inbound.accept(pkt.ssrc, pkt.sequence);
    if (order === 'late' || order === 'duplicate') {
      this.counters.dropped++;
      return;
    }
    if (order === 'restart') this.frames.reset();
    this.callerPacketMs = pkt.payload.length / 8;
    const samples = this.payloadType === 0 ? decodeUlaw(pkt.payload) : decodeAlaw(pkt.payload);
    const db = levelDbov(samples);
    this.level = db > this.level ? db : this.level * 0.9 + db * 0.1;
    const ulaw = this.payloadType === 0 ? pkt.payload : alawToUlaw(pkt.payload);
    const rec = this.recording;
    if (rec && rec.bytes < rec.maxBytes) {
      const part = ulaw.subarray(0, rec.maxBytes - rec.bytes);
      rec.chunks.push(Buffer.from(part));
      rec.bytes += part.length;
    }
    if (this.mode !== 'mix' || this.muted || !this.mix || this.announcement) {
      this.frames.reset();
      return;
    }
    this.lastCallerAudio = Date.now();
    for (const frame of this.frames.push(ulaw)) this.sendMix(this.toMix.next(frame, FRAME_SAMPLES));
  }

  private fromMix(msg: Buffer, rinfo: RemoteInfo): void {
    if (!this.mix || rinfo.address !== this.mix.address || rinfo.port !== this.mix.port) {
      this.counters.dropped++;
      return;
    }
    const pkt = parseRtp(msg);
    if (!pkt || pkt.payloadType !== 0) return;
    this.counters.fromMix++;
    if (this.mode !== 'mix' || this.player || this.musicInMix) return; // a prompt or the music has the line
    const payload = this.payloadType === 0 ? pkt.payload : ulawToAlaw(pkt.payload);
    this.sendCaller(this.toCaller.next(payload, payload.length));
  }

  private tick(): void {
    if (this.closed) return;
    const now = Date.now();
    // To the caller: a prompt, else music in the lobby.
    const source = this.player ?? (this.mode === 'lobby' || this.musicInMix ? this.background : undefined);
    if (source) {
      const frame = source.next();
      if (frame) this.sendCaller(this.toCaller.next(this.payloadType === 0 ? frame : ulawToAlaw(frame), FRAME_SAMPLES));
      if (source === this.player && source.done) {
        this.player = undefined;
        this.emit('played');
      }
    }
    // To the mix: silence while the caller is quiet, muted or not yet sending, so the leg carries
    // one steady 20 ms stream from the start (the media agent keeps silence away from LiveKit).
    if (this.announcement && this.mix && this.mode === 'mix') {
      const frame = this.announcement.next();
      if (frame) this.sendMix(this.toMix.next(frame, FRAME_SAMPLES));
      if (this.announcement.done) {
        this.announcement = undefined;
        this.emit('announced');
      }
    } else if (
      this.mix &&
      (this.mode !== 'mix' ||
        this.muted ||
        now - this.lastCallerAudio > Math.max(SILENCE_AFTER_MS, 2 * this.callerPacketMs + FRAME_MS))
    ) {
      this.sendMix(this.toMix.next(SILENCE_FRAME, FRAME_SAMPLES));
    }
    if (now - this.lastCallerAudio > 200) this.level = Math.max(-127, this.level - 3);
    if (this.heldByCaller)
      this.lastCallerPacket = now; // a caller on hold may send nothing
    else if (!this.timedOut && now - this.lastCallerPacket > this.mediaTimeoutMs) {
      this.timedOut = true;
      this.emit('timeout');
    }
  }

  private sendCaller(buf: Buffer): void {
    if (this.heldByCaller) return;
    const to = this.latched ?? this.expected;
    if (to.port === 0 || to.address === '0.0.0.0') return; // on hold (old-style SDP)
    this.counters.toCaller++;
    this.callerSide.send(buf, to.port, to.address);
  }

  private sendMix(buf: Buffer): void {
    if (!this.mix) return;
    this.counters.toMix++;
    this.mixSide.send(buf, this.mix.port, this.mix.address);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTicking();
    this.callerSide.close();
    this.mixSide.close();
    this.emit('closed');
  }
}

const SILENCE_FRAME = Buffer.alloc(FRAME_SAMPLES, ULAW_SILENCE);
