// A probe caller: a minimal SIP user agent over UDP (plain INVITE/ACK/BYE, enough for our
// gateway) with its own RTP socket. It offers PCMU + telephone-event at its packet time, enters
// the PIN as RFC 4733 events, then sends silence with a short burst of its own tone once per
// period, and listens to what the conference sends back: per 20 ms window it decodes PCMU and
// looks for every other probe's tone (and the load callers' tones) by Goertzel energy. Send and
// arrival times are on this process's clock (performance.now()), so the benchmark pairs them
// into mouth-to-ear latencies (bench/lib/measure.ts).
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { decodeUlaw, encodeUlaw, ULAW_SILENCE } from '../../sip-gateway/src/media/g711.ts';
import { goertzel } from '../../sip-gateway/src/media/audio.ts';
import { buildRtp, parseRtp } from '../../sip-gateway/src/media/rtp.ts';
import { inBurst, SAMPLE_RATE, toneIn, windows } from './measure.ts';

export interface ProbeOptions {
  gateway: { host: string; port: number };
  /** The dialled number (Request-URI user). */
  service: string;
  callerId: string;
  ptimeMs: number;
  toneHz: number;
  /** Frequencies to listen for (other probes', the load tones). */
  listenHz: readonly number[];
  sipPort: number;
  rtpPort: number;
  amplitude?: number;
}

export interface BurstPlan {
  periodMs: number;
  offsetMs: number;
  burstMs: number;
}

interface Message {
  startLine: string;
  headers: Map<string, string[]>;
  body: string;
}

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
};

function parseSip(text: string): Message | undefined {
  const split = text.indexOf('\r\n\r\n');
  const head = split >= 0 ? text.slice(0, split) : text;
  const body = split >= 0 ? text.slice(split + 4) : '';
  const [startLine, ...lines] = head.split('\r\n');
  if (!startLine) return undefined;
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    let name = line.slice(0, colon).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers, body };
}

const header = (m: Message, name: string) => m.headers.get(name)?.[0] ?? '';

/** The remote RTP address of an SDP (c= and the audio m= line) and its telephone-event payload type. */
function sdpRemote(sdp: string): { host: string; port: number; dtmfPt: number } | undefined {
  const host = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
  const port = Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);
  if (!host || !port) return undefined;
  const dtmfPt = Number(/^a=rtpmap:(\d+) telephone-event\/8000/im.exec(sdp)?.[1] ?? 101);
  return { host, port, dtmfPt };
}

