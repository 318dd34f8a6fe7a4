// scripts/foyer-admin: fixed conference rooms through the bridge's admin API (bridge/README.md).
// Reads the deployment config for the bridge's address and adminApi.secret. Exit codes: 0 done,
// 1 the bridge refused or could not be reached, 2 a mistake on the command line or in the config.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { FixedRoomChange, FixedRoomRepair } from '@foyer/common';
import { listenerUrl, loadConfig } from '@foyer/config';
import { parseCommandLine, USAGE, UsageError, type ParsedCommandLine } from './args.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

class ApiError extends Error {
  override name = 'ApiError';
}

/** The config is missing or wrong: exit code 2, like a usage error, without the usage hint. */
class ConfigProblem extends Error {
  override name = 'ConfigProblem';
}

type RoomView = FixedRoomChange;

function configFile(given: string | undefined): string {
  if (given) return given;
  if (process.env.FOYER_CONFIG) return process.env.FOYER_CONFIG;
  const stack = join(ROOT, '.stack', 'foyer.yaml');
  if (existsSync(stack)) return stack;
  throw new ConfigProblem('no config: pass --config <foyer.yaml> or set FOYER_CONFIG (no .stack/foyer.yaml here)');
}

function connection(cl: ParsedCommandLine): { url: string; secret: string } {
  let config;
  try {
    config = loadConfig(configFile(cl.config)).config;
  } catch (err) {
    if (err instanceof ConfigProblem) throw err;
    throw new ConfigProblem((err as Error).message);
  }
  if (!config.adminApi) throw new ConfigProblem('the config has no adminApi.secret: the admin API is off');
  const url = (cl.url ?? listenerUrl(config.bridge.listen)).replace(/\/+$/, '');
  return { url, secret: config.adminApi.secret };
}

async function call<T>(c: { url: string; secret: string }, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${c.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${c.secret}`,
        'x-foyer-admin-client': `foyer-admin (${userInfo().username})`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ApiError(
      `cannot reach the bridge at ${c.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { message: text.slice(0, 200) };
  }
  if (!res.ok) {
    const m = (json as { message?: string }).message ?? `HTTP ${res.status}`;
    throw new ApiError(`${res.status === 401 ? 'refused (wrong adminApi.secret?)' : `refused (${res.status})`}: ${m}`);
  }
  return json as T;
}

const enc = encodeURIComponent;
const yesNo = (b: boolean) => (b ? 'on' : 'off');
const holdText = (r: RoomView) => (r.holdMusic.enabled ? (r.holdMusic.file ?? 'default') : 'off');

function details(r: RoomView): string {
  const rows: [string, string][] = [
    ['id', r.id],
    ['name', r.name],
    ['extension', r.number === r.extension ? r.extension : `${r.extension} (${r.number})`],
    ['Matrix room', r.matrixRoom === 'missing' ? `${r.roomId} MISSING (run: rooms repair ${r.id})` : r.roomId],
    ['PIN', r.pinRequired ? 'set' : 'none (no PIN asked)'],
    ['moderator PIN', r.hasModeratorPin ? 'set' : 'none'],
    ['announcement', yesNo(r.announce)],
    ['hold music', holdText(r)],
    ['max participants', r.maxParticipants === null ? 'no limit' : String(r.maxParticipants)],
    ['start muted', yesNo(r.startMuted)],
    ['created', r.createdAt],
    ['changed', r.updatedAt],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(18)}${v}`).join('\n');
}

function shownPins(r: RoomView): string {
  const lines: string[] = [];
  if (r.pin !== undefined) lines.push(r.pin === null ? 'PIN: none (callers are not asked)' : `PIN: ${r.pin}`);
  if (r.moderatorPin !== undefined)
    lines.push(r.moderatorPin === null ? 'moderator PIN: none' : `moderator PIN: ${r.moderatorPin}`);
  if (lines.some((l) => /\d$/.test(l))) lines.push('(shown only now: note it down)');
  return lines.join('\n');
}

function table(rooms: RoomView[]): string {
  if (!rooms.length) return 'no fixed rooms';
  const head = ['ID', 'EXTENSION', 'NAME', 'PIN', 'MOD-PIN', 'ANNOUNCE', 'HOLD MUSIC', 'MAX', 'MUTED', 'MATRIX'];
  const rows = rooms.map((r) => [
    r.id,
    r.extension,
    r.name,
    r.pinRequired ? 'set' : 'none',
    r.hasModeratorPin ? 'set' : 'none',
    yesNo(r.announce),
    holdText(r),
    r.maxParticipants === null ? '-' : String(r.maxParticipants),
    yesNo(r.startMuted),
    r.matrixRoom === 'missing' ? 'MISSING' : 'ok',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const lines = [head, ...rows].map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  if (rooms.some((r) => r.matrixRoom === 'missing'))
    lines.push('', 'MISSING: the Matrix room was deleted outside Foyer; "rooms repair <id>" makes a new one.');
  return lines.join('\n');
}

async function run(argv: string[]): Promise<string> {
  const cl = parseCommandLine(argv);
  const cmd = cl.command;
  if (cmd.kind === 'help') return USAGE;
  const c = connection(cl);
  const out = (human: string, data: unknown) => (cl.json ? JSON.stringify(data, null, 2) : human);
  switch (cmd.kind) {
    case 'list': {
      const r = await call<{ rooms: RoomView[] }>(c, 'GET', '/admin/v1/rooms');
      return out(table(r.rooms), r);
    }
    case 'show': {
      const r = await call<RoomView>(c, 'GET', `/admin/v1/rooms/${enc(cmd.ref)}`);
      return out(details(r), r);
    }
    case 'create': {
      const r = await call<RoomView>(c, 'POST', '/admin/v1/rooms', cmd.body);
      return out(
        `created fixed room ${r.id} "${r.name}" at extension ${r.extension} (Matrix room ${r.roomId})\n${shownPins(r)}`,
        r,
      );
    }
    case 'update': {
      const r = await call<RoomView>(c, 'PATCH', `/admin/v1/rooms/${enc(cmd.ref)}`, cmd.body);
      const pins = shownPins(r);
      return out(`changed fixed room ${r.id} "${r.name}" at extension ${r.extension}${pins ? `\n${pins}` : ''}`, r);
    }
    case 'repair': {
      const r = await call<FixedRoomRepair>(c, 'POST', `/admin/v1/rooms/${enc(cmd.ref)}/repair`, cmd.body);
      return out(`${r.repaired ? 'repaired' : 'nothing to repair'}: ${r.message}`, r);
    }
    case 'delete': {
      const r = await call<{ id: string; roomId: string; matrixRoomRemoved: boolean }>(
        c,
        'DELETE',
        `/admin/v1/rooms/${enc(cmd.ref)}`,
      );
      return out(
        `deleted fixed room ${r.id}; ${r.matrixRoomRemoved ? `Matrix room ${r.roomId} removed` : `Matrix room ${r.roomId} could not be removed (see the bridge log)`}`,
        r,
      );
    }
  }
}

try {
  process.stdout.write(`${await run(process.argv.slice(2))}\n`);
} catch (err) {
  process.stderr.write(`foyer-admin: ${(err as Error).message}\n`);
  if (err instanceof UsageError) process.stderr.write('(scripts/foyer-admin --help for usage)\n');
  process.exitCode = err instanceof UsageError || err instanceof ConfigProblem ? 2 : 1;
}
