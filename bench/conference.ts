// Conference benchmark against a running local stack (scripts/stack up; FOYER_STACK_DIR picks
// another stack folder):
//   npm run bench:conference -- [--callers 50] [--probes 4] [--rate 12] [--baseline 5] [--steady 10]
//     [--browsers 0] [--load-amplitude 250]
// One group's conference, a moderator connected: P probe callers (bench/lib/probe.ts; half at
// 20 ms packets, half at 30 ms) each send a 100 ms burst of their own tone once a second and
// listen for everyone else's; then N sipp load callers (half 20 ms, half 30 ms, a tone pcap
// each) join at --rate per second. Meanwhile a member sends a chat message every 200 ms in
// *another* group, timed until it reaches a guest of that group on the conference WebSocket.
// With --browsers K, K guests join as pages do (bench/lib/browser.ts: rtc-node,
// subscribed to everything), each publishing a quiet tone the callers should hear; the first
// also judges the probes' bursts as a browser hears them.
// Reported per phase (probes alone, the join burst, all callers in): share of bursts heard
// (by packet time of sender and receiver), mouth-to-ear p50/p95, chat latency p50/p99, CPU of
// gateway, the media plane (the media agent and LiveKit), bridge and Synapse; call
// setup of the load callers; RSS of bridge + gateway before and after. Audio counts as heard
// only by the tone's energy at the other side.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ConferenceClient } from '../tests/helpers/conference.ts';
import {
  enc,
  groupWithGuestAccess,
  guestLinkToken,
  metricValue,
  newUser,
  type TestUser,
} from '../tests/helpers/matrix.ts';
import { tonePcap } from '../tests/helpers/pcap.ts';
import { ANSWERED, EXPECT_BYE, freePort, infoKeys, INVITE, runSipp, scenario } from '../tests/helpers/sipp.ts';
import type { StackInfo } from '../tests/helpers/stack.ts';
import { matchBursts, onsets, percentile, probeFrequencies } from './lib/measure.ts';
import { ProbeCaller } from './lib/probe.ts';
import { BenchBrowser } from './lib/browser.ts';
import { dispose } from '@livekit/rtc-node';
import {
  cpuSeconds,
  gatewayMetrics,
  loadStack,
  machine,
  readRtts,
  rssMb,
  type Service,
  stackDir,
} from './lib/stack.ts';

const { values: opt } = parseArgs({
  options: {
    callers: { type: 'string', default: '50' },
    probes: { type: 'string', default: '4' },
    rate: { type: 'string', default: '12' },
    baseline: { type: 'string', default: '5' },
    steady: { type: 'string', default: '10' },
    'chat-interval': { type: 'string', default: '200' },
    settle: { type: 'string', default: '10' },
    browsers: { type: 'string', default: '0' },
    'load-amplitude': { type: 'string', default: '250' },
  },
});
const N = Number(opt.callers);
const P = Number(opt.probes);
const K = Number(opt.browsers);
const RATE = Number(opt.rate);
const CHAT_MS = Number(opt['chat-interval']);
if (RATE > 13)
  console.warn(`--rate ${RATE}: above ~13/s the gateway's 30 calls per source in the PIN dialogue refuse some`);
if (P < 2) throw new Error('--probes must be at least 2: each probe is judged by another hearing it');

const SERVICE = '4999112341660';
const PERIOD_MS = 1000;
const BURST_MS = 100;
/**
 * The load callers' tones (20 ms callers, 30 ms callers), quiet (--load-amplitude, default 250 ≈ −42
 * dBov: above the media agent's silence threshold, so every load caller talks): N of them are
 * summed in the mix. 0: digital silence, what most callers of a real conference send.
 */
const LOAD = [
  { ptimeMs: 20, hz: 313 },
  { ptimeMs: 30, hz: 487 },
] as const;
const LOAD_AMPLITUDE = Number(opt['load-amplitude']);
/** The browsers' tone: above the probes' band, louder than a load caller, far below a probe's burst. */
const BROWSER = { hz: 2900, amplitude: 0.03 } as const;