const DTMF_CODES: Record<string, number> = { '*': 10, '#': 11 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ProbeCaller {
  readonly o: ProbeOptions;
  readonly #sip: Socket;
  readonly #rtp: Socket;
  readonly #callId = `${randomBytes(8).toString('hex')}@probe`;
  readonly #fromTag = randomBytes(4).toString('hex');
  #toHeader = '';
  #remoteTarget = '';
  #remoteRtp: { host: string; port: number; dtmfPt: number } | undefined;
  #cseq = 1;
  #waiters: ((m: Message) => boolean)[] = [];
  /** INVITE sent, 183 and 200 received (performance.now() ms). */
  readonly times: { invite?: number; early?: number; answered?: number; ended?: number } = {};
  #closed = false;
  /** Set when the gateway hung up. */
  hungUp = false;

  // Audio sending.
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #packetIndex = 0;
  #seq = randomBytes(2).readUInt16BE(0);
  #ts = randomBytes(4).readUInt32BE(0);
  readonly #ssrc = randomBytes(4).readUInt32BE(0);
  #phase = 0;
  #plan: BurstPlan | undefined;
  #wasTone = false;
  #digits: { code: number; ticks: number; startTs: number; tick: number }[] = [];
  /** Send time of the first packet of each burst. */
  readonly burstsSent: number[] = [];
  /** How late the sending loop ran behind its own clock, worst case (ms). */
  maxSendLagMs = 0;

  // Receiving.
  readonly heard = new Map<number, number[]>();
  packetsIn = 0;
  /** While set, the mean power at each listened frequency is summed here (Goertzel, ≈ A²/2). */
  levels: Map<number, { sum: number; n: number }> | undefined;
  /** Arrival time of every PCMU packet received. */
  readonly arrivals: number[] = [];

  constructor(o: ProbeOptions) {
    this.o = o;
    for (const f of o.listenHz) this.heard.set(f, []);
    this.#sip = createSocket('udp4');
    this.#rtp = createSocket('udp4');
    this.#sip.on('message', (buf, from) => this.#onSip(buf.toString('utf8'), from));
    this.#rtp.on('message', (buf) => this.#onRtp(buf));
  }

  async bind(): Promise<void> {
    await Promise.all([
      new Promise<void>((r, j) => {
        this.#sip.once('error', j);
        this.#sip.bind(this.o.sipPort, '127.0.0.1', () => r());
      }),
      new Promise<void>((r, j) => {
        this.#rtp.once('error', j);
        this.#rtp.bind(this.o.rtpPort, '127.0.0.1', () => r());
      }),
    ]);
  }

  #send(text: string): void {
    this.#sip.send(Buffer.from(text), this.o.gateway.port, this.o.gateway.host);
  }

  #via(branch: string): string {
    return `SIP/2.0/UDP 127.0.0.1:${this.o.sipPort};branch=z9hG4bK${branch};rport`;
  }

  #sdp(): string {
    return [
      'v=0',
      `o=probe ${this.#ssrc} 1 IN IP4 127.0.0.1`,
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${this.o.rtpPort} RTP/AVP 0 101`,
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      `a=ptime:${this.o.ptimeMs}`,
      'a=sendrecv',
      '',
    ].join('\r\n');
  }

  #request(method: string, uri: string, branch: string, cseq: number, extra: string[] = [], body = ''): string {
    const to =
      method === 'INVITE' && !this.#toHeader ? `<sip:${this.o.service}@${this.o.gateway.host}>` : this.#toHeader;
    return [
      `${method} ${uri} SIP/2.0`,
      `Via: ${this.#via(branch)}`,
      'Max-Forwards: 70',
      `From: "Probe" <sip:${this.o.callerId}@127.0.0.1:${this.o.sipPort}>;tag=${this.#fromTag}`,
      `To: ${to}`,
      `Call-ID: ${this.#callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:probe@127.0.0.1:${this.o.sipPort}>`,
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  }

  #onSip(text: string, from: RemoteInfo): void {
    const m = parseSip(text);
    if (!m) return;
    if (m.startLine.startsWith('SIP/2.0 ')) {
      for (const w of [...this.#waiters]) if (w(m)) this.#waiters.splice(this.#waiters.indexOf(w), 1);
      return;
    }
    // A request from the gateway (BYE, INFO, OPTIONS, a re-INVITE): answer 200.
    const method = m.startLine.split(' ')[0] ?? '';
    if (method === 'ACK') return;
    const isInvite = method === 'INVITE';
    const body = isInvite ? this.#sdp() : '';
    const reply = [
      'SIP/2.0 200 OK',
      ...(m.headers.get('via') ?? []).map((v) => `Via: ${v}`),
      `From: ${header(m, 'from')}`,
      `To: ${header(m, 'to')}`,
      `Call-ID: ${header(m, 'call-id')}`,
      `CSeq: ${header(m, 'cseq')}`,
      `Contact: <sip:probe@127.0.0.1:${this.o.sipPort}>`,
      ...(isInvite ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    this.#sip.send(Buffer.from(reply), from.port, from.address);
    if (method === 'BYE') {
      this.hungUp = true;
      this.times.ended = performance.now();
    }
  }

  /** INVITE until answered (200) or failed; ACKs every 2xx. Resolves with the 200's time. */
  async call(timeoutMs = 20_000): Promise<void> {
    const branch = randomBytes(6).toString('hex');
    const uri = `sip:${this.o.service}@${this.o.gateway.host}:${this.o.gateway.port}`;
    const invite = this.#request('INVITE', uri, branch, 1, ['Content-Type: application/sdp'], this.#sdp());
    this.times.invite = performance.now();
    let provisional = false;
    const answered = new Promise<void>((resolve, reject) => {
      this.#waiters.push((m) => {
        if (!header(m, 'cseq').endsWith('INVITE') || header(m, 'call-id') !== this.#callId) return false;
        const status = Number(m.startLine.split(' ')[1]);
        if (status < 200) {
          provisional = true;
          if (status === 183 && this.times.early === undefined) this.times.early = performance.now();
          if (m.body.includes('m=audio')) this.#remoteRtp ??= sdpRemote(m.body);
          return false;
        }
        this.#toHeader = header(m, 'to');
        if (status >= 300) {
          this.#send(this.#request('ACK', uri, branch, 1));
          reject(new Error(`INVITE answered ${m.startLine}`));
          return true;
        }
        this.times.answered ??= performance.now();
        this.#remoteTarget = /<([^>]+)>/.exec(header(m, 'contact'))?.[1] ?? uri;
        this.#remoteRtp = sdpRemote(m.body) ?? this.#remoteRtp;
        // ACK every 200 (a lost ACK makes the gateway retransmit it); keep this waiter.
        this.#send(this.#request('ACK', this.#remoteTarget, randomBytes(6).toString('hex'), 1));
        resolve();
        return false;
      });
    });
    const deadline = Date.now() + timeoutMs;
    let interval = 500;
    let done = false;
    void answered.then(
      () => (done = true),
      () => (done = true),
    );
    this.#send(invite);
    while (!done && Date.now() < deadline) {
      await Promise.race([answered.catch(() => undefined), sleep(interval)]);
      if (!done && !provisional) {
        this.#send(invite);
        interval = Math.min(interval * 2, 4000);
      }
    }
    if (!done) throw new Error(`INVITE not answered within ${timeoutMs} ms`);
    await answered;
    if (!this.#remoteRtp) throw new Error('the answer carried no usable SDP');
  }

  /** Starts the RTP clock: silence, or the tone during bursts once a plan is set. */
  startAudio(): void {
    this.#startedAt = performance.now();
    const tick = () => {
      const now = performance.now();
      // Send every packet that is due (a phone's clock does not wait for ours).
      while (this.#startedAt + this.#packetIndex * this.o.ptimeMs <= now) {
        const due = this.#startedAt + this.#packetIndex * this.o.ptimeMs;
        this.maxSendLagMs = Math.max(this.maxSendLagMs, now - due);
        this.#sendPacket(now);
        this.#packetIndex++;
      }
      const next = this.#startedAt + this.#packetIndex * this.o.ptimeMs;
      this.#timer = setTimeout(tick, Math.max(0, next - performance.now()));
    };
    tick();
  }

  #rtpOut(payloadType: number, payload: Buffer, marker: boolean, timestamp: number): void {
    const r = this.#remoteRtp;
    if (!r) return;
    const pkt = buildRtp({ payloadType, marker, sequence: this.#seq, timestamp, ssrc: this.#ssrc, payload });
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#rtp.send(pkt, r.port, r.host);
  }

  #sendPacket(now: number): void {
    const samples = (SAMPLE_RATE * this.o.ptimeMs) / 1000;
    const digit = this.#digits[0];
    if (digit && this.#remoteRtp) {
      // RFC 4733: the event's packets carry its start timestamp and the duration so far; the
      // end is sent three times.
      if (digit.tick === 0) digit.startTs = this.#ts;
      digit.tick++;
      const end = digit.tick >= digit.ticks;
      const payload = Buffer.alloc(4);
      payload[0] = digit.code;
      payload[1] = (end ? 0x80 : 0) | 10;
      payload.writeUInt16BE(Math.min(0xffff, digit.tick * samples), 2);
      for (let i = 0; i < (end ? 3 : 1); i++) {
        this.#rtpOut(this.#remoteRtp.dtmfPt, payload, digit.tick === 1, digit.startTs);
      }
      if (end) this.#digits.shift();
    } else {
      const t = this.#packetIndex * this.o.ptimeMs;
      const plan = this.#plan;
      const tone = plan !== undefined && inBurst(t, plan);
      let payload: Buffer;
      if (tone) {
        const pcm = new Int16Array(samples);
        const a = this.o.amplitude ?? 8000;
        for (let s = 0; s < samples; s++, this.#phase++) {
          pcm[s] = Math.round(a * Math.sin((2 * Math.PI * this.o.toneHz * this.#phase) / SAMPLE_RATE));
        }
        payload = encodeUlaw(pcm);
        if (!this.#wasTone) this.burstsSent.push(now);
      } else {
        payload = Buffer.alloc(samples, ULAW_SILENCE);
      }
      this.#wasTone = tone;
      this.#rtpOut(0, payload, false, this.#ts);
    }
    this.#ts = (this.#ts + samples) >>> 0;
  }

  /** Queues the keys as RFC 4733 events (~100 ms each, then a pause of silence) and waits until sent. */
  async sendKeys(keys: string): Promise<void> {
    const ticks = Math.max(2, Math.round(100 / this.o.ptimeMs));
    for (const k of keys) {
      const code = DTMF_CODES[k] ?? Number(k);
      this.#digits.push({ code, ticks, startTs: this.#ts, tick: 0 });
      const deadline = Date.now() + 5000;
      while (this.#digits.length > 0 && Date.now() < deadline) await sleep(10);
      await sleep(150);
    }
  }

  /** From now on, bursts of the tone by this plan (audio time of this probe's stream). */
  startBursts(plan: BurstPlan): void {
    const now = this.#packetIndex * this.o.ptimeMs;
    // Align the first burst to the next period boundary after now plus the offset.
    const base = Math.ceil(now / plan.periodMs) * plan.periodMs;
    this.#plan = { ...plan, offsetMs: base + plan.offsetMs };
  }

  stopBursts(): void {
    this.#plan = undefined;
  }

  #onRtp(buf: Buffer): void {
    const at = performance.now();
    const p = parseRtp(buf);
    if (!p || p.payloadType !== 0) return;
    this.packetsIn++;
    this.arrivals.push(at);
    const pcm = decodeUlaw(p.payload);
    const ws = windows(pcm);
    for (const f of this.o.listenHz) {
      if (ws.some((w) => toneIn(w, f))) this.heard.get(f)!.push(at);
      const l = this.levels?.get(f);
      if (l) {
        for (const w of ws) l.sum += goertzel(w, f, SAMPLE_RATE);
        l.n += ws.length;
      }
    }
  }

  /** BYE (bounded), stop the clock, close the sockets. */
  async hangup(timeoutMs = 4000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (!this.hungUp && this.#remoteTarget) {
      const branch = randomBytes(6).toString('hex');
      const bye = this.#request('BYE', this.#remoteTarget, branch, ++this.#cseq);
      const done = new Promise<void>((resolve) =>
        this.#waiters.push((m) => {
          if (!header(m, 'cseq').endsWith('BYE')) return false;
          resolve();
          return true;
        }),
      );
      const deadline = Date.now() + timeoutMs;
      let answered = false;
      void done.then(() => (answered = true));
      while (!answered && Date.now() < deadline) {
        this.#send(bye);
        await Promise.race([done, sleep(500)]);
      }
    }
    this.#sip.close();
    this.#rtp.close();
  }
}
