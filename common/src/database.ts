// One SQL dialect everywhere: knex on real Postgres (production, CI) or on PGlite, the embedded
// Postgres build, for the quick local stack. Migrations are plain objects in code, so no file
// loader or build step is involved.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { DatabaseConfig } from '@foyer/config';

export type { Knex };

export interface Migration {
  name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

class ListMigrationSource implements Knex.MigrationSource<Migration> {
  private readonly migrations: readonly Migration[];
  constructor(migrations: readonly Migration[]) {
    this.migrations = migrations;
  }
  getMigrations(): Promise<Migration[]> {
    return Promise.resolve([...this.migrations]);
  }
  getMigrationName(m: Migration): string {
    return m.name;
  }
  getMigration(m: Migration): Promise<Knex.Migration> {
    return Promise.resolve({ up: (db: Knex) => m.up(db), down: (db: Knex) => m.down(db) });
  }
}

export function openDatabase(cfg: DatabaseConfig): Knex {
  if (cfg.kind === 'postgres') {
    return knexFactory({ client: 'pg', connection: cfg.url, pool: cfg.pool });
  }
  mkdirSync(cfg.dataDir, { recursive: true });
  // knex-pglite takes a ready-made instance as `connection.pglite` (knex keeps class instances
  // when it copies the connection settings); its own would use PGlite's defaults.
  const pglite = new PGlite(cfg.dataDir, { startParams: pgliteStartParams() });
  return knexFactory({
    client: ClientPgLite,
    dialect: 'postgres',
    connection: { pglite } as Knex.StaticConnectionConfig,
  });
}

/**
 * Postgres settings for the embedded database, on top of PGlite's own start parameters. Postgres
 * writes over all of shared_buffers when it starts, so its default (128 MB) is 128 MB more resident
 * memory in every process that opens one; a service's data here is a few megabytes. One backend
 * (single-user mode) needs few connection slots, and each slot costs shared memory too. Measured in
 * bench/README.md (memory).
 */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
  max_connections: '5',
};

export function pgliteStartParams(settings: Readonly<Record<string, string>> = PGLITE_SETTINGS): string[] {
  return [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}

/** Bring the schema up to date; `tableName` keeps each service's migration history apart. */
export async function migrate(db: Knex, migrations: readonly Migration[], tableName: string): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({
    migrationSource: new ListMigrationSource(migrations),
    tableName,
  })) as [number, string[]];
  return applied;
}

export async function rollbackAll(db: Knex, migrations: readonly Migration[], tableName: string): Promise<void> {
  await db.migrate.rollback({ migrationSource: new ListMigrationSource(migrations), tableName }, true);
}
