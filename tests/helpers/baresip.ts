// baresip as a real SIP phone for tests: its own config folder, a sine tone as microphone
// (ausine), the received audio recorded to WAV (sndfile), remote-controlled over ctrl_tcp
// (netstring JSON). Note: baresip's SIP TLS listener takes the SIP port + 1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rms, toneRatio } from '../../sip-gateway/src/media/audio.ts';
import { mono, readWav } from '../../sip-gateway/src/media/wav.ts';
import { freePort, testRtpRange } from './sipp.ts';

export interface BaresipEvent {
  type: string;
  class?: string;
  param?: string;
  [key: string]: unknown;
}

export interface BaresipOptions {
  name: string;
  sipPort: number;
  ctrlPort: number;
  rtpPorts: [number, number];
  toneHz: number;
}

export class Baresip {
  readonly dir: string;
  readonly recordings: string;
  private readonly proc: ChildProcess;
  private readonly sock: Socket;
  private buffer = '';
  private readonly events: BaresipEvent[] = [];
  private readonly waiters: { match: (e: BaresipEvent) => boolean; resolve: (e: BaresipEvent) => void }[] = [];
  private readonly responses = new Map<string, (r: { ok: boolean; data: string }) => void>();
  private token = 0;
  log = '';

  private constructor(dir: string, proc: ChildProcess, sock: Socket) {
    this.dir = dir;
    this.recordings = join(dir, 'rec');
    this.proc = proc;
    this.sock = sock;
    sock.on('data', (d) => this.onData(d.toString('utf8')));
  }

