// Issue 16, item 4: SIP over TCP/TLS is bounded (connections per source and in total, idle
// timeout, message size, header count), UDP keeps being answered meanwhile, refusals of unknown
// sources are sent once (no amplification), and a control character in a header never reaches
// the dialog snapshot. Real server on loopback against raw sockets; every port we bind lies
// outside Linux's ephemeral range (32768–60999).
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admitConnection,
  ConnectionGuard,
  idleExpired,
  RateLimitedNotice,
  sourceKey,
  type StreamRemote,
} from '../src/sip/stack.ts';
import { controlCharacterIn } from '../src/sip/message.ts';
import * as harness from './sipp/harness.ts';
import type { SipServerOptions } from '../src/sip/server.ts';

const { headerOf, PCMU_OFFER, requestHeaders, selfSignedCert, sipMessage, startTestServer, statusOf } = harness;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A UDP peer on a port of ours that keeps every datagram. */
class Peer {
  readonly received: string[] = [];
  readonly port: number;
  private readonly socket: dgram.Socket;
  private constructor(socket: dgram.Socket, port: number) {
    this.socket = socket;
    this.port = port;
    socket.on('message', (b) => this.received.push(b.toString('latin1')));
  }

  static async open(): Promise<Peer> {
    const port = await harness.freePort();
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
    return new Peer(socket, port);
  }

