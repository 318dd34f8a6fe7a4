// What a broken or hostile peer can do to the SIP server: garbage datagrams, TCP floods,
// insane Content-Length, a busy port, a peer that never ACKs, an application that never
// answers or throws. The process must survive and other calls must go on.
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createSipServer } from '../src/sip/server.ts';
import {
  freePort,
  headerOf,
  PCMU_OFFER,
  RawUdpPeer,
  requestHeaders,
  selfSignedCert,
  sipMessage,
  startTestServer,
  statusOf,
  tlsOptions,
  type TestServer,
} from './sipp/harness.ts';

const quiet = pino({ level: 'silent' });

/** Deterministic pseudo-random numbers, so a failure can be reproduced. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const hasCallId = (id: string) => (m: string) => headerOf(m, 'Call-ID') === id;

/** INVITE from the raw peer; resolves with the dialog once the final response is in. */
async function rawInvite(peer: RawUdpPeer, port: number, service: string, ack = true) {
  const callId = `raw-call-${Math.random().toString(36).slice(2)}@127.0.0.1`;
  const headers = requestHeaders({ method: 'INVITE', peerPort: peer.port, callId });
  const from = peer.received.length;
  await peer.send(
    port,
    sipMessage(
      `INVITE sip:${service}@127.0.0.1:${port} SIP/2.0`,
      [...headers, 'Content-Type: application/sdp'],
      PCMU_OFFER,
    ),
  );
  const final = await peer.waitFor((m) => hasCallId(callId)(m) && statusOf(m) >= 200, 3000, from);
  const toTag = /;tag=([^;\s]+)/.exec(headerOf(final, 'To') ?? '')?.[1] ?? '';
  if (ack && statusOf(final) === 200) {
    const ackHeaders = requestHeaders({ method: 'ACK', peerPort: peer.port, callId, toTag });
    await peer.send(port, sipMessage(`ACK sip:raw@127.0.0.1:${port} SIP/2.0`, ackHeaders));
  }
  return { callId, toTag, final };
}

/** Send a request over UDP, repeated every 500 ms like a real UA (a flood may fill the socket buffer), until a final response. */
async function udpRequest(
  peer: RawUdpPeer,
  port: number,
  message: string,
  callId: string,
  method: string,
): Promise<string> {
  const from = peer.received.length;
  const final = (m: string) =>
    hasCallId(callId)(m) && statusOf(m) >= 200 && (headerOf(m, 'CSeq') ?? '').endsWith(method);
  for (let attempt = 0; attempt < 8; attempt++) {
    await peer.send(port, message);
    const answer = await peer.waitFor(final, 500, from).catch(() => undefined);
    if (answer) return answer;
  }
  throw new Error(`no final response to ${method}`);
}

function inDialog(
  peer: RawUdpPeer,
  port: number,
  d: { callId: string; toTag: string },
  method: string,
  cseq: number,
  extra: string[] = [],
  body = '',
) {
  const headers = requestHeaders({ method, peerPort: peer.port, callId: d.callId, toTag: d.toTag, cseq });
  return udpRequest(
    peer,
    port,
    sipMessage(`${method} sip:answer@127.0.0.1:${port} SIP/2.0`, [...headers, ...extra], body),
    d.callId,
    method,
  );
}

async function udpOptions(peer: RawUdpPeer, port: number): Promise<number> {
  const callId = `options-${Math.random().toString(36).slice(2)}`;
  const m = sipMessage(
    `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
    requestHeaders({ method: 'OPTIONS', peerPort: peer.port, callId }),
  );
  return statusOf(await udpRequest(peer, port, m, callId, 'OPTIONS'));
}

/** OPTIONS over a new TCP connection. */
async function tcpOptions(port: number): Promise<number> {
  const socket = net.connect(port, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const local = socket.localPort ?? 0;
    socket.write(
      sipMessage(
        `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
        requestHeaders({ method: 'OPTIONS', peerPort: local, transport: 'TCP' }),
      ),
    );
    let data = '';
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to OPTIONS over TCP')), 3000);
      socket.on('data', (d: Buffer) => {
        data += d.toString('latin1');
        if (/\r\n\r\n/.test(data)) {
          clearTimeout(timer);
          resolve(statusOf(data));
        }
      });
    });
  } finally {
    socket.destroy();
  }
}

/** Write to a new TCP connection; resolves with what came back once the server closes it or after waitMs. */
async function tcpWrite(
  port: number,
  data: string,
  waitMs: number,
): Promise<{ closedByServer: boolean; received: string }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  socket.write(data);
  const closedByServer = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  socket.destroy();
  return { closedByServer, received };
}

