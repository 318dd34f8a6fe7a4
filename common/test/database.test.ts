// The embedded database with the settings openDatabase gives it: the lower memory settings take
// effect, and both services' migrations run on it (up, idempotent re-run, down, up again), as
// tests/migrations.int.test.ts does against the stack.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { migrate, openDatabase, pgliteStartParams, rollbackAll, type Knex } from '../src/database.ts';
import * as bridge from '../../bridge/src/store/migrations.ts';
import * as gateway from '../../sip-gateway/src/store/migrations.ts';

describe('pgliteStartParams', () => {
  it("keeps PGlite's own parameters and adds each setting as -c name=value", () => {
    const params = pgliteStartParams({ shared_buffers: '8MB', max_connections: '4' });
    expect(params.slice(0, PGlite.defaultStartParams.length)).toEqual(PGlite.defaultStartParams);
    expect(params.slice(PGlite.defaultStartParams.length)).toEqual([
      '-c',
      'shared_buffers=8MB',
      '-c',
      'max_connections=4',
    ]);
  });
});

describe('the embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-pglite-settings-'));
  let db: Knex | undefined;
  afterAll(async () => {
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs with the lower memory settings and takes both services’ migrations', async () => {
    db = openDatabase({ kind: 'pglite', dataDir: dir });
    const show = async (name: string) =>
      ((await db!.raw<{ rows: Record<string, string>[] }>(`SHOW ${name}`)).rows[0] ?? {})[name];
    expect(await show('shared_buffers')).toBe('16MB');
    expect(await show('max_connections')).toBe('5');
    for (const svc of [bridge, gateway]) {
      expect(await migrate(db, svc.migrations, svc.MIGRATIONS_TABLE)).toEqual(svc.migrations.map((m) => m.name));
      expect(await migrate(db, svc.migrations, svc.MIGRATIONS_TABLE)).toEqual([]);
      await rollbackAll(db, svc.migrations, svc.MIGRATIONS_TABLE);
      expect(await migrate(db, svc.migrations, svc.MIGRATIONS_TABLE)).toHaveLength(svc.migrations.length);
    }
  }, 60_000);
});
