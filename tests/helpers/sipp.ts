// sipp as a real SIP peer: scenarios are written by the test (so PINs can be spelled out as
// RFC 4733 pcaps or SIP INFO), run against the gateway, and judged by sipp's exit code.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PCAP_DIR = '/usr/share/sip-tester';

/**
 * Ports of the tests, all below Linux's ephemeral range (32768–60999), so no outgoing connection
 * takes one between a check and its use: 8000–11999 the smoke stack, 12000–13999 RTP of test
 * phones and relays (testRtpRange), 14000–17999 freePort, 18000 on the developer's stack,
 * 28000 on the test stack.
 */
const FREE_PORTS = { first: 14_000, count: 4000 };
const TEST_RTP = { first: 12_000, count: 2000 };

/** A random block of `size` UDP ports for RTP (a phone's or a relay's), aligned to `size`. */
export function testRtpRange(size: number): [number, number] {
  const first = TEST_RTP.first + size * Math.floor(Math.random() * Math.floor(TEST_RTP.count / size));
  return [first, first + size - 1];
}
/** Ports handed out lately: not handed out again while their user may not have bound them yet. */
const handedOut: number[] = [];

function bindsUdp(port: number): Promise<boolean> {
  const udp = createSocket('udp4');
  return new Promise<boolean>((resolve) => {
    udp.once('error', () => resolve(false));
    udp.bind(port, '127.0.0.1', () => resolve(true));
  }).then((ok) => new Promise<boolean>((resolve) => udp.close(() => resolve(ok))));
}

function bindsTcp(port: number): Promise<boolean> {
  const tcp = createServer();
  return new Promise<boolean>((resolve) => {
    tcp.once('error', () => resolve(false));
    tcp.listen(port, '127.0.0.1', () => resolve(true));
  }).then((ok) => (ok ? new Promise<boolean>((resolve) => tcp.close(() => resolve(true))) : false));
}

/**
 * An even port free for TCP and UDP on loopback, with the three UDP ports after it free too
 * (sipp's -mp takes the port and the next ones for RTCP and video).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FREE_PORTS.first + 2 * Math.floor((Math.random() * FREE_PORTS.count) / 2);
    if (handedOut.some((p) => Math.abs(p - port) < 4)) continue;
    if (!(await bindsTcp(port))) continue;
    let udpFree = true;
    for (let i = 0; i < 4 && udpFree; i++) udpFree = await bindsUdp(port + i);
    if (!udpFree) continue;
    handedOut.push(port);
    if (handedOut.length > 500) handedOut.shift();
    return port;
  }
  throw new Error('no free port found');
}

export interface SippResult {
  code: number;
  output: string;
  errors: string;
}

export const pcapFor = (digit: string) => `dtmf_2833_${digit === '#' ? 'pound' : digit === '*' ? 'star' : digit}.pcap`;

/**
 * The sipp XML lines that play each key as RFC 4733 events, with a pause between keys. No pause
 * after the last key: the gateway may answer it at once (a BYE after a kick), and sipp counts a
 * request that arrives during a pause as unexpected. The pcap keeps playing while sipp waits.
 */
export function rfc4733Keys(keys: string, pauseMs = 350): string {
  return [...keys]
    .map((k) => `  <nop><action><exec play_pcap_audio="${pcapFor(k)}"/></action></nop>`)
    .join(`\n  <pause milliseconds="${pauseMs}"/>\n`);
}

/** SIP INFO requests (application/dtmf-relay) for each key, in the confirmed dialog. */
export function infoKeys(keys: string, cseqStart = 10): string {
  return [...keys]
    .map(
      (k, i) => `  <send><![CDATA[
INFO [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: ${cseqStart + i} INFO
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/dtmf-relay
Content-Length: [len]

Signal=${k}
Duration=160
]]></send>
  <recv response="200"/>
  <pause milliseconds="150"/>`,
    )
    .join('\n');
}

const CODECS = { pcmu: ['0 101', 'a=rtpmap:0 PCMU/8000'], pcma: ['8 101', 'a=rtpmap:8 PCMA/8000'] } as const;

