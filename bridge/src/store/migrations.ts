import type { Migration } from '@foyer/common';

export const MIGRATIONS_TABLE = 'bridge_migrations';

export const migrations: readonly Migration[] = [
  {
    name: '001_initial',
    async up(db) {
      // Synapse retries a transaction until we answer 200; remembering its ID (durably, so a
      // restart in between changes nothing) is what makes each event processed once.
      await db.schema.createTable('appservice_transactions', (t) => {
        t.text('txn_id').primary();
        t.timestamp('processed_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      });
      await db.schema.createTable('groups', (t) => {
        t.text('room_id').primary();
        t.text('name');
        t.timestamp('joined_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      });
    },
    async down(db) {
      await db.schema.dropTable('groups');
      await db.schema.dropTable('appservice_transactions');
    },
  },
];
