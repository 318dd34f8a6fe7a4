// The main thread's side of the relay worker (relay-worker.ts): one worker runs every call's RTP
// relay and their clock; here each call holds a Relay handle with the relay's own interface
// (modes, prompts, recording, events), whose commands go to the worker in order and whose events,
// levels and counters come back. A worker that dies takes its calls' media with it: each of
// them gets 'timeout' (the call is hung up) and the next call starts a new worker.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@foyer/common';
import {
  RELAY_COUNTERS,
  type FromWorker,
  type RelayFlag,
  type RelayWorkerConfig,
  type ToWorker,
} from './relay-protocol.ts';
import type { RelayCallOptions, RelayEvents, RelayMode } from './relay.ts';

export type RelayCounters = Record<(typeof RELAY_COUNTERS)[number], number>;

/** One call's relay, as calls and conferences use it (the engine is relay.ts, in the worker). */
export interface Relay extends EventEmitter<RelayEvents> {
  mode: RelayMode;
  muted: boolean;
  /** In the mix but alone: the caller hears the music instead of the (silent) mix. */
  musicInMix: boolean;
  /** The caller put us on hold: send them nothing until they resume. */
  heldByCaller: boolean;
  readonly callerPort: number;
  readonly mixPort: number;
  /** Smoothed speaking level of the caller, dBov (−127 = silence), as last reported. */
  readonly level: number;
  readonly counters: RelayCounters;
  /** A prompt started with play() is playing (not music). */
  readonly playing: boolean;
  play(ulaw: Buffer, o: { loop: boolean }): void;
  stopPlayback(o?: { music?: boolean }): void;
  startRecording(maxMs: number): void;
  stopRecording(): Promise<Buffer>;
  announce(ulaw: Buffer): void;
  setRemote(remote: { address: string; port: number }): void;
  setMix(remote: { address: string; port: number } | undefined): void;
  close(): void;
}

class RelayHandle extends EventEmitter<RelayEvents> implements Relay {
  readonly id: number;
  readonly callerPort: number;
  readonly mixPort: number;
  level = -127;
  readonly counters: RelayCounters = { fromCaller: 0, toCaller: 0, fromMix: 0, toMix: 0, dtmf: 0, dropped: 0 };
  private readonly send: (m: ToWorker) => void;
  private readonly flags: { mode: RelayMode; muted: boolean; musicInMix: boolean; heldByCaller: boolean } = {
    mode: 'lobby',
    muted: false,
    musicInMix: false,
    heldByCaller: false,
  };
  private seq = 0;
  /** The prompt playing now (its sequence number), as far as this side knows. */
  private playingSeq: number | undefined;
  private readonly recordings = new Map<number, (b: Buffer) => void>();
  private closed = false;

  constructor(id: number, ports: { callerPort: number; mixPort: number }, send: (m: ToWorker) => void) {
    super();
    this.id = id;
    this.callerPort = ports.callerPort;
    this.mixPort = ports.mixPort;
    this.send = send;
  }

  private setFlag<K extends RelayFlag>(key: K, value: (typeof this.flags)[K]): void {
    if (this.flags[key] === value) return;
    this.flags[key] = value;
    this.send({ t: 'set', id: this.id, key, value } as ToWorker);
  }

  get mode(): RelayMode {
    return this.flags.mode;
  }
  set mode(v: RelayMode) {
    this.setFlag('mode', v);
  }
  get muted(): boolean {
    return this.flags.muted;
  }
  set muted(v: boolean) {
    this.setFlag('muted', v);
  }
  get musicInMix(): boolean {
    return this.flags.musicInMix;
  }
  set musicInMix(v: boolean) {
    this.setFlag('musicInMix', v);
  }
  get heldByCaller(): boolean {
    return this.flags.heldByCaller;
  }
  set heldByCaller(v: boolean) {
    this.setFlag('heldByCaller', v);
  }

  get playing(): boolean {
    return this.playingSeq !== undefined;
  }

  play(ulaw: Buffer, o: { loop: boolean }): void {
    const seq = ++this.seq;
    // Music replaces the prompt too (relay.ts): only a prompt is "playing".
    this.playingSeq = o.loop ? undefined : seq;
    // Prompts live in shared memory (prompts.ts): posting one shares it instead of copying.
    this.send({ t: 'play', id: this.id, seq, sound: ulaw, loop: o.loop });
  }

  stopPlayback(o: { music?: boolean } = {}): void {
    this.playingSeq = undefined;
    this.send({ t: 'stop', id: this.id, music: o.music === true });
  }

  startRecording(maxMs: number): void {
    this.send({ t: 'record', id: this.id, maxMs });
  }

  stopRecording(): Promise<Buffer> {
    if (this.closed) return Promise.resolve(Buffer.alloc(0));
    const req = ++this.seq;
    return new Promise((resolve) => {
      this.recordings.set(req, resolve);
      this.send({ t: 'stopRecording', id: this.id, req });
    });
  }

