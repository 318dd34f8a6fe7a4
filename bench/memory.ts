// Memory benchmark against a running local stack (scripts/stack up):
//   npm run bench:memory -- [--runs 3] [--settle 60] [dial-in options: --calls 200 --rate 20 …]
// Reports the resident memory (VmRSS, /proc/<pid>/status) of the bridge and the gateway idle,
// then after each of --runs dial-in benchmarks (bench/dialin.ts, given the dial-in options),
// each time --settle seconds after the run so V8 has shrunk what the burst needed; with it each
// one's V8 heap in use and the young generation's size (their /metrics). The target (issue 17):
// bridge + gateway idle under 600 MB with the embedded databases, and no growth across runs.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { metricValue } from '../tests/helpers/matrix.ts';
import { loadStack, machine, ROOT, rssMb, stackDir } from './lib/stack.ts';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    settle: { type: 'string', default: '60' },
    calls: { type: 'string', default: '200' },
    rate: { type: 'string', default: '20' },
    limit: { type: 'string', default: '40' },
    concurrent: { type: 'string', default: '50' },
    hold: { type: 'string', default: '20' },
  },
});
const info = loadStack();

const SERVICES = [
  { name: 'bridge', url: info.bridgeApiUrl, prefix: 'foyer_bridge_' },
  { name: 'sip-gateway', url: info.gatewayUrl, prefix: 'foyer_gateway_' },
] as const;

interface Sample {
  rssMb: number;
  heapUsedMb: number;
  youngMb: number;
}

const MB = 2 ** 20;

/** A service's resident memory; a service that is not running stops the benchmark. */
function residentMb(name: 'bridge' | 'sip-gateway'): number {
  const mb = rssMb(name);
  if (Number.isNaN(mb)) throw new Error(`${name}: not running (no VmRSS)`);
  return mb;
}

async function sample(): Promise<Sample[]> {
  return Promise.all(
    SERVICES.map(async (s) => {
      const res = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${info.internalApiSecret}` } });
      const text = await res.text();
      return {
        rssMb: residentMb(s.name),
        heapUsedMb: metricValue(text, `${s.prefix}nodejs_heap_size_used_bytes`) / MB,
        youngMb: metricValue(text, `${s.prefix}nodejs_heap_space_size_total_bytes`, { space: 'new' }) / MB,
      };
    }),
  );
}

function row(label: string, s: Sample[]): string {
  const cells = s.map(
    (x) => `${x.rssMb.toFixed(0).padStart(5)} MB (heap ${x.heapUsedMb.toFixed(0)}, young ${x.youngMb.toFixed(0)})`,
  );
  const total = s.reduce((a, x) => a + x.rssMb, 0);
  return `   ${label.padEnd(12)} ${cells.map((c) => c.padEnd(34)).join('')}${total.toFixed(0).padStart(5)} MB`;
}

/** bench/dialin.ts as a child; its summary lines are echoed (indented). */
function dialin(): Promise<void> {
  const args = ['--calls', opt.calls, '--rate', opt.rate, '--limit', opt.limit, '--concurrent', opt.concurrent];
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'dialin.ts'), ...args, '--hold', opt.hold], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolveRun, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      for (const l of out.split('\n').filter((x) => /failed:|in the mix:/.test(x))) console.log(`     dial-in:${l}`);
      if (code !== 0) console.log(`     dial-in exited with ${code}`);
      resolveRun();
    });
  });
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

async function main(): Promise<void> {
  console.log(`Foyer memory benchmark — ${machine()}`);
  console.log(`stack: ${stackDir} (${info.db}); resident memory (VmRSS) of each service, heap = V8 heap in use\n`);
  console.log(`   ${''.padEnd(12)} ${'bridge'.padEnd(34)}${'sip-gateway'.padEnd(34)}together`);
  const first = await sample();
  console.log(row('idle', first));
  let last = first;
  const runs = Number(opt.runs);
  for (let i = 1; i <= runs; i++) {
    await dialin();
    await sleep(Number(opt.settle));
    last = await sample();
    console.log(row(`after run ${i}`, last));
  }
  const sum = (s: Sample[]) => s.reduce((a, x) => a + x.rssMb, 0);
  console.log(
    `\n   idle together: ${sum(first).toFixed(0)} MB (target < 600 MB); after ${runs} runs: ${sum(last).toFixed(0)} MB (${sum(last) - sum(first) >= 0 ? '+' : ''}${(sum(last) - sum(first)).toFixed(0)} MB)`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