  send(to: number, data: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(Buffer.from(data, 'latin1'), to, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
  }

  /** The first datagram matching, waiting up to ms. */
  async waitFor(match: (m: string) => boolean, ms: number, from = 0): Promise<string | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const m = this.received.slice(from).find(match);
      if (m || Date.now() > until) return m;
      await sleep(20);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

const withCallId = (id: string) => (m: string) => headerOf(m, 'Call-ID') === id && statusOf(m) >= 200;

function options(serverPort: number, peerPort: number, callId: string, extra: string[] = [], body = ''): string {
  return sipMessage(
    `OPTIONS sip:127.0.0.1:${serverPort} SIP/2.0`,
    [...requestHeaders({ method: 'OPTIONS', peerPort, callId }), ...extra],
    body,
  );
}

function invite(serverPort: number, peerPort: number, callId: string, o: { from?: string; tcp?: boolean } = {}) {
  const headers = requestHeaders({ method: 'INVITE', peerPort, callId, transport: o.tcp ? 'TCP' : 'UDP' }).map((h) =>
    o.from && h.startsWith('From:') ? `From: ${o.from}` : h,
  );
  return sipMessage(
    `INVITE sip:answer@127.0.0.1:${serverPort} SIP/2.0`,
    [...headers, 'Content-Type: application/sdp'],
    PCMU_OFFER,
  );
}

/** UDP OPTIONS (resent every 300 ms, like a UA) → the final status, 0 when none came. */
async function udpOptionsStatus(peer: Peer, serverPort: number): Promise<number> {
  const callId = `opt-${Math.random().toString(36).slice(2)}`;
  const from = peer.received.length;
  for (let i = 0; i < 6; i++) {
    await peer.send(serverPort, options(serverPort, peer.port, callId));
    const m = await peer.waitFor(withCallId(callId), 300, from);
    if (m) return statusOf(m);
  }
  return 0;
}

/** A TCP client from a loopback address of our choice, recording what comes back and when it is closed. */
class Client {
  received = '';
  closedAt: number | null = null;
  readonly openedAt = Date.now();
  readonly socket: net.Socket;
  constructor(port: number, localAddress = '127.0.0.1') {
    this.socket = net.connect({ port, host: '127.0.0.1', localAddress });
    this.socket.on('data', (d: Buffer) => (this.received += d.toString('latin1')));
    this.socket.on('error', () => {});
    this.socket.on('close', () => (this.closedAt = Date.now()));
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState === 'open') resolve();
      else this.socket.once('connect', () => resolve()).once('close', () => reject(new Error('closed')));
    });
  }

  /** Whether the server closed the connection within ms. */
  async closedWithin(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (this.closedAt === null && Date.now() < until) await sleep(10);
    return this.closedAt !== null;
  }

  async waitFor(re: RegExp, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (!re.test(this.received) && Date.now() < until) await sleep(10);
    return re.test(this.received);
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

async function startLimited(limits: SipServerOptions['limits'], extra: Partial<SipServerOptions> = {}) {
  return startTestServer({
    port: await harness.freePort(),
    timers: { t1: 20, t2: 80, answerTimeout: 2000, closeGrace: 200 },
    limits,
    ...extra,
  });
}

describe('connection limits (pure decisions)', () => {
  const limits = { maxConnections: 3, maxConnectionsPerSource: 2, idleMs: 100, idleAfterMessageMs: 1000 };

  it('caps per source before the total, and lets listed trunk addresses past the total', () => {
    expect(admitConnection({ total: 0, fromSource: 1, listed: false }, limits)).toBe('accept');
    expect(admitConnection({ total: 1, fromSource: 2, listed: false }, limits)).toBe('per-source');
    expect(admitConnection({ total: 2, fromSource: 2, listed: true }, limits)).toBe('per-source');
    expect(admitConnection({ total: 3, fromSource: 0, listed: false }, limits)).toBe('total');
    expect(admitConnection({ total: 3, fromSource: 0, listed: true }, limits)).toBe('accept');
  });

  it('closes a connection idle before its first message sooner than after it', () => {
    expect(idleExpired({ openedAt: 0, lastMessageAt: null }, 99, limits)).toBe(false);
    expect(idleExpired({ openedAt: 0, lastMessageAt: null }, 100, limits)).toBe(true);
    expect(idleExpired({ openedAt: 0, lastMessageAt: 50 }, 1000, limits)).toBe(false);
    expect(idleExpired({ openedAt: 0, lastMessageAt: 50 }, 1050, limits)).toBe(true);
  });

  it('counts IPv4-mapped addresses as IPv4 and IPv6 by /64', () => {
    expect(sourceKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(sourceKey('192.0.2.1')).toBe('192.0.2.1');
    expect(sourceKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:2::99')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
  });

  it('reports at most once per interval, counting what it kept quiet', () => {
    const n = new RateLimitedNotice(1000);
    expect(n.hit(0)).toBe(0);
    expect(n.hit(10)).toBeNull();
    expect(n.hit(999)).toBeNull();
    expect(n.hit(1000)).toBe(2);
  });

  it('guard: refuses beyond the caps, frees on close, sweeps idle connections but not those of a dialog', () => {
    let now = 0;
    const refused: string[] = [];
    const inUse = new Set<string>();
    const guard = new ConnectionGuard(limits, {
      listed: () => false,
      flowsInUse: () => inUse,
      onRefused: (_r, why) => refused.push(why),
      now: () => now,
    });
    try {
      const closed: number[] = [];
      const r = (port: number, address = '192.0.2.1'): StreamRemote => ({ protocol: 'TCP', address, port });
      expect(guard.open(r(1), () => closed.push(1))).toBe(true);
      expect(guard.open(r(2), () => closed.push(2))).toBe(true);
      expect(guard.open(r(3), () => closed.push(3))).toBe(false);
      expect(guard.open(r(4, '192.0.2.2'), () => closed.push(4))).toBe(true);
      expect(guard.open(r(5, '192.0.2.3'), () => closed.push(5))).toBe(false);
      expect(refused).toEqual(['per-source', 'total']);
      guard.close(r(2));
      expect(guard.size).toBe(2);
      expect(guard.open(r(6), () => closed.push(6))).toBe(true);

      guard.message(r(1));
      inUse.add('TCP 192.0.2.2 4');
      now = 150;
      guard.sweep();
      expect(closed).toEqual([6]); // 1 has sent a message, 4 carries a dialog
      now = 2000;
      guard.sweep();
      expect(closed.slice(1).sort()).toEqual([1, 6]);
    } finally {
      guard.stop();
    }
  });

  it('finds control characters in parsed headers, not in folding or tabs', () => {
    const m = (headers: Record<string, unknown>) => ({ method: 'INVITE', uri: 'sip:a@b', headers });
    expect(controlCharacterIn(m({ from: { name: '"A\tB"', uri: 'sip:x@y', params: {} } }))).toBeNull();
    expect(controlCharacterIn(m({ subject: 'folded\r\n line' }))).toBeNull();
    expect(controlCharacterIn(m({ from: { name: '"A\u0000"', uri: 'sip:x@y', params: {} } }))).toBe('from');
    expect(controlCharacterIn(m({ via: [{ params: { branch: 'z9\u0007' } }] }))).toBe('via');
    expect(controlCharacterIn(m({ 'x-a': 'del\u007f' }))).toBe('x-a');
    expect(controlCharacterIn({ method: 'INVITE', uri: 'sip:\u0001@b', headers: {} })).toBe('request-uri');
  });
});

describe('SIP over TCP bounded, UDP still answered', () => {
  it('closes connections beyond the per-source and total caps at once, logs once, and still answers UDP OPTIONS and INVITE', async () => {
    const t = await startLimited({ maxConnectionsPerSource: 4, maxConnections: 6 });
    const peer = await Peer.open();
    const clients: Client[] = [];
    try {
      const open = async (address: string) => {
        const c = new Client(t.port, address);
        clients.push(c);
        await c.connected().catch(() => undefined);
        return c;
      };
      // 4 from 127.0.0.1 (the trunk's address), then 20 more from it: beyond the per-source cap.
      const kept = [];
      for (let i = 0; i < 4; i++) kept.push(await open('127.0.0.1'));
      const beyond = [];
      for (let i = 0; i < 20; i++) beyond.push(await open('127.0.0.1'));
      for (const c of beyond) expect(await c.closedWithin(1000)).toBe(true);
      // 2 from another address fill the total (6); the next newcomer is refused, the trunk's
      // address is not counted against the total.
      kept.push(await open('127.0.0.2'), await open('127.0.0.2'));
      const third = await open('127.0.0.3');
      expect(await third.closedWithin(1000)).toBe(true);
      await sleep(200);
      for (const c of kept) expect(c.closedAt).toBeNull();

      // UDP keeps working while TCP is full: OPTIONS and a whole call.
      expect(await udpOptionsStatus(peer, t.port)).toBe(200);
      const callId = `capped-call-${Date.now()}`;
      const from = peer.received.length;
      await peer.send(t.port, invite(t.port, peer.port, callId));
      const answer = await peer.waitFor(withCallId(callId), 3000, from);
      expect(answer && statusOf(answer)).toBe(200);
      // A kept connection still carries SIP.
      const k = kept[0];
      k?.socket.write(options(t.port, k.localPort, 'tcp-kept').replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
      expect(await k?.waitFor(/^SIP\/2\.0 200/m, 2000)).toBe(true);

      const lines = t.logs.filter((l) => l.event === 'sip_connection_refused');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ reason: 'per-source', source: '127.0.0.1', limit: 4 });
    } finally {
      for (const c of clients) c.destroy();
      await t.close();
      await peer.close();
    }
  });

  it('closes a silent connection after idleMs, one that sent a message after idleAfterMessageMs, and keeps one a call uses', async () => {
    const t = await startLimited({ idleMs: 300, idleAfterMessageMs: 1000 });
    const clients: Client[] = [];
    try {
      const silent = new Client(t.port);
      const talked = new Client(t.port);
      const call = new Client(t.port);
      clients.push(silent, talked, call);
      await Promise.all(clients.map((c) => c.connected()));
      talked.socket.write(options(t.port, talked.localPort, 'idle-talk').replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
      expect(await talked.waitFor(/^SIP\/2\.0 200/m, 2000)).toBe(true);
      const callId = `tcp-call-${Date.now()}`;
      call.socket.write(invite(t.port, call.localPort, callId, { tcp: true }));
      expect(await call.waitFor(/^SIP\/2\.0 200/m, 3000)).toBe(true);
      const toTag = /^To:.*;tag=([^;\s]+)/m.exec(call.received)?.[1] ?? '';
      call.socket.write(
        sipMessage(
          `ACK sip:answer@127.0.0.1:${t.port} SIP/2.0`,
          requestHeaders({ method: 'ACK', peerPort: call.localPort, callId, toTag, transport: 'TCP' }),
        ),
      );

      expect(await silent.closedWithin(1500)).toBe(true);
      const silentFor = (silent.closedAt ?? 0) - silent.openedAt;
      expect(silentFor).toBeGreaterThanOrEqual(280);
      expect(talked.closedAt).toBeNull();
      expect(await talked.closedWithin(2500)).toBe(true);
      // The call's connection outlives both idle times while the call lasts.
      await sleep(300);
      expect(call.closedAt).toBeNull();
      expect(t.calls.find((c) => c.call.callId === callId)?.call.state).toBe('confirmed');
      // A brand-new connection is still welcome.
      const fresh = new Client(t.port);
      clients.push(fresh);
      await fresh.connected();
      fresh.socket.write(options(t.port, fresh.localPort, 'idle-fresh').replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
      expect(await fresh.waitFor(/^SIP\/2\.0 200/m, 2000)).toBe(true);
    } finally {
      for (const c of clients) c.destroy();
      await t.close();
    }
  });
});

describe('SIP over TLS bounded', () => {
  it('counts connections before the TLS handshake: beyond the cap closed at once, silent ones closed after idleMs, a handshake and OPTIONS still work', async () => {
    const cert = await selfSignedCert();
    const tlsPort = await harness.freePort();
    const t = await startLimited(
      { maxConnectionsPerSource: 3, idleMs: 400, idleAfterMessageMs: 5000 },
      { transports: ['udp'], tls: { port: tlsPort, certFile: cert.certFile, keyFile: cert.keyFile } },
    );
    const clients: Client[] = [];
    try {
      // Raw TCP to the TLS port, never saying hello.
      for (let i = 0; i < 3; i++) clients.push(new Client(tlsPort, '127.0.0.5'));
      await Promise.all(clients.map((c) => c.connected()));
      const beyond = new Client(tlsPort, '127.0.0.5');
      clients.push(beyond);
      expect(await beyond.closedWithin(1000)).toBe(true);
      expect(clients.slice(0, 3).every((c) => c.closedAt === null)).toBe(true);
      for (const c of clients.slice(0, 3)) expect(await c.closedWithin(2000)).toBe(true);

      expect(await harness.tlsOptions(tlsPort)).toBe(200);
    } finally {
      for (const c of clients) c.destroy();
      await t.close();
      await cert.remove();
    }
  });
});

describe('message size and header count', () => {
  const limits = { maxMessageBytes: 4096, maxHeaders: 20 };
  let t: Awaited<ReturnType<typeof startLimited>>;
  let peer: Peer;
  beforeAll(async () => {
    t = await startLimited(limits);
    peer = await Peer.open();
  });
  afterAll(async () => {
    await t.close();
    await peer.close();
  });

  const manyHeaders = Array.from({ length: 30 }, (_, i) => `X-Filler-${i}: ${i}`);
  const bigBody = 'x'.repeat(5000);
  const cases: [string, string[], string][] = [
    ['an oversized message', [], bigBody],
    ['a message with too many headers', manyHeaders, ''],
    ['an unterminated header block beyond the size', [`X-Long: ${'y'.repeat(6000)}`], ''],
  ];

  it.each(cases)('TCP: %s ends the connection, unanswered; the server goes on', async (_name, extra, body) => {
    const c = new Client(t.port);
    try {
      await c.connected();
      let m = options(t.port, c.localPort, `tcp-big-${Math.random()}`, extra, body).replace(
        'SIP/2.0/UDP',
        'SIP/2.0/TCP',
      );
      if (_name.startsWith('an unterminated')) m = m.slice(0, m.indexOf('\r\n\r\n'));
      c.socket.write(m);
      expect(await c.closedWithin(2000)).toBe(true);
      expect(c.received).not.toMatch(/^SIP\/2\.0 200/m);
    } finally {
      c.destroy();
    }
    expect(await udpOptionsStatus(peer, t.port)).toBe(200);
  });

  it.each(cases.slice(0, 2))('UDP: %s is dropped, the next OPTIONS answered', async (_name, extra, body) => {
    const callId = `udp-big-${Math.random()}`;
    const from = peer.received.length;
    await peer.send(t.port, options(t.port, peer.port, callId, extra, body));
    expect(await peer.waitFor(withCallId(callId), 500, from)).toBeUndefined();
    expect(await udpOptionsStatus(peer, t.port)).toBe(200);
  });

  it('a message within both limits is answered', async () => {
    const callId = `udp-fits-${Math.random()}`;
    const from = peer.received.length;
    await peer.send(t.port, options(t.port, peer.port, callId, manyHeaders.slice(0, 10), 'x'.repeat(2000)));
    expect(statusOf((await peer.waitFor(withCallId(callId), 1000, from)) ?? '')).toBe(200);
  });
});

describe('refusals of unknown UDP sources are not amplified', () => {
  it('a 403 to an INVITE from a source that is no trunk is sent exactly once', async () => {
    const t = await startLimited({}, { trunks: [{ name: 'elsewhere', sourceAddresses: ['192.0.2.0/24'] }] });
    const peer = await Peer.open();
    try {
      const callId = `refused-${Date.now()}`;
      await peer.send(t.port, invite(t.port, peer.port, callId));
      // The package's INVITE server transaction resent final responses at 0.5, 1.5, 3.5 s …
      await sleep(2500);
      const got = peer.received.filter((m) => headerOf(m, 'Call-ID') === callId);
      expect(got.map(statusOf)).toEqual([403]);
      expect(t.logs.filter((l) => l.event === 'sip_refused')).toHaveLength(1);
      // A retransmitted INVITE gets one 403 again: one in, one out.
      await peer.send(t.port, invite(t.port, peer.port, callId));
      await sleep(300);
      expect(peer.received.filter((m) => headerOf(m, 'Call-ID') === callId).map(statusOf)).toEqual([403, 403]);
    } finally {
      await t.close();
      await peer.close();
    }
  });

  it('a 401 challenge from a digest-only trunk is sent exactly once too', async () => {
    const t = await startLimited(
      {},
      { trunks: [{ name: 'pbx', sourceAddresses: [], username: 'foyer', password: 'a-long-password-1' }] },
    );
    const peer = await Peer.open();
    try {
      const callId = `challenged-${Date.now()}`;
      await peer.send(t.port, invite(t.port, peer.port, callId));
      await sleep(2000);
      expect(peer.received.filter((m) => headerOf(m, 'Call-ID') === callId).map(statusOf)).toEqual([401]);
    } finally {
      await t.close();
      await peer.close();
    }
  });
});

describe('control characters in headers', () => {
  it('an INVITE with a NUL in the From display name gets 400 (once) and no call; a clean one is answered', async () => {
    const t = await startLimited({});
    const peer = await Peer.open();
    try {
      const callId = `nul-${Date.now()}`;
      const from = `"evil\u0000name" <sip:raw@127.0.0.1:${peer.port}>;tag=nultag`;
      await peer.send(t.port, invite(t.port, peer.port, callId, { from }));
      await sleep(1200);
      const got = peer.received.filter((m) => headerOf(m, 'Call-ID') === callId);
      expect(got.map(statusOf)).toEqual([400]);
      expect(t.calls.some((c) => c.call.callId === callId)).toBe(false);

      const clean = `clean-${Date.now()}`;
      await peer.send(t.port, invite(t.port, peer.port, clean));
      expect(statusOf((await peer.waitFor(withCallId(clean), 3000)) ?? '')).toBe(200);
    } finally {
      await t.close();
      await peer.close();
    }
  });
});
