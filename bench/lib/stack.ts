// What the benchmarks share about the stack they run against: where it is (FOYER_STACK_DIR,
// default .stack), its services' pids, resident memory and CPU time, the gateway's metrics, and
// the machine, so every report states what it ran on.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { StackInfo } from '../../tests/helpers/stack.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** The folder of the stack to measure: FOYER_STACK_DIR (relative to the repository) or .stack. */
export const stackDir = resolve(ROOT, process.env.FOYER_STACK_DIR ?? '.stack');

/** The running stack's details, or exit with a hint. */
export function loadStack(): StackInfo {
  try {
    return JSON.parse(readFileSync(join(stackDir, 'stack.json'), 'utf8')) as StackInfo;
  } catch {
    console.error(`no running stack in ${stackDir}: start one with scripts/stack up (FOYER_STACK_DIR picks another)`);
    process.exit(1);
  }
}

export type Service = 'bridge' | 'sip-gateway' | 'livekit' | 'media-agent' | 'synapse';

/** The parent pid and command name of a process, from /proc/<pid>/stat. */
function statOf(pid: string): { ppid: string; comm: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    return { comm, ppid: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '' };
  } catch {
    return undefined;
  }
}

/** The gateway's media agent: a descendant of the gateway's process named foyer-media-agent. */
function mediaAgentPid(): string {
  const gateway = pid('sip-gateway');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || !statOf(entry)?.comm.startsWith('foyer-media-age')) continue; // comm: 15 chars
    for (let p = statOf(entry)?.ppid, hops = 0; p && p !== '0' && hops < 10; p = statOf(p)?.ppid, hops++)
      if (p === gateway) return entry;
  }
  throw new Error('no media agent under the gateway (has it started yet?)');
}

function pid(name: Service): string {
  if (name === 'media-agent') return mediaAgentPid();
  return readFileSync(join(stackDir, 'run', `${name}.pid`), 'utf8').trim();
}

/** Resident memory (VmRSS) of a service in MB; NaN when it is not running. */
export function rssMb(name: Service): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid(name)}/status`, 'utf8'))?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) of a service and its threads, in seconds; NaN when not running. */
export function cpuSeconds(name: Service): number {
  try {
    const fields =
      readFileSync(`/proc/${pid(name)}/stat`, 'utf8')
        .split(') ')[1]
        ?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (100/s)
  } catch {
    return NaN;
  }
}

export async function gatewayMetrics(info: StackInfo): Promise<string> {
  const res = await fetch(`${info.gatewayUrl}/metrics`, {
    headers: { authorization: `Bearer ${info.internalApiSecret}` },
    signal: AbortSignal.timeout(5000),
  });
  return res.text();
}

/** CPU model, cores, RAM, kernel, Node, and the load averages now. */
export function machine(): string {
  const cpu = cpus();
  const load = loadavg().map((l) => l.toFixed(2));
  return `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}; load average ${load.join(' ')}`;
}

/** sipp's -trace_rtt: INVITE → 183 per call, ms. */
export function readRtts(dir: string): number[] {
  const f = readdirSync(dir).find((x) => x.endsWith('_rtt.csv'));
  if (!f) return [];
  return readFileSync(join(dir, f), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => Number(l.split(';')[1]))
    .filter((n) => Number.isFinite(n));
}
