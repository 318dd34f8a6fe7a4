/** What the bridge keeps. One interface, so logic can be tested against a small in-memory fake. */

export type ConferenceStatus = 'idle' | 'waiting' | 'running' | 'on_hold';
export type ParticipantKind = 'guest' | 'phone';

export interface Group {
  roomId: string;
  name: string | null;
  guestAccess: boolean;
  pin: string | null;
  /** The optional second PIN that makes a caller a moderator (only with guest access). */
  moderatorPin: string | null;
  linkToken: string | null;
  conferenceStatus: ConferenceStatus;
  powerNoticeSent: boolean;
  /** The room turned on end-to-end encryption: Element Call's media cannot join its conference. */
  encrypted: boolean;
}

export interface Member {
  userId: string;
  membership: string;
  displayName: string | null;
}

export interface Participant {
  participantId: string;
  kind: ParticipantKind;
  displayName: string;
  waiting: boolean;
  removed: boolean;
}

export interface OutboxMessage {
  id: number;
  roomId: string;
  participantId: string;
  sender: string;
  txnId: string;
  content: Record<string, unknown>;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  eventId: string | null;
}

export interface GuestCredentials {
  pin: string;
  linkToken: string;
  linkTokenHash: string;
  /** Null: the group has no moderator PIN. */
  moderatorPin: string | null;
}

/** An event of an appservice transaction, recorded and not yet processed (the inbox). */
export interface InboxEntry {
  /** Increasing in the order events arrived: a room's events are processed in this order. */
  id: number;
  roomId: string;
  /** The room event as validated at the edge (appservice/events.ts). */
  event: Record<string, unknown>;
}

export interface BridgeStore extends FixedRoomStore, InboxStore {
  /** Forget transaction IDs older than this (Synapse retries for minutes, not days). */
  pruneTransactions(olderThan: Date): Promise<number>;

  upsertGroup(roomId: string, name: string | null): Promise<void>;
  getGroup(roomId: string): Promise<Group | undefined>;
  setGroupName(roomId: string, name: string | null): Promise<void>;
  setPowerNoticeSent(roomId: string, sent: boolean): Promise<void>;
  setGroupEncrypted(roomId: string): Promise<void>;
  setConferenceStatus(roomId: string, status: ConferenceStatus): Promise<void>;
  deleteGroup(roomId: string): Promise<void>;

  /**
   * Store new guest credentials; false when a PIN is taken (as any group's guest or moderator
   * PIN) or the token collides: the caller draws again.
   */
  setGuestCredentials(roomId: string, creds: GuestCredentials): Promise<boolean>;
  /** Set (false when taken, as above) or clear a group's moderator PIN. */
  setModeratorPin(roomId: string, pin: string | null): Promise<boolean>;
  clearGuestCredentials(roomId: string): Promise<void>;
  /** The group with guest access whose guest PIN or moderator PIN this is. */
  findGroupByPin(pin: string): Promise<Group | undefined>;
  findGroupByLinkHash(hash: string): Promise<Group | undefined>;

  setMember(roomId: string, member: Member): Promise<void>;
  replaceMembers(roomId: string, members: Member[]): Promise<void>;
  getMembers(roomId: string): Promise<Member[]>;

  getParticipants(roomId: string): Promise<Participant[]>;
  /** Groups with participants or a status other than idle. */
  roomsWithConference(): Promise<string[]>;
  upsertParticipant(roomId: string, p: Omit<Participant, 'removed'>): Promise<void>;
  markParticipantRemoved(roomId: string, participantId: string): Promise<void>;
  deleteParticipant(roomId: string, participantId: string): Promise<void>;

  /** Queue a guest message; an existing (room, participant, txn) returns the stored one. */
  enqueueMessage(m: Omit<OutboxMessage, 'id' | 'status' | 'attempts' | 'eventId'>): Promise<OutboxMessage>;
  pendingMessages(limit: number): Promise<OutboxMessage[]>;
  markMessageSent(id: number, eventId: string): Promise<void>;
  markMessageAttempt(id: number, error: string, failed: boolean): Promise<void>;
}

/**
 * The appservice inbox: a transaction's events are recorded with its ID in one database
 * transaction before Synapse gets its 200, and processed (per room, in order) from here.
 */
export interface InboxStore {
  /**
   * Record a transaction: its ID and digest (so a replay is recognised, also after a restart) and
   * its events, atomically. Undefined when this transaction (ID and digest) was recorded before.
   */
  recordTransaction(
    txnId: string,
    digest: string,
    events: { roomId: string; event: Record<string, unknown> }[],
  ): Promise<InboxEntry[] | undefined>;
  /** A room's unprocessed events after `afterId`, oldest first. */
  inboxEntries(roomId: string, afterId: number, limit: number): Promise<InboxEntry[]>;
  /** Rooms with unprocessed events (to resume after a restart). */
  inboxRooms(): Promise<string[]>;
  /** These events are processed: forget them. */
  removeInboxEntries(ids: number[]): Promise<void>;
}

/** A fixed conference room: its own extension and PIN, backed by a group the bot created. */
export interface FixedRoom {
  id: string;
  roomId: string;
  name: string;
  /** Digits only. */
  extension: string;
  /** The extension as the admin wrote it, shown as the dial-in number. */
  number: string;
  /** Null: the admin chose no PIN. */
  pin: string | null;
  moderatorPinHash: string | null;
  announce: boolean;
  holdMusic: boolean;
  holdMusicFile: string | null;
  maxParticipants: number | null;
  startMuted: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type FixedRoomFields = Omit<FixedRoom, 'id' | 'roomId' | 'createdAt' | 'updatedAt'>;

/** The fixed rooms' part of the store (an extension is unique: 'duplicate' when taken). */
export interface FixedRoomStore {
  listFixedRooms(): Promise<FixedRoom[]>;
  getFixedRoom(id: string): Promise<FixedRoom | undefined>;
  getFixedRoomByExtension(extension: string): Promise<FixedRoom | undefined>;
  getFixedRoomByRoomId(roomId: string): Promise<FixedRoom | undefined>;
  insertFixedRoom(r: Omit<FixedRoom, 'createdAt' | 'updatedAt'>): Promise<FixedRoom | 'duplicate'>;
  updateFixedRoom(id: string, patch: Partial<FixedRoomFields>): Promise<FixedRoom | 'duplicate' | undefined>;
  deleteFixedRoom(id: string): Promise<boolean>;
  /** Point a fixed room at a new Matrix room (repair). */
  setFixedRoomMatrixRoom(id: string, roomId: string): Promise<FixedRoom | undefined>;
}
