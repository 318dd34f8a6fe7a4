// The media agent (sip-gateway/media-agent, Go) and a private livekit-server for its test and
// benchmark: find the agent scripts/setup built, start LiveKit from a temp YAML config, drive the agent over its
// JSON-lines control channel, and play / measure PCMU RTP as the gateway's relay would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { decodeUlaw, encodeUlaw } from '../../sip-gateway/src/media/g711.ts';
import { AgentProcess } from '../../sip-gateway/src/livekit/agent-process.ts';
import { goertzel } from '../../sip-gateway/src/media/audio.ts';
import { ROOT } from './stack.ts';

export const AGENT_SRC = join(ROOT, 'sip-gateway', 'media-agent');

/**
 * The agent that scripts/setup builds (scripts/test runs it first): its path, or a clear error
 * when it is missing or older than its sources.
 */
export function agentBinary(): string {
  const bin = join(ROOT, '.tools', 'bin', 'foyer-media-agent');
  if (!existsSync(bin)) throw new Error(`no media agent at ${bin}: run scripts/setup`);
  const built = statSync(bin).mtimeMs;
  const stale = readdirSync(AGENT_SRC).find(
    (f) => /\.go$|^go\.(mod|sum)$/.test(f) && statSync(join(AGENT_SRC, f)).mtimeMs > built,
  );
  if (stale) throw new Error(`the media agent is older than ${stale}: run scripts/setup to rebuild it`);
  return bin;
}

export function livekitBinary(): string | undefined {
  const p = join(ROOT, '.tools', 'bin', 'livekit-server');
  return existsSync(p) ? p : undefined;
}

export interface LivekitOptions {
  dir: string;
  port: number;
  tcpPort: number;
  udpPort: number;
  apiKey: string;
  apiSecret: string;
}

/** A private livekit-server on loopback signalling, single-port UDP mux. */
export class LivekitServer {
  private proc: ChildProcess | undefined;
  readonly url: string;
  readonly httpUrl: string;
  readonly o: LivekitOptions;

  constructor(o: LivekitOptions) {
    this.o = o;
    this.url = `ws://127.0.0.1:${o.port}`;
    this.httpUrl = `http://127.0.0.1:${o.port}`;
    mkdirSync(o.dir, { recursive: true });
    writeFileSync(
      join(o.dir, 'livekit.yaml'),
      [
        `port: ${o.port}`,
        'bind_addresses: [127.0.0.1]',
        'rtc:',
        `  tcp_port: ${o.tcpPort}`,
        `  udp_port: ${o.udpPort}`,
        '  use_external_ip: false',
        'keys:',
        `  ${o.apiKey}: ${o.apiSecret}`,
        'logging:',
        '  level: warn',
        '',
      ].join('\n'),
    );
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(timeoutMs = 20_000): Promise<void> {
    const bin = livekitBinary();
    if (!bin) throw new Error('no livekit-server in .tools/bin (scripts/setup builds it)');
    const log = openSync(join(this.o.dir, 'livekit.log'), 'a');
    this.proc = spawn(bin, ['--config', join(this.o.dir, 'livekit.yaml')], { stdio: ['ignore', log, log] });
    closeSync(log);
    const proc = this.proc;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null)
        throw new Error(`livekit-server exited (${proc.exitCode}); see ${this.o.dir}/livekit.log`);
      try {
        const res = await fetch(this.httpUrl, { signal: AbortSignal.timeout(1000) });
        if (res.ok && (await res.text()).trim() === 'OK') return;
      } catch {
        // not yet
      }
      await sleep(200);
    }
    throw new Error(`livekit-server did not answer within ${timeoutMs} ms`);
  }

  /** Stop it (`signal` SIGKILL to simulate a crash) and wait for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

export type AgentEvent = { event: string } & Record<string, unknown>;

/** The agent as the gateway drives it (its AgentProcess), keeping every event for the tests. */
export class MediaAgent {
  readonly agent: AgentProcess;
  readonly events: AgentEvent[] = [];
  private readonly waiters = new Set<() => void>();
  stderr = '';

  constructor(bin: string, logFile?: string) {
    this.agent = new AgentProcess({
      binary: bin,
      env: process.env,
      onLog: (line) => {
        this.stderr = (this.stderr + line + '\n').slice(-20_000);
        if (logFile) appendFileSync(logFile, line + '\n');
      },
      onProtocolError: (line, reason) => {
        throw new Error(`agent wrote ${reason}: ${line}`);
      },
    });
    this.agent.on('event', (e) => {
      this.events.push(e as AgentEvent);
      for (const w of [...this.waiters]) w();
    });
  }

  get proc(): ChildProcess {
    return this.agent.proc;
  }

  request(method: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return this.agent.request(method, params, timeoutMs);
  }