/** Datagrams a fuzzer, a scanner or a broken trunk might send. */
function garbage(count: number, port: number, peerPort: number, call: { callId: string; toTag: string }): Buffer[] {
  const rnd = lcg(4711);
  const valid = sipMessage(
    `INVITE sip:answer@127.0.0.1:${port} SIP/2.0`,
    [...requestHeaders({ method: 'INVITE', peerPort }), 'Content-Type: application/sdp'],
    PCMU_OFFER,
  );
  const base = (method: string, extra: string[], body = '') =>
    sipMessage(
      `${method} sip:answer@127.0.0.1:${port} SIP/2.0`,
      [...requestHeaders({ method, peerPort }), ...extra],
      body,
    );
  const nasty: string[] = [
    base('OPTIONS', []).replace(/branch=([^\r]+)/, 'branch=$1;__proto__'),
    base('INVITE', ['Content-Type: application/sdp']).replace(/Content-Length: \d+/, 'Content-Length: -5'),
    base('INVITE', ['Content-Type: application/sdp'], PCMU_OFFER).replace(/Content-Length: \d+/, 'Content-Length: NaN'),
    base('OPTIONS', []).replace(/Content-Length: \d+/, 'Content-Length: 99999999999'),
    base('OPTIONS', []).replace(/CSeq: [^\r]+/, 'CSeq: abc OPTIONS'),
    base('OPTIONS', []).replace(/CSeq: [^\r]+/, 'CSeq: 99999999999999999999 OPTIONS'),
    base('OPTIONS', []).replace(/Call-ID: [^\r]+\r\n/, ''),
    base('OPTIONS', []).replace(/From: [^\r]+/, 'From: <>'),
    base('OPTIONS', []).replace(/To: [^\r]+/, 'To: "unterminated <sip:x'),
    base('INVITE', ['Content-Type: application/sdp', 'Record-Route: <garbage>, <sip:>'], PCMU_OFFER),
    base('INVITE', ['Content-Type: application/sdp', 'Contact: *'], PCMU_OFFER),
    base('INVITE', ['Content-Type: multipart/mixed;boundary='], PCMU_OFFER),
    base('INVITE', ['Content-Type: application/sdp'], 'v=0\r\nm=audio 99999999 RTP/AVP 0\r\nc=IN IP4 999.1.1.1\r\n'),
    base('INVITE', ['Content-Type: application/sdp'], 'm=audio 7000 RTP/AVP 0 8 ' + '101 '.repeat(2000)),
    base('INVITE', ['Authorization: Digest', 'Content-Type: application/sdp'], PCMU_OFFER),
    base(
      'INVITE',
      ['Authorization: Digest realm="foyer",nonce=,response=', 'Content-Type: application/sdp'],
      PCMU_OFFER,
    ),
    base('INVITE', ['Require: 100rel', 'Content-Type: application/sdp'], PCMU_OFFER),
    base('ACK', []),
    base('CANCEL', []),
    `INVITE sip: SIP/2.0\r\n\r\n`,
    `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKx\r\nCall-ID: x\r\nCSeq: 1 BYE\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>;tag=2\r\n\r\n`,
    `OPTIONS sip:x SIP/2.0\r\nVia: ${'x'.repeat(30000)}\r\n\r\n`,
    '\0\0\0\0',
    '\r\n\r\n',
    // Someone else's dialog: wrong tags must not touch the call.
    sipMessage(
      `BYE sip:answer@127.0.0.1 SIP/2.0`,
      requestHeaders({ method: 'BYE', peerPort, callId: call.callId, toTag: 'wrong', cseq: 50 }),
    ),
    sipMessage(
      `BYE sip:answer@127.0.0.1 SIP/2.0`,
      requestHeaders({
        method: 'BYE',
        peerPort,
        callId: call.callId,
        toTag: call.toTag,
        fromTag: 'intruder',
        cseq: 51,
      }),
    ),
  ];
  const out: Buffer[] = nasty.map((s) => Buffer.from(s, 'latin1'));
  while (out.length < count) {
    const kind = Math.floor(rnd() * 3);
    if (kind === 0) {
      out.push(Buffer.from(Array.from({ length: Math.floor(rnd() * 1400) }, () => Math.floor(rnd() * 256))));
    } else if (kind === 1) {
      const chars = valid.split('');
      for (let i = 0; i < 1 + rnd() * 8; i++)
        chars[Math.floor(rnd() * chars.length)] = String.fromCharCode(Math.floor(rnd() * 256));
      out.push(Buffer.from(chars.join(''), 'latin1'));
    } else {
      out.push(Buffer.from(valid.slice(0, Math.floor(rnd() * valid.length)), 'latin1'));
    }
  }
  return out;
}

