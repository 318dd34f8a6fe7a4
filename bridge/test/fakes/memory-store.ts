// An in-memory BridgeStore with the knex store's semantics where the logic relies on them
// (unique PINs across guest and moderator PINs, credentials only with guest access, participants
// kept as reported), so group logic is unit-tested in milliseconds.
import type * as S from '../../src/store/store.ts';

interface GroupRow extends S.Group {
  linkTokenHash: string | null;
}

export class MemoryStore implements S.BridgeStore {
  readonly groups = new Map<string, GroupRow>();
  readonly members = new Map<string, Map<string, S.Member>>();
  readonly participants = new Map<string, Map<string, S.Participant>>();
  readonly fixedRooms = new Map<string, S.FixedRoom>();
  readonly outbox: S.OutboxMessage[] = [];
  private readonly transactions = new Map<string, { digest: string; at: Date }>();

  private row(roomId: string): GroupRow | undefined {
    return this.groups.get(roomId);
  }

  private update(roomId: string, patch: Partial<GroupRow>): void {
    const g = this.row(roomId);
    if (g) Object.assign(g, patch);
  }

  private static view(g: GroupRow): S.Group {
    const { linkTokenHash: _hash, ...group } = g;
    return { ...group };
  }

  // ---- transactions ----------------------------------------------------------------------------

  /** The appservice inbox: recorded, unprocessed events by ID. */
  readonly inbox = new Map<number, S.InboxEntry>();
  private nextInboxId = 1;

  async recordTransaction(
    txnId: string,
    digest: string,
    events: { roomId: string; event: Record<string, unknown> }[],
  ): Promise<S.InboxEntry[] | undefined> {
    if (this.transactions.get(txnId)?.digest === digest) return undefined;
    this.transactions.set(txnId, { digest, at: new Date() });
    return events.map((e) => {
      const entry = { id: this.nextInboxId++, roomId: e.roomId, event: structuredClone(e.event) };
      this.inbox.set(entry.id, entry);
      return entry;
    });
  }
  async inboxEntries(roomId: string, afterId: number, limit: number): Promise<S.InboxEntry[]> {
    return [...this.inbox.values()]
      .filter((e) => e.roomId === roomId && e.id > afterId)
      .sort((a, b) => a.id - b.id)
      .slice(0, limit);
  }
  async inboxRooms(): Promise<string[]> {
    return [...new Set([...this.inbox.values()].map((e) => e.roomId))];
  }
  async removeInboxEntries(ids: number[]): Promise<void> {
    for (const id of ids) this.inbox.delete(id);
  }
  async pruneTransactions(olderThan: Date): Promise<number> {
    let n = 0;
    for (const [id, t] of this.transactions) if (t.at < olderThan && this.transactions.delete(id)) n++;
    return n;
  }

  // ---- groups ----------------------------------------------------------------------------------

  async upsertGroup(roomId: string, name: string | null): Promise<void> {
    const g = this.row(roomId);
    if (g) g.name = name;
    else
      this.groups.set(roomId, {
        roomId,
        name,
        guestAccess: false,
        pin: null,
        moderatorPin: null,
        linkToken: null,
        linkTokenHash: null,
        conferenceStatus: 'idle',
        powerNoticeSent: false,
        encrypted: false,
      });
  }
  async getGroup(roomId: string): Promise<S.Group | undefined> {
    const g = this.row(roomId);
    return g && MemoryStore.view(g);
  }
  async setGroupName(roomId: string, name: string | null): Promise<void> {
    this.update(roomId, { name });
  }
  async setGroupEncrypted(roomId: string): Promise<void> {
    this.update(roomId, { encrypted: true });
  }
  async setPowerNoticeSent(roomId: string, sent: boolean): Promise<void> {
    this.update(roomId, { powerNoticeSent: sent });
  }
  async setConferenceStatus(roomId: string, status: S.ConferenceStatus): Promise<void> {
    this.update(roomId, { conferenceStatus: status });
  }
  async deleteGroup(roomId: string): Promise<void> {
    this.groups.delete(roomId);
    this.members.delete(roomId);
    this.participants.delete(roomId);
    for (const m of this.outbox) if (m.roomId === roomId && m.status === 'pending') m.status = 'failed';
  }

  // ---- guest credentials -----------------------------------------------------------------------

  private pinTaken(pins: string[]): boolean {
    if (new Set(pins).size !== pins.length) return true;
    return [...this.groups.values()].some((g) => pins.includes(g.pin ?? '') || pins.includes(g.moderatorPin ?? ''));
  }
  async setGuestCredentials(roomId: string, c: S.GuestCredentials): Promise<boolean> {
    if (this.pinTaken([c.pin, ...(c.moderatorPin ? [c.moderatorPin] : [])])) return false;
    if ([...this.groups.values()].some((g) => g.linkTokenHash === c.linkTokenHash)) return false;
    this.update(roomId, {
      guestAccess: true,
      pin: c.pin,
      moderatorPin: c.moderatorPin,
      linkToken: c.linkToken,
      linkTokenHash: c.linkTokenHash,
    });
    return true;
  }
  async setModeratorPin(roomId: string, pin: string | null): Promise<boolean> {
    if (pin !== null && this.pinTaken([pin])) return false;
    this.update(roomId, { moderatorPin: pin });
    return true;
  }
  async clearGuestCredentials(roomId: string): Promise<void> {
    this.update(roomId, { guestAccess: false, pin: null, moderatorPin: null, linkToken: null, linkTokenHash: null });
  }
  async findGroupByPin(pin: string): Promise<S.Group | undefined> {
    const g = [...this.groups.values()].find((x) => x.guestAccess && (x.pin === pin || x.moderatorPin === pin));
    return g && MemoryStore.view(g);
  }
  async findGroupByLinkHash(hash: string): Promise<S.Group | undefined> {
    const g = [...this.groups.values()].find((x) => x.guestAccess && x.linkTokenHash === hash);
    return g && MemoryStore.view(g);
  }

