// Background processes of the stack: started detached in their own process group with output
// to .stack/logs/<name>.log, tracked by pid files, stopped as a group so nothing is left behind.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.ts';
import type { StackLayout } from './layout.ts';

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

export const logFile = (l: StackLayout, name: string) => join(l.logs, `${name}.log`);
const pidFile = (l: StackLayout, name: string) => join(l.run, `${name}.pid`);

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function runningPid(l: StackLayout, name: string): number | undefined {
  const f = pidFile(l, name);
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

export function startProcess(
  l: StackLayout,
  name: string,
  cmd: string,
  args: string[],
  opts: StartOptions = {},
): number {
  mkdirSync(l.logs, { recursive: true });
  mkdirSync(l.run, { recursive: true });
  const out = openSync(logFile(l, name), 'a');
  try {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? l.root,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
      uid: opts.uid,
      gid: opts.gid,
    });
    const pid = child.pid;
    if (pid === undefined) throw new StackError(`${name}: could not start ${cmd}`);
    child.on('error', () => undefined); // reported through the readiness check and the log
    child.unref();
    writeFileSync(pidFile(l, name), `${pid}\n`);
    return pid;
  } finally {
    closeSync(out);
  }
}

export function tailLog(file: string, lines = 12): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Poll `check` until it passes; fail fast when the process dies, naming the service and its log. */
export async function waitReady(
  l: StackLayout,
  name: string,
  pid: number,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const log = logFile(l, name);
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new StackError(`${name} exited during start-up; see ${log}:\n${tailLog(log)}`);
    }
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new StackError(
    `${name} did not become ready within ${Math.round(timeoutMs / 1000)} s; see ${log}:\n${tailLog(log)}`,
  );
}

export async function stopProcess(
  l: StackLayout,
  name: string,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 15_000,
): Promise<boolean> {
  const pid = runningPid(l, name);
  rmSync(pidFile(l, name), { force: true });
  if (pid === undefined) return false;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // the whole group: wrappers and their children
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  kill(signal);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && isAlive(pid)) await sleep(100);
  if (isAlive(pid)) {
    kill('SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
  return true;
}

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Whether a UDP port is free on every address (a wildcard bind fails while any address of the
 * machine has the port, e.g. LiveKit's UDP mux on the primary interface).
 */
export function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, '0.0.0.0', () => sock.close(() => resolve(true)));
  });
}

export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1500) });
  await res.body?.cancel();
  return res.ok;
}

/** Which binary on PATH (or at an absolute path) runs, or a StackError saying what to install. */
export function requireBinary(name: string, candidates: string[], hint: string): string {
  for (const c of candidates) {
    if (c.includes('/')) {
      if (existsSync(c)) return c;
      continue;
    }
    for (const dir of (process.env.PATH ?? '').split(':')) {
      if (dir && existsSync(join(dir, c))) return join(dir, c);
    }
  }
  throw new StackError(`${name}: binary not found (${candidates.join(', ')}); ${hint}`);
}