describe('SIP server robustness', () => {
  let t: TestServer;
  let peer: RawUdpPeer;
  beforeAll(async () => {
    t = await startTestServer({ timers: { t1: 20, t2: 80, answerTimeout: 300, closeGrace: 300 } });
    peer = await RawUdpPeer.open();
  });
  afterAll(async () => {
    await t.close();
    await peer.close();
  });

  it('survives 1000 malformed datagrams; OPTIONS and a call in progress still work', async () => {
    const call = await rawInvite(peer, t.port, 'answer');
    expect(statusOf(call.final)).toBe(200);
    const recorded = t.calls.at(-1);
    await expect.poll(() => recorded?.events.map((e) => e[0])).toEqual(['ack']);

    for (const d of garbage(1000, t.port, peer.port, call)) await peer.send(t.port, d);
    expect(await udpOptions(peer, t.port)).toBe(200);
    // The call did not notice: DTMF by INFO still arrives, and it ends by our BYE only.
    const info = await inDialog(
      peer,
      t.port,
      call,
      'INFO',
      60,
      ['Content-Type: application/dtmf-relay'],
      'Signal=7\r\nDuration=100\r\n',
    );
    expect(statusOf(info)).toBe(200);
    expect(recorded?.call.state).toBe('confirmed');
    expect(recorded?.events).toContainEqual(['info', '7']);
    expect(statusOf(await inDialog(peer, t.port, call, 'BYE', 61))).toBe(200);
    expect(await recorded?.ended).toBe('bye');
  });

  it('survives a 60 KB TCP write of tiny messages, then answers OPTIONS over UDP and a new TCP connection', async () => {
    // Header blocks of a few bytes each: the unpatched parser recursed once per block.
    const tiny = 'x\r\n\r\nA a SIP/2.0\r\nl:0\r\n\r\n';
    const options = (i: number) =>
      sipMessage(
        `OPTIONS sip:127.0.0.1 SIP/2.0`,
        requestHeaders({ method: 'OPTIONS', peerPort: 1, transport: 'TCP', callId: `flood-${i}` }),
      );
    let flood = '';
    for (let i = 0; flood.length < 60 * 1024; i++) flood += i % 20 === 0 ? options(i) : tiny;
    const r = await tcpWrite(t.port, flood, 1000);
    // The valid OPTIONS in the flood were answered (a pipelined stream is fine).
    expect(r.received.match(/^SIP\/2\.0 200/gm)?.length ?? 0).toBeGreaterThan(10);

    expect(await udpOptions(peer, t.port)).toBe(200);
    expect(await tcpOptions(t.port)).toBe(200);
  });

  it.each(['-5', 'NaN', 'abc', '99999999999'])('drops a TCP connection with Content-Length: %s', async (value) => {
    const m = sipMessage(
      `OPTIONS sip:127.0.0.1:${t.port} SIP/2.0`,
      requestHeaders({ method: 'OPTIONS', peerPort: 1, transport: 'TCP' }),
    ).replace(/Content-Length: \d+/, `Content-Length: ${value}`);
    const r = await tcpWrite(t.port, m + 'x'.repeat(100), 2000);
    expect(r.closedByServer).toBe(true);
    expect(await tcpOptions(t.port)).toBe(200);
  });

  it('answers 480 to an INVITE the application never answers, and forgets it', async () => {
    const { final, callId } = await rawInvite(peer, t.port, 'silent');
    expect(statusOf(final)).toBe(480);
    const recorded = t.calls.find((c) => c.call.callId === callId);
    expect(await recorded?.ended).toBe('answer timeout');
    expect(recorded?.call.state).toBe('ended');
  });

  it('retransmits the 200 while no ACK comes, then gives up with BYE', async () => {
    const from = peer.received.length;
    const { callId, final } = await rawInvite(peer, t.port, 'answer', false);
    expect(statusOf(final)).toBe(200);
    const bye = await peer.waitFor((m) => hasCallId(callId)(m) && m.startsWith('BYE '), 5000, from);
    const oks = peer.received.slice(from).filter((m) => hasCallId(callId)(m) && statusOf(m) === 200);
    expect(oks.length).toBeGreaterThanOrEqual(5);
    expect(bye).toMatch(/^BYE sip:raw@127\.0\.0\.1:\d+ SIP\/2\.0/);
    const recorded = t.calls.find((c) => c.call.callId === callId);
    expect(await recorded?.ended).toBe('no ACK');
  });

  it('answers 500 when the application throws, and keeps serving', async () => {
    const { final } = await rawInvite(peer, t.port, 'throw');
    expect(statusOf(final)).toBe(500);
    expect(await udpOptions(peer, t.port)).toBe(200);
  });
});

