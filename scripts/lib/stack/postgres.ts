// A private Postgres cluster inside the stack folder: its own port, password auth, TCP on
// loopback only. Postgres refuses to run as root, so as root it runs as the "postgres" user.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { StackError } from './errors.ts';
import type { StackLayout } from './layout.ts';
import { requireBinary, startProcess, waitReady } from './proc.ts';
import type { StackState } from './state.ts';

export const PG_USER = 'foyer';
export const DATABASES = ['synapse', 'foyer_bridge', 'foyer_gateway'] as const;
/** The partner homeserver's database (partner mode only). */
export const PARTNER_DATABASE = 'synapse_partner';

function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  const v = versions.find((x) => existsSync(join(base, x, 'bin', 'postgres')));
  if (v) return join(base, v, 'bin');
  return requireBinary('postgres', ['postgres'], 'run scripts/setup (Debian package postgresql)').replace(
    /\/postgres$/,
    '',
  );
}

/** uid/gid to run Postgres as: ourselves, or the postgres user when we are root. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line)
    throw new StackError('postgres: running as root needs the "postgres" system user (Debian package postgresql)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Where the cluster lives. As root it runs as the postgres user, who may not be able to reach
 * a checkout under a private home folder: then it lives in the system's temp folder instead.
 */
export function pgHome(l: StackLayout): string {
  if (process.getuid?.() !== 0) return join(l.dir, 'postgres');
  return join(tmpdir(), `foyer-postgres-${createHash('sha256').update(l.dir).digest('hex').slice(0, 12)}`);
}

export const pgDataDir = (l: StackLayout) => join(pgHome(l), 'data');

export function postgresUrl(l: StackLayout, s: StackState, db: string): string {
  return `postgres://${PG_USER}:${encodeURIComponent(s.secrets.postgres)}@${l.host}:${l.ports.postgres}/${db}`;
}

function initCluster(l: StackLayout, s: StackState, bin: string, user: { uid?: number; gid?: number }): void {
  const data = pgDataDir(l);
  if (existsSync(join(data, 'PG_VERSION'))) return;
  const parent = pgHome(l);
  mkdirSync(data, { recursive: true, mode: 0o700 });
  const pwFile = join(parent, 'pwfile');
  writeFileSync(pwFile, `${s.secrets.postgres}\n`, { mode: 0o600 });
  if (user.uid !== undefined && user.gid !== undefined) {
    for (const p of [parent, data, pwFile]) chownSync(p, user.uid, user.gid);
  }
  try {
    execFileSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', PG_USER, '--pwfile', pwFile, '--auth', 'scram-sha-256', '-E', 'UTF8', '--locale', 'C.UTF-8'],
      { ...user, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (err) {
    const e = err as { stderr?: Buffer };
    throw new StackError(`postgres: initdb failed: ${e.stderr?.toString().trim() ?? String(err)}`);
  }
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    [
      `listen_addresses = '${l.host}'`,
      `port = ${l.ports.postgres}`,
      "unix_socket_directories = ''",
      'max_connections = 100',
      'fsync = off', // a local development and test cluster; production uses its own Postgres
      'synchronous_commit = off',
      'full_page_writes = off',
      '',
    ].join('\n'),
  );
  if (user.uid !== undefined && user.gid !== undefined)
    chownSync(join(data, 'postgresql.auto.conf'), user.uid, user.gid);
}

export async function startPostgres(l: StackLayout, s: StackState): Promise<void> {
  const bin = pgBinDir();
  const user = runAs();
  initCluster(l, s, bin, user);
  const pid = startProcess(l, 'postgres', join(bin, 'postgres'), ['-D', pgDataDir(l)], user);
  await waitReady(l, 'postgres', pid, () => query(l, s, 'postgres', 'SELECT 1').then(() => true), 30_000);
  const existing = new Set(
    (await query(l, s, 'postgres', 'SELECT datname FROM pg_database')).map((r) => String(r.datname)),
  );
  for (const db of [...DATABASES, ...(s.partner ? [PARTNER_DATABASE] : [])]) {
    if (existing.has(db)) continue;
    // Synapse insists on C collation.
    const extra = db === 'synapse' || db === PARTNER_DATABASE ? " TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'" : '';
    await query(l, s, 'postgres', `CREATE DATABASE ${db} ENCODING 'UTF8'${extra}`);
  }
}

export async function query(
  l: StackLayout,
  s: StackState,
  db: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: postgresUrl(l, s, db), connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}
