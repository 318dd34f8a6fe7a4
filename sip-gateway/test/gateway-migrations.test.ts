// The gateway's schema on the embedded PGlite: Janus's room numbers (conference_rooms) are gone
// once migrated, the drop's down brings the table back as 001 made it, and the whole history
// rolls back and forth.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase, rollbackAll, type Knex } from '@foyer/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, MIGRATIONS_TABLE } from '../src/store/migrations.ts';

describe('gateway migrations', () => {
  let dir: string;
  let db: Knex;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'foyer-gateway-migrations-'));
    db = openDatabase({ kind: 'pglite', dataDir: dir });
  }, 60_000);
  afterAll(async () => {
    await db?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('drops conference_rooms, and its down recreates the table', async () => {
    const applied = await migrate(db, migrations, MIGRATIONS_TABLE);
    expect(applied).toContain('003_drop_conference_rooms');
    expect(await db.schema.hasTable('conference_rooms')).toBe(false);
    expect(await db.schema.hasTable('active_calls')).toBe(true);

    const drop = migrations.find((m) => m.name === '003_drop_conference_rooms');
    await drop?.down(db);
    await db('conference_rooms').insert({ group_id: '!g:example.org', secret: 's' });
    const row = (await db('conference_rooms').first()) as { janus_room: string | number };
    expect(Number(row.janus_room)).toBe(1);
    await drop?.up(db);
    expect(await db.schema.hasTable('conference_rooms')).toBe(false);

    await rollbackAll(db, migrations, MIGRATIONS_TABLE);
    expect(await db.schema.hasTable('active_calls')).toBe(false);
    expect(await db.schema.hasTable('conference_rooms')).toBe(false);
    expect(await migrate(db, migrations, MIGRATIONS_TABLE)).toHaveLength(migrations.length);
  });
});