describe('the patched stream parser of the sip package', () => {
  interface StreamParserModule {
    makeStreamParser(onMessage: (m: unknown) => void, onFlood: () => void): (data: string) => void;
  }
  const { makeStreamParser } = createRequire(import.meta.url)('sip') as StreamParserModule;

  it('loops instead of recursing: 60 KB of tiny header blocks in one chunk', () => {
    let messages = 0;
    let floods = 0;
    const parse = makeStreamParser(
      () => messages++,
      () => floods++,
    );
    const chunk = 'x\r\n\r\nA a SIP/2.0\r\nl:0\r\n\r\n'.repeat(2000).slice(0, 60 * 1024);
    expect(() => parse(chunk)).not.toThrow();
    expect(messages).toBeGreaterThan(1000);
    expect(floods).toBe(0);
  });

  it.each(['-5', 'NaN', '1.5', '9999999999'])(
    'reports Content-Length: %s as a flood instead of waiting forever',
    (value) => {
      let floods = 0;
      const parse = makeStreamParser(
        () => {},
        () => floods++,
      );
      parse(`OPTIONS sip:a SIP/2.0\r\nContent-Length: ${value}\r\n\r\n`);
      expect(floods).toBe(1);
    },
  );
});

describe('SIP server lifecycle', () => {
  it('rejects with a clear error when the port is busy, and leaves the other server alone', async () => {
    const first = await startTestServer();
    try {
      await expect(
        createSipServer({
          bind: '127.0.0.1',
          port: first.port,
          transports: ['udp', 'tcp'],
          trunks: [{ name: 'loopback', sourceAddresses: ['127.0.0.1'] }],
          log: quiet,
        }),
      ).rejects.toThrow(/SIP cannot listen on (UDP|TCP) 127\.0\.0\.1:\d+: .*EADDRINUSE/);
      expect(await tcpOptions(first.port)).toBe(200);
    } finally {
      await first.close();
    }
  });

  it('frees the TCP port when only UDP was busy', async () => {
    const port = await freePort();
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', resolve));
    try {
      await expect(
        createSipServer({
          bind: '127.0.0.1',
          port,
          transports: ['udp', 'tcp'],
          trunks: [{ name: 'loopback', sourceAddresses: ['127.0.0.1'] }],
          log: quiet,
        }),
      ).rejects.toThrow(/UDP.*EADDRINUSE/);
      const tcp = net.createServer();
      await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    } finally {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  });

  it('rejects a bad trunk address', async () => {
    await expect(
      createSipServer({
        bind: '127.0.0.1',
        port: await freePort(),
        transports: ['udp'],
        trunks: [{ name: 'bad', sourceAddresses: ['10.0.0.0/33'] }],
        log: quiet,
      }),
    ).rejects.toThrow(/trunk "bad"/);
  });

  it('listens on TLS too when configured (openssl comes with scripts/setup)', async () => {
    const cert = await selfSignedCert();
    const tlsPort = await freePort();
    const t = await startTestServer({ tls: { port: tlsPort, certFile: cert.certFile, keyFile: cert.keyFile } });
    try {
      expect(await tlsOptions(tlsPort)).toBe(200);
    } finally {
      await t.close();
      await cert.remove();
    }
  });

  it('rejects when the TLS files are missing', async () => {
    await expect(
      createSipServer({
        bind: '127.0.0.1',
        port: await freePort(),
        transports: ['udp'],
        tls: { port: await freePort(), certFile: '/nonexistent/cert.pem', keyFile: '/nonexistent/key.pem' },
        trunks: [{ name: 'loopback', sourceAddresses: ['127.0.0.1'] }],
        log: quiet,
      }),
    ).rejects.toThrow(/ENOENT/);
  });

  it('close() ends a call in progress with BYE', async () => {
    const t = await startTestServer({ timers: { closeGrace: 2000 } });
    const peer = await RawUdpPeer.open();
    try {
      const call = await rawInvite(peer, t.port, 'answer');
      const recorded = t.calls.at(-1);
      await expect.poll(() => recorded?.call.state).toBe('confirmed');
      const from = peer.received.length;
      const closed = t.close();
      const bye = await peer.waitFor((m) => hasCallId(call.callId)(m) && m.startsWith('BYE '), 3000, from);
      // Answer it, so close() need not wait out its grace time.
      const ok =
        bye
          .split('\r\n\r\n')[0]
          ?.split('\r\n')
          .filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l)) ?? [];
      await peer.send(t.port, ['SIP/2.0 200 OK', ...ok, 'Content-Length: 0', '', ''].join('\r\n'));
      await closed;
      expect(await recorded?.ended).toBe('shutdown');
    } finally {
      await t.close();
      await peer.close();
    }
  });
});