  // ---- members and participants ----------------------------------------------------------------

  async setMember(roomId: string, member: S.Member): Promise<void> {
    const room = this.members.get(roomId) ?? new Map<string, S.Member>();
    room.set(member.userId, { ...member });
    this.members.set(roomId, room);
  }
  async replaceMembers(roomId: string, members: S.Member[]): Promise<void> {
    this.members.set(roomId, new Map(members.map((m) => [m.userId, { ...m }])));
  }
  async getMembers(roomId: string): Promise<S.Member[]> {
    return [...(this.members.get(roomId)?.values() ?? [])].map((m) => ({ ...m }));
  }

  async getParticipants(roomId: string): Promise<S.Participant[]> {
    return [...(this.participants.get(roomId)?.values() ?? [])]
      .sort((a, b) => a.participantId.localeCompare(b.participantId))
      .map((p) => ({ ...p }));
  }
  async roomsWithConference(): Promise<string[]> {
    return [...this.groups.values()]
      .filter((g) => g.conferenceStatus !== 'idle' || (this.participants.get(g.roomId)?.size ?? 0) > 0)
      .map((g) => g.roomId);
  }
  async upsertParticipant(roomId: string, p: Omit<S.Participant, 'removed'>): Promise<void> {
    const room = this.participants.get(roomId) ?? new Map<string, S.Participant>();
    const before = room.get(p.participantId);
    room.set(
      p.participantId,
      before ? { ...before, displayName: p.displayName, waiting: p.waiting } : { ...p, removed: false },
    );
    this.participants.set(roomId, room);
  }
  async markParticipantRemoved(roomId: string, participantId: string): Promise<void> {
    const p = this.participants.get(roomId)?.get(participantId);
    if (p) p.removed = true;
  }
  async deleteParticipant(roomId: string, participantId: string): Promise<void> {
    this.participants.get(roomId)?.delete(participantId);
  }

  // ---- outbox ----------------------------------------------------------------------------------

  async enqueueMessage(m: Omit<S.OutboxMessage, 'id' | 'status' | 'attempts' | 'eventId'>): Promise<S.OutboxMessage> {
    const known = this.outbox.find(
      (x) => x.roomId === m.roomId && x.participantId === m.participantId && x.txnId === m.txnId,
    );
    if (known) return { ...known };
    const stored: S.OutboxMessage = { ...m, id: this.outbox.length + 1, status: 'pending', attempts: 0, eventId: null };
    this.outbox.push(stored);
    return { ...stored };
  }
  async pendingMessages(limit: number): Promise<S.OutboxMessage[]> {
    return this.outbox
      .filter((m) => m.status === 'pending')
      .slice(0, limit)
      .map((m) => ({ ...m }));
  }
  async markMessageSent(id: number, eventId: string): Promise<void> {
    const m = this.outbox.find((x) => x.id === id);
    if (m) Object.assign(m, { status: 'sent', eventId });
  }
  async markMessageAttempt(id: number, _error: string, failed: boolean): Promise<void> {
    const m = this.outbox.find((x) => x.id === id);
    if (m) Object.assign(m, { attempts: m.attempts + 1, ...(failed ? { status: 'failed' } : {}) });
  }

  // ---- fixed rooms -----------------------------------------------------------------------------

  async listFixedRooms(): Promise<S.FixedRoom[]> {
    return [...this.fixedRooms.values()].sort((a, b) => a.extension.localeCompare(b.extension));
  }
  async getFixedRoom(id: string): Promise<S.FixedRoom | undefined> {
    return this.fixedRooms.get(id);
  }
  async getFixedRoomByExtension(extension: string): Promise<S.FixedRoom | undefined> {
    return [...this.fixedRooms.values()].find((r) => r.extension === extension);
  }
  async getFixedRoomByRoomId(roomId: string): Promise<S.FixedRoom | undefined> {
    return [...this.fixedRooms.values()].find((r) => r.roomId === roomId);
  }
  async insertFixedRoom(r: Omit<S.FixedRoom, 'createdAt' | 'updatedAt'>): Promise<S.FixedRoom | 'duplicate'> {
    if (await this.getFixedRoomByExtension(r.extension)) return 'duplicate';
    const room: S.FixedRoom = { ...r, createdAt: new Date(), updatedAt: new Date() };
    this.fixedRooms.set(r.id, room);
    return room;
  }
  async updateFixedRoom(id: string, patch: Partial<S.FixedRoomFields>): Promise<S.FixedRoom | 'duplicate' | undefined> {
    const r = this.fixedRooms.get(id);
    if (!r) return undefined;
    const other = patch.extension === undefined ? undefined : await this.getFixedRoomByExtension(patch.extension);
    if (other && other.id !== id) return 'duplicate';
    const next: S.FixedRoom = { ...r, ...patch, updatedAt: new Date() };
    this.fixedRooms.set(id, next);
    return next;
  }
  async deleteFixedRoom(id: string): Promise<boolean> {
    return this.fixedRooms.delete(id);
  }
  async setFixedRoomMatrixRoom(id: string, roomId: string): Promise<S.FixedRoom | undefined> {
    const r = this.fixedRooms.get(id);
    if (!r) return undefined;
    const next: S.FixedRoom = { ...r, roomId, updatedAt: new Date() };
    this.fixedRooms.set(id, next);
    return next;
  }
}