  announce(ulaw: Buffer): void {
    this.send({ t: 'announce', id: this.id, sound: ulaw });
  }

  setRemote(remote: { address: string; port: number }): void {
    this.send({ t: 'remote', id: this.id, remote });
  }

  setMix(remote: { address: string; port: number } | undefined): void {
    this.send({ t: 'mix', id: this.id, remote: remote ?? null });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.send({ t: 'close', id: this.id });
    this.settleRecordings();
    this.emit('closed');
  }

  /** From the worker. */
  receive(m: FromWorker): void {
    switch (m.t) {
      case 'dtmf':
        this.emit('dtmf', m.digit);
        return;
      case 'timeout':
        this.emit('timeout');
        return;
      case 'played':
        // A prompt replaced or stopped on this side meanwhile has not "played".
        if (m.seq !== this.playingSeq) return;
        this.playingSeq = undefined;
        this.emit('played');
        return;
      case 'announced':
        this.emit('announced');
        return;
      case 'recording':
        this.recordings.get(m.req)?.(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
        this.recordings.delete(m.req);
        return;
      default:
        return;
    }
  }

  stats(level: number, counters: number[]): void {
    this.level = level;
    RELAY_COUNTERS.forEach((k, i) => (this.counters[k] = counters[i] ?? 0));
  }

  /** The worker is gone: no recording will come, and the caller hears nothing any more. */
  lost(): void {
    this.settleRecordings();
    if (!this.closed) this.emit('timeout');
  }

  private settleRecordings(): void {
    for (const resolve of this.recordings.values()) resolve(Buffer.alloc(0));
    this.recordings.clear();
  }
}

export interface RelayHostOptions {
  bind: string;
  portMin: number;
  portMax: number;
  log: Logger;
  statsEveryMs?: number;
}

export class RelayHost {
  private readonly o: RelayHostOptions;
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly handles = new Map<number, RelayHandle>();
  private readonly opening = new Map<number, { resolve: (r: Relay) => void; reject: (e: Error) => void }>();
  /** The worker's media clock, as last reported (metrics). */
  clock = { wakes: 0, lateWakes: 0, skippedFrames: 0 };
  /** Workers started (1 unless one died). */
  workersStarted = 0;
  private stopped = false;

  constructor(o: RelayHostOptions) {
    this.o = o;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const config: RelayWorkerConfig = {
      bind: this.o.bind,
      portMin: this.o.portMin,
      portMax: this.o.portMax,
      statsEveryMs: this.o.statsEveryMs ?? 200,
    };
    const worker = new Worker(new URL('./relay-worker.ts', import.meta.url), { workerData: config });
    this.workersStarted++;
    worker.on('message', (m: FromWorker) => this.receive(m));
    worker.on('error', (err) => this.o.log.error({ err: err.message }, 'relay worker failed'));
    worker.on('exit', (code) => this.lost(worker, code));
    this.worker = worker;
    return worker;
  }

  private lost(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    if (this.stopped) return;
    this.o.log.error({ code, calls: this.handles.size }, 'relay worker exited: its calls lose their media');
    for (const p of this.opening.values()) p.reject(new Error('relay worker exited'));
    this.opening.clear();
    for (const h of this.handles.values()) h.lost();
    this.handles.clear();
  }

  private receive(m: FromWorker): void {
    switch (m.t) {
      case 'stats':
        this.clock = m.clock;
        for (const [id, level, ...counters] of m.relays) this.handles.get(id)?.stats(level, counters);
        return;
      case 'opened': {
        const p = this.opening.get(m.id);
        this.opening.delete(m.id);
        const handle = new RelayHandle(m.id, m, (msg) => this.worker?.postMessage(msg));
        if (!p) {
          handle.close(); // nobody waits for it any more
          return;
        }
        this.handles.set(m.id, handle);
        handle.once('closed', () => this.handles.delete(m.id));
        p.resolve(handle);
        return;
      }
      case 'openFailed':
        this.opening.get(m.id)?.reject(new Error(m.error));
        this.opening.delete(m.id);
        return;
      default:
        this.handles.get(m.id)?.receive(m);
    }
  }

  /** Start the worker now (at the gateway's start), so the first call does not wait for it. */
  async start(): Promise<void> {
    const worker = this.ensureWorker();
    await new Promise<void>((resolve, reject) => {
      worker.once('online', () => resolve());
      worker.once('error', reject);
    });
  }

  /** A relay for a new call: two UDP ports of the range, bound in the worker. */
  open(o: RelayCallOptions): Promise<Relay> {
    if (this.stopped) return Promise.reject(new Error('relays stopped'));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.opening.set(id, { resolve, reject });
      worker.postMessage({ t: 'open', id, o } satisfies ToWorker);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const h of [...this.handles.values()]) h.close();
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
