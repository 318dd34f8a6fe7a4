// Dial-in benchmark against a running local stack (scripts/stack up):
//   npm run bench:dialin -- [--calls 200] [--rate 20] [--limit 40] [--concurrent 50] [--hold 25]
// 1. call setup: sipp places --calls calls (at most --limit at once, --rate per second) that
//    enter the PIN by SIP INFO and hang up; reported: calls/s, INVITE→183 latency, failures.
// 2. concurrency: --concurrent callers (PCMA, so transcoding is exercised) join the conference
//    with a moderator present and send audio; reported: how many are in the mix with audio
//    flowing both ways, and the CPU used by the gateway, its media agent (the callers' mix) and
//    LiveKit. Figures depend on the machine, which the report states.
import { parseArgs } from 'node:util';
import { ConferenceClient } from '../tests/helpers/conference.ts';
import { groupWithGuestAccess, metricValue, newUser } from '../tests/helpers/matrix.ts';
import { ANSWERED, CALLER_BYE, infoKeys, INVITE, runSipp, scenario } from '../tests/helpers/sipp.ts';
import { percentile as pct } from './lib/measure.ts';
import { cpuSeconds, gatewayMetrics, loadStack, machine, readRtts, stackDir } from './lib/stack.ts';

const { values: opt } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    rate: { type: 'string', default: '20' },
    limit: { type: 'string', default: '40' },
    concurrent: { type: 'string', default: '50' },
    hold: { type: 'string', default: '25' },
  },
});
const info = loadStack();

async function main(): Promise<void> {
  console.log(`Foyer dial-in benchmark — ${machine()}`);
  console.log(`stack: ${stackDir} (${info.db}); sipp, the stack and this script share the machine\n`);

  const owner = await newUser(info, 'bench');
  const { roomId, pin } = await groupWithGuestAccess(info, owner, 'Benchmark');
  const moderator = await ConferenceClient.asMember(info, owner, roomId);
  moderator.send({ type: 'join' });
  await moderator.state((s) => s.status === 'running');

  // 1. Call setup.
  const calls = Number(opt.calls);
  const setupXml = scenario(
    `${INVITE('+4930100', { rtd: true })}
${ANSWERED}
${infoKeys(`${pin}#`)}\n  <pause milliseconds="1000"/>\n${CALLER_BYE}`,
  );
  const t0 = Date.now();
  let lat: number[] = [];
  const setup = await runSipp(setupXml, info.sip, {
    calls,
    timeoutS: 300,
    extra: ['-r', opt.rate, '-l', opt.limit, '-trace_rtt', '-rtt_freq', '1'],
    inspect: (dir) => (lat = readRtts(dir)),
  });
  const elapsed = (Date.now() - t0) / 1000;
  const failed = setup.code === 0 ? 0 : Number(/Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(setup.output)?.[1] ?? NaN);
  console.log('1. call setup (INVITE, 183 with the welcome, 200, PIN by SIP INFO, into the mix, BYE)');
  console.log(
    `   ${calls} calls, ${opt.limit} at once at most: ${(calls / elapsed).toFixed(1)} calls/s over ${elapsed.toFixed(1)} s; failed: ${failed}`,
  );
  console.log(`   INVITE → 183 latency: p50 ${pct(lat, 50)} ms, p95 ${pct(lat, 95)} ms, max ${pct(lat, 100)} ms`);
  console.log('   (each call holds about 3.5 s: the welcome plays before the answer, then PIN and a 1 s stay)\n');

  // 2. Concurrent calls with audio through the mix.
  const n = Number(opt.concurrent);
  if (Number(opt.hold) < 15) throw new Error('--hold must be at least 15 s: the measurement needs calls that stay');
  const holdS = Number(opt.hold);
  const plays = Array.from(
    { length: Math.ceil(holdS / 4.5) },
    () => '  <nop><action><exec play_pcap_audio="g711a.pcap"/></action></nop>\n  <pause milliseconds="4500"/>',
  ).join('\n');
  const holdXml = scenario(
    `${INVITE('+4930200', { codec: 'pcma' })}
${ANSWERED}
${infoKeys(`${pin}#`)}\n${plays}\n${CALLER_BYE}`,
  );
  const run = runSipp(holdXml, info.sip, { calls: n, timeoutS: holdS + 120, extra: ['-r', '10', '-l', String(n)] });
  // Measure once every caller is in the mix (bounded wait), inside their hold time.
  const rampDeadline = Date.now() + (n / 10 + 20) * 1000;
  while (
    Date.now() < rampDeadline &&
    metricValue(await gatewayMetrics(info), 'foyer_gateway_calls', { state: 'mix' }) < n
  ) {
    await new Promise((r) => setTimeout(r, 500));
  }
  const m1 = await gatewayMetrics(info);
  const cpu = () => ({
    gw: cpuSeconds('sip-gateway'),
    agent: cpuSeconds('media-agent'),
    livekit: cpuSeconds('livekit'),
  });
  const cpu1 = cpu();
  const w = 5;
  await new Promise((r) => setTimeout(r, w * 1000));
  const m2 = await gatewayMetrics(info);
  const cpu2 = cpu();
  const inMix = metricValue(m2, 'foyer_gateway_calls', { state: 'mix' });
  const rate = (leg: string) =>
    (metricValue(m2, 'foyer_gateway_rtp_packets', { leg }) - metricValue(m1, 'foyer_gateway_rtp_packets', { leg })) / w;
  const perCall = (leg: string) => (inMix ? rate(leg) / inMix : 0);
  const share = (k: keyof typeof cpu1) => (((cpu2[k] - cpu1[k]) / w) * 100).toFixed(0);
  const done = await run;
  console.log(`2. concurrent calls in the mix (PCMA callers sending audio, a moderator present, ${holdS} s each)`);
  console.log(
    `   in the mix: ${inMix} of ${n}; sipp ${done.code === 0 ? 'completed every call' : `reported failures (exit ${done.code})`}`,
  );
  console.log(
    `   per call and second: ${perCall('from_caller').toFixed(1)} packets in from the caller, ${perCall('to_mix').toFixed(1)} to the media agent's mix, ${perCall('from_mix').toFixed(1)} from it, ${perCall('to_caller').toFixed(1)} to the caller (50 = full 20 ms audio)`,
  );
  console.log(
    `   CPU (share of one core): gateway ${share('gw')} %, media agent ${share('agent')} %, LiveKit ${share('livekit')} %`,
  );
  await moderator.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
