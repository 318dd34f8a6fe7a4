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
  {
    name: '002_groups',
    async up(db) {
      await db.schema.alterTable('groups', (t) => {
        t.boolean('guest_access').notNullable().defaultTo(false);
        // The dial-in PIN and the guest link: unique among all groups, revoked together.
        t.text('pin').unique();
        t.text('link_token');
        t.text('link_token_hash').unique();
        t.text('conference_status').notNullable().defaultTo('idle');
        t.boolean('power_notice_sent').notNullable().defaultTo(false);
      });
      await db.schema.createTable('group_members', (t) => {
        t.text('room_id').notNullable().references('groups.room_id').onDelete('CASCADE');
        t.text('user_id').notNullable();
        t.text('membership').notNullable();
        t.text('display_name');
        t.primary(['room_id', 'user_id']);
      });
      // Guests and callers in a group's conference, as the gateway reports them.
      await db.schema.createTable('participants', (t) => {
        t.text('room_id').notNullable().references('groups.room_id').onDelete('CASCADE');
        t.text('participant_id').notNullable();
        t.text('kind').notNullable();
        t.text('display_name').notNullable();
        t.boolean('waiting').notNullable().defaultTo(false);
        /** Set when a member kicked the virtual user: it must not come back under this ID. */
        t.boolean('removed').notNullable().defaultTo(false);
        t.primary(['room_id', 'participant_id']);
      });
      // Guest messages are written here before anything else, so none is lost while Synapse is
      // unreachable or the bridge restarts; (room, participant, txn) makes a retry a no-op.
      await db.schema.createTable('outbox', (t) => {
        t.bigIncrements('id');
        t.text('room_id').notNullable();
        t.text('participant_id').notNullable();
        t.text('sender').notNullable();
        t.text('txn_id').notNullable();
        t.jsonb('content').notNullable();
        t.text('status').notNullable().defaultTo('pending');
        t.integer('attempts').notNullable().defaultTo(0);
        t.text('last_error');
        t.text('event_id');
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.timestamp('sent_at', { useTz: true });
        t.unique(['room_id', 'participant_id', 'txn_id']);
        t.index(['status', 'id']);
      });
    },
    async down(db) {
      await db.schema.dropTable('outbox');
      await db.schema.dropTable('participants');
      await db.schema.dropTable('group_members');
      await db.schema.alterTable('groups', (t) => {
        for (const c of [
          'guest_access',
          'pin',
          'link_token',
          'link_token_hash',
          'conference_status',
          'power_notice_sent',
        ])
          t.dropColumn(c);
      });
    },
  },
  {
    name: '003_transaction_digest',
    async up(db) {
      // Synapse may reuse transaction IDs after it restarts (seen with SQLite): a replay is the
      // same ID with the same events, so the events' digest is kept with the ID.
      await db.schema.alterTable('appservice_transactions', (t) => {
        t.text('digest');
      });
    },
    async down(db) {
      await db.schema.alterTable('appservice_transactions', (t) => {
        t.dropColumn('digest');
      });
    },
  },
  {
    name: '004_fixed_rooms',
    async up(db) {
      // Fixed conference rooms: reached at their own extension, managed by an administrator
      // (admin API, scripts/foyer-admin). Each is backed by a group the bot created. No foreign
      // key to groups: the record outlives a room someone deleted in Matrix (the admin sees it).
      await db.schema.createTable('fixed_rooms', (t) => {
        t.text('id').primary();
        t.text('room_id').notNullable().unique();
        t.text('name').notNullable();
        /** Digits only: what the gateway matches the Request-URI against. */
        t.text('extension').notNullable().unique();
        /** As the admin wrote it (+49 991 1234 4711), shown as the dial-in number. */
        t.text('number').notNullable();
        /** Kept readable (like a group's PIN): members see it in org.foyer.conference. Null: no PIN. */
        t.text('pin');
        /** Shown once, never again: only its hash is kept. */
        t.text('moderator_pin_hash');
        t.boolean('announce').notNullable().defaultTo(false);
        t.boolean('hold_music').notNullable().defaultTo(true);
        t.text('hold_music_file');
        t.integer('max_participants');
        t.boolean('start_muted').notNullable().defaultTo(false);
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      });
    },
    async down(db) {
      await db.schema.dropTable('fixed_rooms');
    },
  },
  {
    name: '005_group_moderator_pin',
    async up(db) {
      // A group's optional second PIN: it makes a caller a moderator. Unlike the guest PIN it is
      // never written to room state (federated members would read it); members fetch it through
      // the gateway. Unique like the guest PIN, and never equal to any group's guest PIN (checked
      // by the store when it allocates).
      await db.schema.alterTable('groups', (t) => {
        t.text('moderator_pin').unique();
      });
    },
    async down(db) {
      await db.schema.alterTable('groups', (t) => {
        t.dropColumn('moderator_pin');
      });
    },
  },
  {
    name: '006_appservice_inbox',
    async up(db) {
      // The appservice inbox: a transaction's events, written with its ID in one database
      // transaction before Synapse is answered, and deleted once processed. Synapse is answered
      // at once; each room's events are then processed in order, rooms independently; after a
      // restart whatever is left here is processed.
      await db.schema.createTable('appservice_inbox', (t) => {
        t.bigIncrements('id');
        t.text('room_id').notNullable();
        t.jsonb('event').notNullable();
        t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.index(['room_id', 'id']);
      });
    },
    async down(db) {
      await db.schema.dropTable('appservice_inbox');
    },
  },
  {
    name: '007_group_encrypted',
    async up(db) {
      // A group whose room turned on encryption (it cannot be turned off): Element Call's media
      // there is end-to-end encrypted, so it is not bridged into the conference.
      await db.schema.alterTable('groups', (t) => {
        t.boolean('encrypted').notNullable().defaultTo(false);
      });
    },
    async down(db) {
      await db.schema.alterTable('groups', (t) => {
        t.dropColumn('encrypted');
      });
    },
  },
];
