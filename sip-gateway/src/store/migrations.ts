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
  {
    name: '003_drop_conference_rooms',
    async up(db) {
      // Janus was retired (issue 13): a group's LiveKit room is named after its Matrix room
      // (livekitRoomOf) and made by LiveKit on the first join: no mapping to keep.
      await db.schema.dropTableIfExists('conference_rooms');
    },
    async down(db) {
      // As 001_initial made it (the numbers start again: Janus forgot its rooms long ago).
      await db.schema.createTable('conference_rooms', (t) => {
        t.text('group_id').primary();
        t.bigIncrements('janus_room', { primaryKey: false }).unique();
        t.text('secret').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      });
    },
  },
];