/**
 * The caller's INVITE (G.711 and telephone-event offered) up to the optional provisional answers.
 * `early: 'expected'` insists on the 183; `rtd` measures INVITE → 183 in sipp's -trace_rtt.
 */
export const INVITE = (
  caller = '+4930123456789',
  o: { early?: 'optional' | 'expected'; codec?: 'pcmu' | 'pcma'; rtd?: boolean; ptimeMs?: number } = {},
) => `  <send retrans="500"${o.rtd ? ' start_rtd="setup"' : ''}><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Test" <sip:${caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP ${CODECS[o.codec ?? 'pcmu'][0]}
${CODECS[o.codec ?? 'pcmu'][1]}
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:${o.ptimeMs ?? 20}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183"${o.early === 'expected' || o.rtd ? '' : ' optional="true"'}${o.rtd ? ' rtd="setup"' : ''}/>`;

export const ANSWERED = `  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>`;

export const CALLER_BYE = `  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 99 BYE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>`;

export const EXPECT_BYE = (timeoutMs: number) => `  <recv request="BYE" timeout="${timeoutMs}"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>`;

export const scenario = (body: string) => `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="foyer">
${body}
</scenario>
`;

export interface SippOptions {
  service?: string;
  transport?: 'u1' | 't1';
  /** sipp's own -timeout for the whole run. */
  timeoutS?: number;
  /** Calls to place (-m); more sipp options (rates, traces) in `extra`. */
  calls?: number;
  extra?: string[];
  /** Kill sipp after this long whatever it does (bounded tests). */
  limitMs?: number;
  /** Look at sipp's working folder (trace files) before it is removed. */
  inspect?: (dir: string) => void;
  /** Another loopback address to call from (another source, e.g. another trunk); default 127.0.0.1. */
  from?: string;
}

/**
 * Run sipp against a SIP server: the scenario is XML written by the test, or a file. The DTMF
 * and audio pcaps sit next to it; sipp's exit code 0 means every call passed.
 */
export async function runSipp(
  scenario: string | { file: string },
  target: { host: string; port: number },
  o: SippOptions = {},
): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  try {
    for (const f of readdirSync(PCAP_DIR)) if (f.endsWith('.pcap')) copyFileSync(join(PCAP_DIR, f), join(dir, f));
    const file = typeof scenario === 'string' ? join(dir, 'scenario.xml') : scenario.file;
    if (typeof scenario === 'string') writeFileSync(file, scenario);
    const args = [
      '-sf',
      file,
      '-m',
      String(o.calls ?? 1),
      '-t',
      o.transport ?? 'u1',
      '-i',
      o.from ?? '127.0.0.1',
      '-p',
      String(await freePort()),
      '-mi',
      '127.0.0.1',
      '-mp',
      String(await freePort()),
      '-s',
      o.service ?? '4999112341660',
      '-timeout',
      `${o.timeoutS ?? 60}s`,
      '-timeout_error',
      '-trace_err',
      '-nostdin',
      ...(o.extra ?? []),
      `${target.host}:${target.port}`,
    ];
    const proc = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    const kill = setTimeout(() => proc.kill('SIGKILL'), o.limitMs ?? ((o.timeoutS ?? 60) + 30) * 1000);
    const code = await new Promise<number>((resolve) => {
      proc.once('error', (err) => {
        output += String(err);
        resolve(-1);
      });
      proc.once('close', (c) => resolve(c ?? -1));
    });
    clearTimeout(kill);
    o.inspect?.(dir);
    const errFile = readdirSync(dir).find((f) => f.endsWith('_errors.log'));
    const errors = errFile ? readFileSync(join(dir, errFile), 'utf8').slice(-4000) : '';
    return { code, output: output.replace(/[ \t]+\n/g, '\n').slice(-3000), errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ACK for a final error response: same branch as the INVITE, `back` scenario elements ago. */
export const ACK_FAILURE = (back: number) => `  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-${back}]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Content-Length: 0

]]></send>`;