const info: StackInfo = loadStack();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '—');

type Phase = 'baseline' | 'burst' | 'steady';
const PHASES: Phase[] = ['baseline', 'burst', 'steady'];
const PHASE_LABEL: Record<Phase, string> = {
  baseline: `probes alone (${P} callers)`,
  burst: `join burst (${N} callers at ${RATE}/s)`,
  steady: `all in (${N + P} callers)`,
};
const bounds: Partial<Record<Phase | 'end', number>> = {};
const phaseOf = (t: number): Phase | undefined =>
  PHASES.find((p, i) => {
    const start = bounds[p];
    const end = bounds[PHASES[i + 1] ?? 'end'] ?? bounds.end;
    return start !== undefined && t >= start && (end === undefined || t < end);
  });

const MEDIA: Service[] = ['media-agent', 'livekit'];
const SERVICES: Service[] = ['sip-gateway', ...MEDIA, 'bridge', 'synapse'];
const cpuAt: Partial<Record<Phase | 'end', Record<Service, number>>> = {};
const cpuNow = () => Object.fromEntries(SERVICES.map((s) => [s, cpuSeconds(s)])) as Record<Service, number>;
function mark(p: Phase | 'end'): void {
  bounds[p] = performance.now();
  cpuAt[p] = cpuNow();
}

