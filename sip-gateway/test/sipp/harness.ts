// Test harness for the SIP layer: free ports, a SIP server with a tiny call-answering app, SIPp
// runs with bounded time, and a raw UDP/TCP peer for what SIPp cannot send (garbage, floods).
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { freePort, runSipp as runSippShared } from '../../../tests/helpers/sipp.ts';
import { createSipServer, type SipServer, type SipServerOptions } from '../../src/sip/server.ts';
import type { CallEvents, IncomingCall } from '../../src/sip/types.ts';

export const SCENARIOS = import.meta.dirname;
/** The RTP port our test app answers with. */
export const LOCAL_RTP_PORT = 40000;

export { freePort };

export interface RecordedCall {
  call: IncomingCall;
  /** Events in order, with their arguments. */
  events: [keyof CallEvents, ...unknown[]][];
  ended: Promise<string>;
}

export interface TestServer {
  server: SipServer;
  port: number;
  calls: RecordedCall[];
  /** Parsed JSON log lines. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * A SIP server on 127.0.0.1 with an app that behaves by the dialled number:
 * "ring" rings only, "hangup" answers and hangs up after the ACK, "early" sends 183 with SDP
 * and answers 100 ms later, "silent" does nothing at all, "throw" throws from the listener;
 * anything else rings and answers.
 */
export async function startTestServer(opts: Partial<SipServerOptions> = {}): Promise<TestServer> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const port = opts.port ?? (await freePort());
  const server = await createSipServer({
    bind: '127.0.0.1',
    port,
    transports: ['udp', 'tcp'],
    trunks: [{ name: 'loopback', sourceAddresses: ['127.0.0.1/32'] }],
    log,
    ...opts,
  });
  const calls: RecordedCall[] = [];
  server.on('call', (call) => {
    const events: RecordedCall['events'] = [];
    for (const name of ['ack', 'cancel', 'bye', 'info', 'reinvite', 'ended'] as const) {
      call.on(name, (...args: unknown[]) => events.push([name, ...args]));
    }
    const ended = new Promise<string>((resolve) => call.once('ended', resolve));
    calls.push({ call, events, ended });
    const local = {
      address: '127.0.0.1',
      port: LOCAL_RTP_PORT,
      payloadType: call.offer.g711[0] ?? 0,
      ...(call.offer.telephoneEvent !== undefined ? { telephoneEvent: call.offer.telephoneEvent } : {}),
    };
    switch (call.dialled) {
      case 'silent':
        return;
      case 'throw':
        throw new Error('application bug');
      case 'ring':
        call.ringing();
        return;
      case 'early':
        call.progress(local);
        setTimeout(() => call.answer(local), 100);
        return;
      case 'hangup':
        call.once('ack', () => setTimeout(() => call.hangup(), 50));
        break;
    }
    call.ringing();
    call.answer(local);
  });
  return { server, port, calls, logs, close: () => server.close() };
}

export interface SippResult {
  code: number;
  /** The end of SIPp's screen output and its error log, for failure messages. */
  output: string;
}

/** Run one SIPp call from a scenario file here (exit code 0 = the scenario passed). */
export async function runSipp(o: {
  scenario: string;
  serverPort: number;
  transport: 'u1' | 't1';
  service?: string;
  extra?: string[];
  limitMs?: number;
}): Promise<SippResult> {
  const r = await runSippShared(
    { file: join(SCENARIOS, o.scenario) },
    { host: '127.0.0.1', port: o.serverPort },
    {
      transport: o.transport,
      service: o.service ?? 'answer',
      timeoutS: 15,
      extra: o.extra,
      limitMs: o.limitMs ?? 25_000,
    },
  );
  return { code: r.code, output: `${o.scenario} ${o.transport}: exit ${r.code}\n${r.errors}\n${r.output}` };
}

/** A SIP message with a correct Content-Length (ASCII). */
export function sipMessage(startLine: string, headers: string[], body = ''): string {
  return [startLine, ...headers, `Content-Length: ${body.length}`, '', body].join('\r\n');
}

let seq = 0;
/** Headers of a request from a raw peer on 127.0.0.1:peerPort. */
export function requestHeaders(o: {
  method: string;
  peerPort: number;
  transport?: 'UDP' | 'TCP';
  callId?: string;
  cseq?: number;
  fromTag?: string;
  toTag?: string;
  branch?: string;
}): string[] {
  seq += 1;
  return [
    `Via: SIP/2.0/${o.transport ?? 'UDP'} 127.0.0.1:${o.peerPort};branch=${o.branch ?? `z9hG4bK-raw-${seq}`}`,
    `From: <sip:raw@127.0.0.1:${o.peerPort}>;tag=${o.fromTag ?? 'rawtag'}`,
    `To: <sip:answer@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId ?? `raw-${seq}@127.0.0.1`}`,
    `CSeq: ${o.cseq ?? 1} ${o.method}`,
    `Contact: <sip:raw@127.0.0.1:${o.peerPort}>`,
    'Max-Forwards: 70',
  ];
}

export const PCMU_OFFER = [
  'v=0',
  'o=raw 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 7000 RTP/AVP 0 101',
  'a=rtpmap:101 telephone-event/8000',
  '',
].join('\r\n');

/** A UDP socket that keeps what it receives, to wait for a matching message. */
export class RawUdpPeer {
  readonly received: string[] = [];
  private readonly socket: dgram.Socket;
  private waiters: { match: (m: string) => boolean; resolve: (m: string) => void }[] = [];

  private constructor(socket: dgram.Socket) {
    this.socket = socket;
    socket.on('message', (b) => {
      const m = b.toString('latin1');
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => (w.match(m) ? (w.resolve(m), false) : true));
    });
  }

  static async open(): Promise<RawUdpPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new RawUdpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(port: number, data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, port, '127.0.0.1', (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  /** The first message (already received or coming) that matches, or an error after timeoutMs. */
  waitFor(match: (m: string) => boolean, timeoutMs = 3000, from = 0): Promise<string> {
    const seen = this.received.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching SIP message in time')), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

export const statusOf = (m: string): number => Number(/^SIP\/2\.0 (\d{3})/.exec(m)?.[1] ?? 0);
export const headerOf = (m: string, name: string): string | undefined =>
  new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(m)?.[1]?.trim();

/** A self-signed certificate for localhost in a temporary folder (openssl comes with scripts/setup). */
export async function selfSignedCert(): Promise<{ certFile: string; keyFile: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'foyer-sip-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile];
  execFileSync('openssl', [...args, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  return { certFile, keyFile, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** OPTIONS over a new TLS connection (certificate not checked); the status of the answer. */
export async function tlsOptions(port: number): Promise<number> {
  const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
  try {
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const headers = requestHeaders({ method: 'OPTIONS', peerPort: socket.localPort ?? 0, transport: 'TCP' });
    socket.write(
      sipMessage(
        `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
        headers.map((h) => h.replace('/TCP ', '/TLS ')),
      ),
    );
    const answer = await new Promise<string>((resolve) =>
      socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))),
    );
    return statusOf(answer);
  } finally {
    socket.destroy();
  }
}
