import type { Knex } from '@foyer/common';
import type {
  BridgeStore,
  ConferenceStatus,
  FixedRoom,
  FixedRoomFields,
  Group,
  GuestCredentials,
  InboxEntry,
  Member,
  OutboxMessage,
  Participant,
  ParticipantKind,
} from './store.ts';

interface GroupRow {
  room_id: string;
  name: string | null;
  guest_access: boolean;
  pin: string | null;
  moderator_pin: string | null;
  link_token: string | null;
  conference_status: ConferenceStatus;
  power_notice_sent: boolean;
  encrypted: boolean;
}

interface OutboxRow {
  id: string | number;
  room_id: string;
  participant_id: string;
  sender: string;
  txn_id: string;
  content: Record<string, unknown> | string;
  status: OutboxMessage['status'];
  attempts: number;
  event_id: string | null;
}

interface InboxRow {
  id: string | number;
  room_id: string;
  event: Record<string, unknown> | string;
}

const toInboxEntry = (r: InboxRow): InboxEntry => ({
  id: Number(r.id),
  roomId: r.room_id,
  event: typeof r.event === 'string' ? (JSON.parse(r.event) as Record<string, unknown>) : r.event,
});

const toGroup = (r: GroupRow): Group => ({
  roomId: r.room_id,
  name: r.name,
  guestAccess: r.guest_access,
  pin: r.pin,
  moderatorPin: r.moderator_pin,
  linkToken: r.link_token,
  conferenceStatus: r.conference_status,
  powerNoticeSent: r.power_notice_sent,
  encrypted: r.encrypted,
});

const toMessage = (r: OutboxRow): OutboxMessage => ({
  id: Number(r.id),
  roomId: r.room_id,
  participantId: r.participant_id,
  sender: r.sender,
  txnId: r.txn_id,
  content: typeof r.content === 'string' ? (JSON.parse(r.content) as Record<string, unknown>) : r.content,
  status: r.status,
  attempts: r.attempts,
  eventId: r.event_id,
});

const GROUP_COLUMNS = [
  'room_id',
  'name',
  'guest_access',
  'pin',
  'moderator_pin',
  'link_token',
  'conference_status',
  'power_notice_sent',
  'encrypted',
];