async function sendChat(user: TestUser, roomId: string, body: string): Promise<void> {
  const txn = `bench${Date.now()}${Math.random().toString(36).slice(2)}`;
  const res = await fetch(`${info.homeserverUrl}/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${txn}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ msgtype: 'm.text', body }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`chat send: ${res.status}`);
}

async function main(): Promise<void> {
  console.log(`Foyer conference benchmark — ${machine()}`);
  console.log(
    `stack: ${stackDir} (${info.db}); sipp, the probes${K ? ', the browsers' : ''} and the stack share the machine\n`,
  );
  const rssBefore = { bridge: rssMb('bridge'), gateway: rssMb('sip-gateway') };

  // The conference: a group with guest access, its moderator in.
  const owner = await newUser(info, 'bench');
  const { roomId, pin } = await groupWithGuestAccess(info, owner, 'Benchmark');
  const moderator = await ConferenceClient.asMember(info, owner, roomId);
  moderator.send({ type: 'join' });
  await moderator.state((s) => s.status === 'running');

  // The other group: its member writes, its guest (on the conference WebSocket) receives.
  const other = await groupWithGuestAccess(info, owner, 'Benchmark chat');
  const otherModerator = await ConferenceClient.asMember(info, owner, other.roomId);
  otherModerator.send({ type: 'join' });
  const guest = await ConferenceClient.asGuest(info, await guestLinkToken(info, owner, other.roomId), 'Bench guest');
  guest.send({ type: 'join' });
  const chatSent = new Map<string, number>();
  const chatLatency = new Map<string, number>();
  guest.ws.on('message', (raw: Buffer) => {
    const m = JSON.parse(raw.toString()) as { type: string; message?: { body: string } };
    const body = m.type === 'chat' ? m.message?.body : undefined;
    const sent = body === undefined ? undefined : chatSent.get(body);
    if (body !== undefined && sent !== undefined && !chatLatency.has(body))
      chatLatency.set(body, performance.now() - sent);
  });
  // Chat reaches guests once the bridge knows the guest is in (its puppet joined): warm up until
  // one message arrives, so the path is known to work before anything is timed.
  const warmUp = performance.now() + 30_000;
  let warm = 0;
  const warmed = () => [...chatLatency.keys()].some((b) => b.startsWith('bench warm-up'));
  while (!warmed() && performance.now() < warmUp) {
    const body = `bench warm-up ${++warm}`;
    chatSent.set(body, performance.now());
    await sendChat(owner, other.roomId, body);
    for (let i = 0; i < 15 && !warmed(); i++) await sleep(100);
  }
  if (!warmed()) throw new Error('the guest of the other group got no chat within 30 s');

  // Probe callers, alternating 20 and 30 ms.
  const freqs = probeFrequencies(P, [...LOAD.map((l) => l.hz), BROWSER.hz]);
  const listen = [...freqs, ...LOAD.map((l) => l.hz), ...(K ? [BROWSER.hz] : [])];
  const probes: ProbeCaller[] = [];
  for (let i = 0; i < P; i++) {
    const p = new ProbeCaller({
      gateway: info.sip,
      service: SERVICE,
      callerId: `+4930777${String(i).padStart(4, '0')}`,
      ptimeMs: i % 2 === 0 ? 20 : 30,
      toneHz: freqs[i]!,
      listenHz: listen.filter((f) => f !== freqs[i]),
      sipPort: await freePort(),
      rtpPort: await freePort(),
    });
    await p.bind();
    probes.push(p);
  }
  const sippDir = mkdtempSync(join(tmpdir(), 'bench-conf-'));
  const loads: Promise<{ code: number; output: string; errors: string; rtts: number[] }>[] = [];
  const browsers: BenchBrowser[] = [];
  try {
    await Promise.all(
      probes.map(async (p) => {
        await p.call();
        p.startAudio();
        await sleep(300);
        await p.sendKeys(`${pin}#`);
      }),
    );
    // The load callers' audio: one tone for the whole hold each (no restarts), written before
    // anything is timed (it blocks this process for a while).
    const rampS = Math.ceil(N / RATE) + 30;
    // …plus the clean-up: the moderator removes callers one by one (each may get a "has left").
    const holdCapS = rampS + Number(opt.baseline) + Number(opt.steady) + 60 + Math.ceil(N / 4);
    for (const [i, l] of LOAD.entries()) {
      tonePcap(join(sippDir, `tone-${l.ptimeMs}.pcap`), {
        toneHz: l.hz,
        ptimeMs: l.ptimeMs,
        amplitude: LOAD_AMPLITUDE,
        segments: [{ ssrc: 0x1000 + i, sequence: 1, timestamp: 0, ms: holdCapS * 1000 }],
      });
    }
    const inMix = (s: { participants: { kind: string; waiting: boolean }[] }) =>
      s.participants.filter((x) => x.kind === 'phone' && !x.waiting).length;
    const probesIn = await moderator.state((s) => inMix(s) >= P, 30_000);
    if (K) {
      // The browsers, once the probes are in: each speaks; the first listens to every probe.
      const mainToken = await guestLinkToken(info, owner, roomId);
      for (let i = 0; i < K; i++) browsers.push(await BenchBrowser.join(info, mainToken, `Bench browser ${i + 1}`));
      for (const b of browsers) await b.speak(BROWSER.hz, BROWSER.amplitude);
      for (const [i, p] of probes.entries()) {
        // A probe's masked number ends in its own three digits (callerId +4930777000i).
        const x = probesIn.participants.find((x) => x.kind === 'phone' && x.name.endsWith(`00${i}`));
        if (!x?.media) throw new Error(`probe ${i}: no LiveKit identity in the conference state`);
        await browsers[0]!.listenTo(x.media, p.o.toneHz);
      }
      await moderator.state((s) => s.participants.filter((x) => x.kind !== 'phone' && !x.waiting).length > K, 30_000);
    }
    probes.forEach((p, i) => p.startBursts({ periodMs: PERIOD_MS, offsetMs: (i * PERIOD_MS) / P, burstMs: BURST_MS }));
    await sleep(PERIOD_MS); // bursts start at the next period boundary

    // Chat in the other group, every CHAT_MS, for the whole measurement.
    let chatN = 0;
    const chatErrors: string[] = [];
    const chatTimer = setInterval(() => {
      const body = `bench chat ${++chatN}`;
      chatSent.set(body, performance.now());
      sendChat(owner, other.roomId, body).catch((e: unknown) => chatErrors.push(String(e)));
    }, CHAT_MS);

    for (const p of probes) p.maxSendLagMs = 0; // from here on, the probes' clock is part of the figures
    mark('baseline');
    await sleep(Number(opt.baseline) * 1000);

    mark('burst');
    // The gateway lets at most 30 calls from one source into the PIN dialogue at once (a
    // protection; the welcome and 13 keys by SIP INFO take ~4.5 s), so the load comes from both
    // of the local stack's trunk addresses: up to ~6 calls/s each.
    const SOURCES = ['127.0.0.1', '127.0.0.2'];
    const sources = SOURCES.length;
    for (const [i, l] of LOAD.entries()) {
      const pcap = join(sippDir, `tone-${l.ptimeMs}.pcap`);
      const half = Math.floor(N / 2) + (i === 0 ? N % 2 : 0);
      for (let j = 0; j < sources; j++) {
        const n = Math.floor(half / sources) + (j < half % sources ? 1 : 0);
        if (n === 0) continue;
        const xml = scenario(
          `${INVITE(`+4930${i}${j}[call_number]`, { rtd: true, ptimeMs: l.ptimeMs })}
${ANSWERED}
${infoKeys(`${pin}#`)}
  <nop><action><exec play_pcap_audio="${pcap}"/></action></nop>
${EXPECT_BYE(holdCapS * 1000)}`,
        );
        let rtts: number[] = [];
        const perSecond = RATE / 2 / sources;
        loads.push(
          runSipp(xml, info.sip, {
            calls: n,
            from: SOURCES[j]!,
            timeoutS: holdCapS + 60,
            limitMs: (holdCapS + 90) * 1000,
            extra: [
              '-r',
              '1',
              '-rp',
              String(Math.round(1000 / perSecond)),
              '-l',
              String(n),
              '-trace_rtt',
              '-rtt_freq',
              '1',
            ],
            inspect: (dir) => (rtts = readRtts(dir)),
          }).then((r) => ({ code: r.code, output: r.output, errors: r.errors, rtts })),
        );
      }
    }
    const rampStart = performance.now();
    const rampDeadline = rampStart + rampS * 1000;
    let mixCalls = 0;
    let allInAfterS = NaN;
    let loadsRunning = loads.length;
    for (const l of loads) void l.finally(() => loadsRunning--);
    while (performance.now() < rampDeadline && loadsRunning > 0) {
      mixCalls = metricValue(await gatewayMetrics(info), 'foyer_gateway_calls', { state: 'mix' });
      if (mixCalls >= N + P) {
        allInAfterS = (performance.now() - rampStart) / 1000;
        break;
      }
      await sleep(500);
    }
    mark('steady');
    for (const p of probes) p.levels = new Map(LOAD.map((l) => [l.hz, { sum: 0, n: 0 }]));
    await sleep(Number(opt.steady) * 1000);
    const mixAtEnd = metricValue(await gatewayMetrics(info), 'foyer_gateway_calls', { state: 'mix' });
    const phonesSeen = inMix(await moderator.state(() => true));
    mark('end');
    const loadLevels = LOAD.map((l) => {
      const xs = probes.map((p) => p.levels?.get(l.hz)).filter((x) => x !== undefined && x.n > 0);
      const mean = xs.reduce((a, x) => a + x!.sum / x!.n, 0) / xs.length;
      return Math.sqrt(2 * mean); // the tone's amplitude in the mix
    });
    for (const p of probes) p.levels = undefined;
    clearInterval(chatTimer);
    for (const p of probes) p.stopBursts();
    await sleep(PERIOD_MS + 200); // the last bursts' arrival
    const probeLag = Math.max(...probes.map((p) => p.maxSendLagMs));
    for (const b of browsers) await b.close();

    // Hang up: the probes, then every load caller (the moderator removes them; sipp answers the BYE).
    await Promise.all(probes.map((p) => p.hangup()));
    const state = await moderator.state(() => true);
    for (const x of state.participants.filter((x) => x.kind === 'phone')) {
      moderator.send({ type: 'remove', participantId: x.id });
      await sleep(40); // under the WebSocket's 50 messages/s
    }
    const loadResults = await Promise.all(loads);
    const leftAfter = metricValue(await gatewayMetrics(info), 'foyer_gateway_calls', { state: 'mix' });
    // Chat still on its way gets a bounded while.
    const chatDeadline = performance.now() + 15_000;
    while (performance.now() < chatDeadline && chatLatency.size < chatSent.size) await sleep(200);
    await sleep(Number(opt.settle) * 1000);
    const rssAfter = { bridge: rssMb('bridge'), gateway: rssMb('sip-gateway') };

    report({
      probes,
      freqs,
      browserHeard: browsers[0]?.heard,
      chatSent,
      chatLatency,
      chatErrors,
      loadResults,
      mixCalls,
      mixAtEnd,
      phonesSeen,
      allInAfterS,
      probeLag,
      leftAfter,
      loadLevels,
      rssBefore,
      rssAfter,
    });
  } finally {
    for (const p of probes) await p.hangup(500).catch(() => undefined);
    await Promise.allSettled(loads);
    rmSync(sippDir, { recursive: true, force: true });
    for (const b of browsers) await b.close();
    await Promise.all([moderator.close(), otherModerator.close(), guest.close()]);
    if (K) await dispose();
  }
}

interface Results {
  probes: ProbeCaller[];
  freqs: number[];
  /** What the first browser heard of each probe's tone (with --browsers). */
  browserHeard: Map<number, number[]> | undefined;
  chatSent: Map<string, number>;
  chatLatency: Map<string, number>;
  chatErrors: string[];
  loadResults: { code: number; output: string; errors: string; rtts: number[] }[];
  mixCalls: number;
  mixAtEnd: number;
  phonesSeen: number;
  allInAfterS: number;
  probeLag: number;
  leftAfter: number;
  loadLevels: number[];
  rssBefore: { bridge: number; gateway: number };
  rssAfter: { bridge: number; gateway: number };
}

function report(r: Results): void {
  const { probes } = r;
  const setup183 = probes.map((p) => (p.times.early ?? NaN) - (p.times.invite ?? NaN));
  const setup200 = probes.map((p) => (p.times.answered ?? NaN) - (p.times.invite ?? NaN));
  const rtts = r.loadResults.flatMap((x) => x.rtts);
  const failed = r.loadResults.reduce(
    (a, x) => a + (x.code === 0 ? 0 : Number(/Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(x.output)?.[1] ?? NaN)),
    0,
  );
  // Why sipp calls failed: its error log's distinct complaints (Call-IDs and times left out).
  const complaints = new Map<string, number>();
  for (const x of r.loadResults.filter((x) => x.code !== 0)) {
    for (const line of x.errors.split('\n')) {
      if (!/call|timeout|unexpected/i.test(line)) continue;
      const key = line
        .replace(/^.*?\d+\.\d+: /, '')
        .replace(/'[^']*@[^']*'/g, "'…'")
        .replace(/\d+-\d+@\S+/g, '…')
        .slice(0, 140);
      complaints.set(key, (complaints.get(key) ?? 0) + 1);
    }
  }
  if (complaints.size) {
    console.log('sipp errors (last lines of each failing run):');
    for (const [k, n] of complaints) console.log(`   ${n} × ${k}`);
    console.log('');
  }
  console.log('1. call setup');
  console.log(
    `   load callers (sipp, PIN by SIP INFO): INVITE → 183 p50 ${fmt(percentile(rtts, 50))} ms, p95 ${fmt(percentile(rtts, 95))} ms, max ${fmt(percentile(rtts, 100))} ms; failed calls: ${failed}`,
  );
  console.log(
    `   probes: INVITE → 183 ${setup183.map((x) => fmt(x)).join(', ')} ms; → 200 (after the welcome) ${setup200.map((x) => fmt(x)).join(', ')} ms`,
  );
  console.log(
    `   in the mix: ${r.mixAtEnd} of ${N + P} callers at the end (gateway metric; the moderator sees ${r.phonesSeen} phones), all in after ${fmt(r.allInAfterS, 1)} s${Number.isFinite(r.allInAfterS) ? '' : ` (not all within the ramp; ${r.mixCalls} at most)`}\n`,
  );

  console.log('2. audio both ways: probe bursts heard at the other probes (tone energy, 20 ms windows)');
  for (const phase of PHASES) {
    const byPair: { sender: number; receiver: number; heard: number; sent: number; lat: number[] }[] = [];
    for (const s of probes) {
      const sends = s.burstsSent.filter((t) => phaseOf(t) === phase);
      for (const rcv of probes) {
        if (rcv === s) continue;
        const m = matchBursts(sends, onsets(rcv.heard.get(s.o.toneHz) ?? [], 300), PERIOD_MS);
        byPair.push({
          sender: s.o.ptimeMs,
          receiver: rcv.o.ptimeMs,
          heard: m.heard,
          sent: m.sent,
          lat: m.latencies.filter((x): x is number => x !== undefined),
        });
      }
    }
    const share = (f: (x: (typeof byPair)[number]) => boolean) => {
      const xs = byPair.filter(f);
      const sent = xs.reduce((a, x) => a + x.sent, 0);
      const heard = xs.reduce((a, x) => a + x.heard, 0);
      return sent ? `${heard}/${sent} (${fmt((100 * heard) / sent)} %)` : '—';
    };
    const lat = byPair.flatMap((x) => x.lat);
    console.log(`   ${PHASE_LABEL[phase]}:`);
    console.log(
      `     heard, by sender: 20 ms ${share((x) => x.sender === 20)}, 30 ms ${share((x) => x.sender === 30)}; by receiver: 20 ms ${share((x) => x.receiver === 20)}, 30 ms ${share((x) => x.receiver === 30)}`,
    );
    console.log(
      `     mouth-to-ear: p50 ${fmt(percentile(lat, 50))} ms, p95 ${fmt(percentile(lat, 95))} ms, max ${fmt(percentile(lat, 100))} ms (${lat.length} bursts)`,
    );
    if (phase === 'steady') {
      // The load callers' tones in what the probes receive, as share of packets.
      const shares = LOAD.map((l) => {
        let hit = 0;
        let all = 0;
        for (const p of probes) {
          all += p.arrivals.filter((t) => phaseOf(t) === 'steady').length;
          hit += (p.heard.get(l.hz) ?? []).filter((t) => phaseOf(t) === 'steady').length;
        }
        return `${l.ptimeMs} ms callers' ${l.hz} Hz in ${all ? fmt((100 * hit) / all) : '—'} % of packets (amplitude ${fmt(r.loadLevels[LOAD.indexOf(l)] ?? NaN)})`;
      });
      console.log(`     load callers in the mix the probes hear: ${shares.join(', ')}`);
    }
  }
  if (r.browserHeard) reportBrowsers(probes, r.browserHeard);
  // The detector's check: onsets of a probe's tone that no burst of it explains (a prompt, an
  // announcement, noise taken for the tone) — a few at most, or the shares above mean little.
  let all = 0;
  let matched = 0;
  for (const s of probes) {
    const sends = s.burstsSent.filter((t) => phaseOf(t) !== undefined);
    for (const rcv of probes) {
      if (rcv === s) continue;
      const heard = onsets(rcv.heard.get(s.o.toneHz) ?? [], 300).filter(
        (t) => t >= bounds.baseline! && t < bounds.end! + PERIOD_MS,
      );
      all += heard.length;
      matched += matchBursts(sends, heard, PERIOD_MS).heard;
    }
  }
  console.log(`   onsets of a probe tone that match no burst of it: ${all - matched} (of ${all})`);
  console.log(`   (the probes' own send loop ran at most ${fmt(r.probeLag, 1)} ms late)\n`);

  console.log(`3. chat in another group during the run (a member's message every ${CHAT_MS} ms, to its guest)`);
  for (const phase of PHASES) {
    const sent = [...r.chatSent].filter(([b, t]) => !b.startsWith('bench warm-up') && phaseOf(t) === phase);
    const lat = sent.map(([b]) => r.chatLatency.get(b)).filter((x): x is number => x !== undefined);
    console.log(
      `   ${PHASE_LABEL[phase]}: p50 ${fmt(percentile(lat, 50))} ms, p99 ${fmt(percentile(lat, 99))} ms, max ${fmt(percentile(lat, 100))} ms; ${sent.length - lat.length} of ${sent.length} not arrived within 15 s of the end`,
    );
  }
  if (r.chatErrors.length) console.log(`   send errors: ${r.chatErrors.length} (${r.chatErrors[0]})`);
  console.log('');

  console.log('4. CPU (share of one core)');
  for (const phase of PHASES) {
    const a = cpuAt[phase];
    const next = PHASES[PHASES.indexOf(phase) + 1] ?? 'end';
    const b = cpuAt[next];
    const secs = ((bounds[next] ?? NaN) - (bounds[phase] ?? NaN)) / 1000;
    if (!a || !b) continue;
    const cells = SERVICES.map((s) => `${s} ${fmt((100 * (b[s] - a[s])) / secs)} %`);
    console.log(`   ${PHASE_LABEL[phase]} (${fmt(secs, 1)} s): ${cells.join(', ')}`);
    if (phase === 'steady') {
      // Per caller once all are in: the gateway (SIP, relays) and the media plane together.
      const share = (list: Service[]) => list.reduce((x, s) => x + (100 * (b[s] - a[s])) / secs, 0) / (N + P);
      console.log(
        `     per caller: gateway ${fmt(share(['sip-gateway']), 3)} %, media plane (${MEDIA.join(' + ')}) ${fmt(share(MEDIA), 3)} %`,
      );
    }
  }
  console.log('');

  const sum = (x: { bridge: number; gateway: number }) => x.bridge + x.gateway;
  console.log('5. resident memory (VmRSS), bridge / gateway / together');
  console.log(
    `   before: ${fmt(r.rssBefore.bridge)} / ${fmt(r.rssBefore.gateway)} / ${fmt(sum(r.rssBefore))} MB; after (calls ended, +${opt.settle} s): ${fmt(r.rssAfter.bridge)} / ${fmt(r.rssAfter.gateway)} / ${fmt(sum(r.rssAfter))} MB`,
  );
  console.log(`   calls still in the mix after the clean-up: ${r.leftAfter}`);
  console.log(`\n   ${machine()} (at the end)`);
}