  static async start(o: BaresipOptions): Promise<Baresip> {
    const dir = mkdtempSync(join(tmpdir(), `baresip-${o.name}-`));
    mkdirSync(join(dir, 'rec'));
    writeFileSync(
      join(dir, 'config'),
      [
        `sip_listen 127.0.0.1:${o.sipPort}`,
        'audio_player aubridge,nil',
        'audio_alert aubridge,nil',
        `audio_source ausine,${o.toneHz}`,
        'ausrc_srate 48000',
        'ausrc_channels 2',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module ausine.so',
        'module aubridge.so',
        'module sndfile.so',
        'module_app account.so',
        'module_app menu.so', // the dial, hangup and sndcode commands
        'module_app ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${o.ctrlPort}`,
        `snd_path ${join(dir, 'rec')}`,
        `rtp_ports ${o.rtpPorts[0]}-${o.rtpPorts[1]}`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'accounts'), `<sip:${o.name}@127.0.0.1:${o.sipPort}>;regint=0;audio_codecs=PCMU/8000/1\n`);
    const proc = spawn('baresip', ['-f', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port: o.ctrlPort }, () => resolve(s));
          s.once('error', reject);
        });
        const b = new Baresip(dir, proc, sock);
        proc.stdout?.on('data', (d: Buffer) => (b.log += d.toString()));
        b.log = log;
        return b;
      } catch {
        if (Date.now() > deadline || proc.exitCode !== null) {
          proc.kill('SIGKILL');
          throw new Error(`baresip ${o.name} did not start:\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private onData(text: string): void {
    this.buffer += text;
    for (;;) {
      const colon = this.buffer.indexOf(':');
      if (colon < 0) return;
      const len = Number(this.buffer.slice(0, colon));
      if (!Number.isInteger(len) || this.buffer.length < colon + 1 + len + 1) return;
      const json = this.buffer.slice(colon + 1, colon + 1 + len);
      this.buffer = this.buffer.slice(colon + 2 + len);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(json) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.response && typeof msg.token === 'string') {
        this.responses.get(msg.token)?.({ ok: msg.ok === true, data: String(msg.data ?? '') });
        this.responses.delete(msg.token);
      } else if (msg.event) {
        const e = msg as BaresipEvent;
        this.events.push(e);
        for (const w of [...this.waiters]) {
          if (w.match(e)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(e);
          }
        }
      }
    }
  }

  command(command: string, params = ''): Promise<{ ok: boolean; data: string }> {
    const token = `t${++this.token}`;
    const json = JSON.stringify({ command, params, token });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`baresip: no answer to ${command}`)), 5000);
      this.responses.set(token, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.sock.write(`${Buffer.byteLength(json)}:${json},`);
    });
  }

  /** Events so far: a later waitFor(type, timeout, since) ignores the ones before (a second call). */
  get eventCount(): number {
    return this.events.length;
  }

  /** The first event of this type (past ones from index `since` on, or future). */
  waitFor(type: string, timeoutMs = 15_000, since = 0): Promise<BaresipEvent> {
    const seen = this.events.slice(since).find((e) => e.type === type);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`baresip: no ${type} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match: (e) => e.type === type,
        resolve: (e) => {
          clearTimeout(t);
          resolve(e);
        },
      });
    });
  }

  async dial(uri: string): Promise<void> {
    const r = await this.command('dial', uri);
    if (!r.ok) throw new Error(`baresip dial failed: ${r.data}`);
  }

  /** Press keys (RFC 4733 events), with a pause between presses. */
  async press(keys: string, gapMs = 250): Promise<void> {
    for (const k of keys) {
      await this.command('sndcode', k);
      await new Promise((r) => setTimeout(r, gapMs));
    }
  }

  async hangup(): Promise<void> {
    await this.command('hangup').catch(() => undefined);
  }

  /** WAV files of received (decoded) audio. */
  receivedAudioFiles(): string[] {
    return readdirSync(this.recordings)
      .filter((f) => f.endsWith('-dec.wav'))
      .map((f) => join(this.recordings, f));
  }

  /**
   * Audio received between two wall-clock times. The recording ends when the call does, so times
   * are placed by their distance from the hang-up.
   */
  heard(hungUpAt: number, from: number, to: number): { rms: number; tone: (hz: number) => number } {
    const file = this.receivedAudioFiles()[0];
    if (!file) throw new Error(`no recording in ${this.recordings}:\n${this.log.slice(-2000)}`);
    const wav = readWav(file);
    const samples = mono(wav.samples, wav.channels);
    const at = (t: number) => Math.max(0, samples.length - Math.round(((hungUpAt - t) / 1000) * wav.sampleRate));
    const seg = samples.subarray(at(from), at(to));
    if (seg.length < wav.sampleRate) throw new Error('the window does not lie inside the recording');
    return { rms: rms(seg), tone: (hz: number) => toneRatio(seg, hz, wav.sampleRate) };
  }

  async stop(): Promise<void> {
    await this.command('quit').catch(() => undefined);
    this.sock.destroy();
    const exited = new Promise((r) => this.proc.once('exit', r));
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    if (this.proc.exitCode === null) await exited;
    clearTimeout(t);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Two phones for who-hears-whom tests: A sends 440 Hz, B 1000 Hz, each with 100 RTP ports of
 * the tests' RTP range. `stop` ends and removes both (for afterAll or a cleanup list).
 */
export async function startPhonePair(name: string): Promise<{ a: Baresip; b: Baresip; stop: () => Promise<void> }> {
  const [rtpBase] = testRtpRange(200);
  const phones: Baresip[] = [];
  const stop = async () => {
    for (const p of phones) {
      await p.stop();
      p.cleanup();
    }
  };
  try {
    for (const [i, hz] of [440, 1000].entries()) {
      phones.push(
        await Baresip.start({
          name: `${name}${i}`,
          sipPort: await freePort(),
          ctrlPort: await freePort(),
          rtpPorts: [rtpBase + i * 100, rtpBase + i * 100 + 99],
          toneHz: hz,
        }),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const [a, b] = phones as [Baresip, Baresip];
  return { a, b, stop };
}

/** One phone sending a tone, with 100 RTP ports of the tests' range; `close` ends and removes it. */
export async function startTonePhone(name: string, toneHz: number): Promise<Baresip & { close(): Promise<void> }> {
  const phone = await Baresip.start({
    name,
    sipPort: await freePort(),
    ctrlPort: await freePort(),
    rtpPorts: testRtpRange(100),
    toneHz,
  });
  return Object.assign(phone, {
    close: async () => {
      await phone.stop();
      phone.cleanup();
    },
  });
}