interface FixedRoomRow {
  id: string;
  room_id: string;
  name: string;
  extension: string;
  number: string;
  pin: string | null;
  moderator_pin_hash: string | null;
  announce: boolean;
  hold_music: boolean;
  hold_music_file: string | null;
  max_participants: number | null;
  start_muted: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

const toFixedRoom = (r: FixedRoomRow): FixedRoom => ({
  id: r.id,
  roomId: r.room_id,
  name: r.name,
  extension: r.extension,
  number: r.number,
  pin: r.pin,
  moderatorPinHash: r.moderator_pin_hash,
  announce: r.announce,
  holdMusic: r.hold_music,
  holdMusicFile: r.hold_music_file,
  maxParticipants: r.max_participants,
  startMuted: r.start_muted,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

const FIXED_ROOM_COLUMNS: Record<keyof FixedRoomFields, string> = {
  name: 'name',
  extension: 'extension',
  number: 'number',
  pin: 'pin',
  moderatorPinHash: 'moderator_pin_hash',
  announce: 'announce',
  holdMusic: 'hold_music',
  holdMusicFile: 'hold_music_file',
  maxParticipants: 'max_participants',
  startMuted: 'start_muted',
};

function fixedRoomRow(fields: Partial<FixedRoomFields>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(FIXED_ROOM_COLUMNS)) {
    const v = fields[key as keyof FixedRoomFields];
    if (v !== undefined) row[column] = v;
  }
  return row;
}

/** Postgres unique violation (also raised by PGlite). */
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

export class KnexBridgeStore implements BridgeStore {
  private readonly db: Knex;
  constructor(db: Knex) {
    this.db = db;
  }

  async recordTransaction(
    txnId: string,
    digest: string,
    events: { roomId: string; event: Record<string, unknown> }[],
  ): Promise<InboxEntry[] | undefined> {
    return this.db.transaction(async (trx) => {
      // (A retry arriving meanwhile shares this delivery's work: appservice/server.ts.)
      const row = (await trx('appservice_transactions').where({ txn_id: txnId }).first('digest')) as
        { digest: string | null } | undefined;
      if (row !== undefined && row.digest === digest) return undefined;
      await trx('appservice_transactions')
        .insert({ txn_id: txnId, digest })
        .onConflict('txn_id')
        .merge({ digest, processed_at: trx.fn.now() });
      const rows: InboxRow[] = [];
      // In chunks: one statement's parameters are bounded (Synapse sends up to 100 events anyway).
      for (let i = 0; i < events.length; i += 1000) {
        const chunk = events.slice(i, i + 1000).map((e) => ({ room_id: e.roomId, event: JSON.stringify(e.event) }));
        rows.push(
          ...((await trx('appservice_inbox').insert(chunk).returning(['id', 'room_id', 'event'])) as InboxRow[]),
        );
      }
      return rows.map(toInboxEntry).sort((a, b) => a.id - b.id);
    });
  }

  async inboxEntries(roomId: string, afterId: number, limit: number): Promise<InboxEntry[]> {
    const rows = (await this.db('appservice_inbox')
      .where({ room_id: roomId })
      .andWhere('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .select('id', 'room_id', 'event')) as InboxRow[];
    return rows.map(toInboxEntry);
  }

  async inboxRooms(): Promise<string[]> {
    const rows = (await this.db('appservice_inbox').distinct('room_id')) as { room_id: string }[];
    return rows.map((r) => r.room_id);
  }

  async removeInboxEntries(ids: number[]): Promise<void> {
    if (ids.length) await this.db('appservice_inbox').whereIn('id', ids).delete();
  }

  async pruneTransactions(olderThan: Date): Promise<number> {
    return this.db('appservice_transactions').where('processed_at', '<', olderThan).delete();
  }

  async upsertGroup(roomId: string, name: string | null): Promise<void> {
    await this.db('groups').insert({ room_id: roomId, name }).onConflict('room_id').merge({ name });
  }

  private async groupWhere(where: Record<string, unknown>): Promise<Group | undefined> {
    const row = (await this.db('groups').where(where).first(GROUP_COLUMNS)) as GroupRow | undefined;
    return row && toGroup(row);
  }

  getGroup(roomId: string): Promise<Group | undefined> {
    return this.groupWhere({ room_id: roomId });
  }

  async setGroupName(roomId: string, name: string | null): Promise<void> {
    await this.db('groups').where({ room_id: roomId }).update({ name });
  }

  async setGroupEncrypted(roomId: string): Promise<void> {
    await this.db('groups').where({ room_id: roomId }).update({ encrypted: true });
  }

  async setPowerNoticeSent(roomId: string, sent: boolean): Promise<void> {
    await this.db('groups').where({ room_id: roomId }).update({ power_notice_sent: sent });
  }

  async setConferenceStatus(roomId: string, status: ConferenceStatus): Promise<void> {
    await this.db('groups').where({ room_id: roomId }).update({ conference_status: status });
  }

  async deleteGroup(roomId: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('outbox')
        .where({ room_id: roomId, status: 'pending' })
        .update({ status: 'failed', last_error: 'group deleted' });
      await trx('groups').where({ room_id: roomId }).delete();
    });
  }

  async setGuestCredentials(roomId: string, c: GuestCredentials): Promise<boolean> {
    return this.setPins(roomId, [c.pin, ...(c.moderatorPin ? [c.moderatorPin] : [])], {
      guest_access: true,
      pin: c.pin,
      moderator_pin: c.moderatorPin,
      link_token: c.linkToken,
      link_token_hash: c.linkTokenHash,
    });
  }

  async setModeratorPin(roomId: string, pin: string | null): Promise<boolean> {
    if (pin === null) {
      await this.db('groups').where({ room_id: roomId }).update({ moderator_pin: null });
      return true;
    }
    return this.setPins(roomId, [pin], { moderator_pin: pin });
  }

  /**
   * Update a group with new PINs unless one of them is already some group's guest or moderator
   * PIN (the columns' unique indexes cover each column; this covers one against the other).
   */
  private async setPins(roomId: string, pins: string[], update: Record<string, unknown>): Promise<boolean> {
    if (new Set(pins).size !== pins.length) return false;
    try {
      return await this.db.transaction(async (trx) => {
        const taken = await trx('groups').whereIn('pin', pins).orWhereIn('moderator_pin', pins).first('room_id');
        if (taken) return false;
        await trx('groups').where({ room_id: roomId }).update(update);
        return true;
      });
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async clearGuestCredentials(roomId: string): Promise<void> {
    await this.db('groups')
      .where({ room_id: roomId })
      .update({ guest_access: false, pin: null, moderator_pin: null, link_token: null, link_token_hash: null });
  }

  async findGroupByPin(pin: string): Promise<Group | undefined> {
    const row = (await this.db('groups')
      .where({ guest_access: true })
      .andWhere((q) => q.where({ pin }).orWhere({ moderator_pin: pin }))
      .first(GROUP_COLUMNS)) as GroupRow | undefined;
    return row && toGroup(row);
  }

  findGroupByLinkHash(hash: string): Promise<Group | undefined> {
    return this.groupWhere({ link_token_hash: hash, guest_access: true });
  }

  async setMember(roomId: string, m: Member): Promise<void> {
    await this.db('group_members')
      .insert({ room_id: roomId, user_id: m.userId, membership: m.membership, display_name: m.displayName })
      .onConflict(['room_id', 'user_id'])
      .merge(['membership', 'display_name']);
  }

  async replaceMembers(roomId: string, members: Member[]): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('group_members').where({ room_id: roomId }).delete();
      if (members.length) {
        await trx('group_members').insert(
          members.map((m) => ({
            room_id: roomId,
            user_id: m.userId,
            membership: m.membership,
            display_name: m.displayName,
          })),
        );
      }
    });
  }

  async getMembers(roomId: string): Promise<Member[]> {
    const rows = (await this.db('group_members')
      .where({ room_id: roomId })
      .select('user_id', 'membership', 'display_name')) as {
      user_id: string;
      membership: string;
      display_name: string | null;
    }[];
    return rows.map((r) => ({ userId: r.user_id, membership: r.membership, displayName: r.display_name }));
  }

  async getParticipants(roomId: string): Promise<Participant[]> {
    const rows = (await this.db('participants').where({ room_id: roomId }).orderBy('participant_id')) as {
      participant_id: string;
      kind: ParticipantKind;
      display_name: string;
      waiting: boolean;
      removed: boolean;
    }[];
    return rows.map((r) => ({
      participantId: r.participant_id,
      kind: r.kind,
      displayName: r.display_name,
      waiting: r.waiting,
      removed: r.removed,
    }));
  }

  async roomsWithConference(): Promise<string[]> {
    const rows = (await this.db('groups')
      .whereNot({ conference_status: 'idle' })
      .orWhereIn('room_id', this.db('participants').select('room_id'))
      .select('room_id')) as { room_id: string }[];
    return rows.map((r) => r.room_id);
  }

  async upsertParticipant(roomId: string, p: Omit<Participant, 'removed'>): Promise<void> {
    await this.db('participants')
      .insert({
        room_id: roomId,
        participant_id: p.participantId,
        kind: p.kind,
        display_name: p.displayName,
        waiting: p.waiting,
      })
      .onConflict(['room_id', 'participant_id'])
      .merge(['display_name', 'waiting']);
  }

  async markParticipantRemoved(roomId: string, participantId: string): Promise<void> {
    await this.db('participants').where({ room_id: roomId, participant_id: participantId }).update({ removed: true });
  }

  async deleteParticipant(roomId: string, participantId: string): Promise<void> {
    await this.db('participants').where({ room_id: roomId, participant_id: participantId }).delete();
  }

  async enqueueMessage(m: Omit<OutboxMessage, 'id' | 'status' | 'attempts' | 'eventId'>): Promise<OutboxMessage> {
    const inserted = (await this.db('outbox')
      .insert({
        room_id: m.roomId,
        participant_id: m.participantId,
        sender: m.sender,
        txn_id: m.txnId,
        content: JSON.stringify(m.content),
      })
      .onConflict(['room_id', 'participant_id', 'txn_id'])
      .ignore()
      .returning('*')) as OutboxRow[];
    const row =
      inserted[0] ??
      ((await this.db('outbox')
        .where({ room_id: m.roomId, participant_id: m.participantId, txn_id: m.txnId })
        .first()) as OutboxRow);
    return toMessage(row);
  }

  async pendingMessages(limit: number): Promise<OutboxMessage[]> {
    const rows = (await this.db('outbox').where({ status: 'pending' }).orderBy('id').limit(limit)) as OutboxRow[];
    return rows.map(toMessage);
  }

  async markMessageSent(id: number, eventId: string): Promise<void> {
    await this.db('outbox').where({ id }).update({ status: 'sent', event_id: eventId, sent_at: this.db.fn.now() });
  }

  async markMessageAttempt(id: number, error: string, failed: boolean): Promise<void> {
    await this.db('outbox')
      .where({ id })
      .update({
        attempts: this.db.raw('attempts + 1'),
        last_error: error.slice(0, 500),
        ...(failed ? { status: 'failed' } : {}),
      });
  }

  // ---- fixed rooms ----------------------------------------------------------------------------

  async listFixedRooms(): Promise<FixedRoom[]> {
    const rows = (await this.db('fixed_rooms').orderBy('extension')) as FixedRoomRow[];
    return rows.map(toFixedRoom);
  }

  private async fixedRoomWhere(where: Record<string, unknown>): Promise<FixedRoom | undefined> {
    const row = (await this.db('fixed_rooms').where(where).first()) as FixedRoomRow | undefined;
    return row && toFixedRoom(row);
  }

  getFixedRoom(id: string): Promise<FixedRoom | undefined> {
    return this.fixedRoomWhere({ id });
  }

  getFixedRoomByExtension(extension: string): Promise<FixedRoom | undefined> {
    return this.fixedRoomWhere({ extension });
  }

  getFixedRoomByRoomId(roomId: string): Promise<FixedRoom | undefined> {
    return this.fixedRoomWhere({ room_id: roomId });
  }

  async insertFixedRoom(r: Omit<FixedRoom, 'createdAt' | 'updatedAt'>): Promise<FixedRoom | 'duplicate'> {
    try {
      const rows = (await this.db('fixed_rooms')
        .insert({ id: r.id, room_id: r.roomId, ...fixedRoomRow(r) })
        .returning('*')) as FixedRoomRow[];
      return toFixedRoom(rows[0]!);
    } catch (err) {
      if (isUniqueViolation(err)) return 'duplicate';
      throw err;
    }
  }

  async updateFixedRoom(id: string, patch: Partial<FixedRoomFields>): Promise<FixedRoom | 'duplicate' | undefined> {
    try {
      const rows = (await this.db('fixed_rooms')
        .where({ id })
        .update({ ...fixedRoomRow(patch), updated_at: this.db.fn.now() })
        .returning('*')) as FixedRoomRow[];
      return rows[0] && toFixedRoom(rows[0]);
    } catch (err) {
      if (isUniqueViolation(err)) return 'duplicate';
      throw err;
    }
  }

  async deleteFixedRoom(id: string): Promise<boolean> {
    return (await this.db('fixed_rooms').where({ id }).delete()) > 0;
  }

  async setFixedRoomMatrixRoom(id: string, roomId: string): Promise<FixedRoom | undefined> {
    const rows = (await this.db('fixed_rooms')
      .where({ id })
      .update({ room_id: roomId, updated_at: this.db.fn.now() })
      .returning('*')) as FixedRoomRow[];
    return rows[0] && toFixedRoom(rows[0]);
  }
}
