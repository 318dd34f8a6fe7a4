import type { Migration } from '@foyer/common';

export const MIGRATIONS_TABLE = 'gateway_migrations';

export const migrations: readonly Migration[] = [
  {
    name: '001_initial',
    async up(db) {
      // Janus forgets API-created rooms when it restarts; the mapping group → Janus room (and
      // the room's secret) is ours, so a room can be recreated under the same number.
      await db.schema.createTable('conference_rooms', (t) => {
        t.text('group_id').primary();
        t.bigIncrements('janus_room', { primaryKey: false }).unique();
        t.text('secret').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      });
    },
    async down(db) {
      await db.schema.dropTable('conference_rooms');
    },
  },
  {
    name: '002_active_calls',
    async up(db) {
      // Answered calls and their dialogs, so that after a restart each caller gets a BYE
      // instead of silence.
      await db.schema.createTable('active_calls', (t) => {
        t.text('call_id').primary();
        t.jsonb('dialog').notNullable();
        t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      });
    },
    async down(db) {
      await db.schema.dropTable('active_calls');
    },
  },
];