  /** The first event (from index `from` on) matching `pred`, within `timeoutMs`. */
  waitEvent(pred: (e: AgentEvent) => boolean, timeoutMs: number, from = 0): Promise<AgentEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const e = this.events.slice(from).find(pred);
        if (!e) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(e);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `agent: no matching event within ${timeoutMs} ms; events: ${JSON.stringify(this.events.slice(from))}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One relay-side leg in a test: sends a PCMU tone to the agent, records what comes back. */
export class RelayLeg {
  readonly socket: Socket;
  received: Buffer[] = [];
  packets = 0;
  recording = false;
  private seq = Math.floor(Math.random() * 65536);
  private ts = Math.floor(Math.random() * 2 ** 32);
  private readonly ssrc = Math.floor(Math.random() * 2 ** 32);
  private phase = 0;
  private agentPort = 0;
  sent = 0;
  /** Tone frequency in Hz; 0 sends silence. */
  hz = 0;
  amplitude = 0.3;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (msg) => {
      this.packets++;
      if (this.recording && msg.length >= 12 + 160) this.received.push(msg.subarray(12));
    });
  }

  static async open(): Promise<RelayLeg> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new RelayLeg(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  target(port: number): void {
    this.agentPort = port;
  }

  /** Send one 20 ms packet (a frame of the tone). */
  sendFrame(): void {
    if (!this.agentPort) return;
    const frames = toneFrames(this.hz, this.amplitude);
    const pkt = Buffer.allocUnsafe(12 + 160);
    pkt[0] = 0x80;
    pkt[1] = 0;
    pkt.writeUInt16BE(this.seq, 2);
    pkt.writeUInt32BE(this.ts >>> 0, 4);
    pkt.writeUInt32BE(this.ssrc >>> 0, 8);
    frames[this.phase % frames.length]!.copy(pkt, 12);
    this.phase++;
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + 160) >>> 0;
    this.sent++;
    this.socket.send(pkt, this.agentPort, '127.0.0.1');
  }

  /** Record what the agent sends for `ms`, then return the share of energy at each frequency. */
  async measure(ms: number, freqs: number[]): Promise<{ rms: number; shares: Record<number, number>; frames: number }> {
    this.received = [];
    this.recording = true;
    await sleep(ms);
    this.recording = false;
    return toneShares(this.received, freqs);
  }

  close(): void {
    this.socket.close();
  }
}

const toneCache = new Map<string, Buffer[]>();

/** One second of a PCMU tone as 50 frames of 20 ms (0 Hz: silence), computed once per tone. */
function toneFrames(hz: number, amplitude: number): Buffer[] {
  const key = `${hz}/${amplitude}`;
  let frames = toneCache.get(key);
  if (!frames) {
    frames = [];
    for (let f = 0; f < 50; f++) {
      const pcm = new Int16Array(160);
      for (let i = 0; i < 160; i++)
        pcm[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * (f * 160 + i)) / 8000));
      frames.push(encodeUlaw(pcm, Buffer.alloc(160)));
    }
    toneCache.set(key, frames);
  }
  return frames;
}

/** Energy shares at `freqs` over 20 ms PCMU frames (Goertzel per frame; 50 Hz bins at 8 kHz). */
export function toneShares(
  frames: Buffer[],
  freqs: number[],
): { rms: number; shares: Record<number, number>; frames: number } {
  let energy = 0;
  let samples = 0;
  const at: Record<number, number> = {};
  for (const f of freqs) at[f] = 0;
  const pcm = new Int16Array(160);
  for (const frame of frames) {
    decodeUlaw(frame.subarray(0, 160), pcm);
    let e = 0;
    for (const v of pcm) e += v * v;
    energy += e;
    samples += 160;
    for (const f of freqs) at[f]! += goertzel(pcm, f, 8000) * 160;
  }
  const shares: Record<number, number> = {};
  for (const f of freqs) shares[f] = energy ? Math.min(1, at[f]! / energy) : 0;
  return { rms: samples ? Math.sqrt(energy / samples) / 32768 : 0, shares, frames: frames.length };
}

/** Call `fn` every 20 ms on a drift-corrected schedule until the returned stop() is called. */
export function every20ms(fn: () => void): () => void {
  let stopped = false;
  const start = performance.now();
  let n = 0;
  const tick = () => {
    if (stopped) return;
    const due = Math.floor((performance.now() - start) / 20) + 1;
    while (n < due) {
      n++;
      fn();
      if (due - n > 10) n = due; // fell far behind: do not burst
    }
    setTimeout(tick, Math.max(0, start + n * 20 - performance.now()));
  };
  tick();
  return () => {
    stopped = true;
  };
}

/** CPU time (user + system, in clock ticks) of a process, from /proc/<pid>/stat. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