/** Audio between callers and browsers: the probes' bursts at the first browser, the browsers' tone at the probes. */
function reportBrowsers(probes: ProbeCaller[], heard: Map<number, number[]>): void {
  console.log(
    `   browsers (${K}, rtc-node; the first judges the probes' bursts in 20 ms windows every 10 ms of playout):`,
  );
  for (const phase of PHASES) {
    let sent = 0;
    let got = 0;
    const lat: number[] = [];
    for (const p of probes) {
      const sends = p.burstsSent.filter((t) => phaseOf(t) === phase);
      const m = matchBursts(sends, onsets(heard.get(p.o.toneHz) ?? [], 300), PERIOD_MS);
      sent += m.sent;
      got += m.heard;
      lat.push(...m.latencies.filter((x): x is number => x !== undefined));
    }
    let hit = 0;
    let all = 0;
    for (const p of probes) {
      all += p.arrivals.filter((t) => phaseOf(t) === phase).length;
      hit += (p.heard.get(BROWSER.hz) ?? []).filter((t) => phaseOf(t) === phase).length;
    }
    console.log(
      `     ${PHASE_LABEL[phase]}: a browser heard ${got}/${sent} probe bursts (${sent ? fmt((100 * got) / sent) : '—'} %), mouth-to-ear p50 ${fmt(percentile(lat, 50))} ms, p95 ${fmt(percentile(lat, 95))} ms; the probes hear the browsers' ${BROWSER.hz} Hz in ${all ? fmt((100 * hit) / all) : '—'} % of packets`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
