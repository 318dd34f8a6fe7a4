// Both services' migrations on real Postgres (a scratch database in the test stack's cluster)
// and on the embedded PGlite default: up, idempotent re-run, down, up again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, rollbackAll, type Knex, type Migration } from '@foyer/common';
import type { DatabaseConfig } from '@foyer/config';
import * as bridge from '../bridge/src/store/migrations.ts';
import * as gateway from '../sip-gateway/src/store/migrations.ts';
import { testStack } from './helpers/stack.ts';

const { info } = testStack();
const services: [string, readonly Migration[], string, string[]][] = [
  [
    'bridge',
    bridge.migrations,
    bridge.MIGRATIONS_TABLE,
    ['appservice_transactions', 'groups', 'group_members', 'participants', 'outbox'],
  ],
  ['gateway', gateway.migrations, gateway.MIGRATIONS_TABLE, ['active_calls']],
];

async function tables(db: Knex): Promise<string[]> {
  const r = await db.raw<{ rows: { tablename: string }[] }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
  );
  return r.rows.map((x) => x.tablename);
}

async function exercise(cfg: DatabaseConfig): Promise<void> {
  const db = openDatabase(cfg);
  try {
    for (const [, list, table, expected] of services) {
      expect(await migrate(db, list, table)).toEqual(list.map((m) => m.name));
      expect(await migrate(db, list, table)).toEqual([]);
      expect(await tables(db)).toEqual(expect.arrayContaining(expected));
      await rollbackAll(db, list, table);
      const left = await tables(db);
      for (const t of expected) expect(left).not.toContain(t);
      expect(await migrate(db, list, table)).toHaveLength(list.length);
    }
  } finally {
    await db.destroy();
  }
}

describe('database migrations', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('run on real Postgres', async () => {
    expect(info.postgres, 'the integration stack runs on Postgres').not.toBeNull();
    const adminUrl = info.postgres?.adminUrl ?? '';
    const admin = openDatabase({ kind: 'postgres', url: adminUrl, pool: { min: 0, max: 1 } });
    const name = `migtest_${randomBytes(4).toString('hex')}`;
    await admin.raw(`CREATE DATABASE ${name}`);
    cleanups.push(async () => {
      await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.destroy();
    });
    await exercise({ kind: 'postgres', url: adminUrl.replace(/\/postgres$/, `/${name}`), pool: { min: 0, max: 2 } });
  });

  it('run on the embedded PGlite default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'foyer-pglite-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    await exercise({ kind: 'pglite', dataDir: dir });
  });
});
