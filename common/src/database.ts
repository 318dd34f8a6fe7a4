// One SQL dialect everywhere: knex on real Postgres (production, CI) or on PGlite, the embedded
// Postgres build, for the quick local stack. Migrations are plain objects in code, so no file
// loader or build step is involved.
import { mkdirSync } from 'node:fs';
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
  return knexFactory({ client: ClientPgLite, dialect: 'postgres', connection: { filename: cfg.dataDir } });
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
