// The signed-in person's live view of Matrix for the UI: the contact list and a change counter
// for open chats, kept up to date from matrix-js-sdk's events. Everything that changes a room
// goes through the SDK; this class only reads and rebuilds.
import {
  ClientEvent,
  EventType,
  KnownMembership,
  NotificationCountType,
  Preset,
  PushRuleKind,
  RoomEvent,
  RoomMemberEvent,
  RoomStateEvent,
  type SyncState,
  UserEvent,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk';
import { conferenceStatus, directRooms, type Contact } from './contacts.ts';
import { personName } from './names.ts';
import './matrix-types.ts';

export interface StaffConfig {
  serverName: string;
  botUserId: string;
}

/** Event types that count as activity in a room (they move it up the list). */
const ACTIVITY_TYPES = new Set<string>([EventType.RoomMessage, EventType.RoomCreate, EventType.RoomMember]);

/** A room someone invited the user to: a group, or a direct chat (is_direct). */
export interface Invitation {
  roomId: string;
  name: string;
  inviter: string | null;
  direct: boolean;
}

export class StaffClient {
  contacts: Contact[] = $state([]);
  invitations: Invitation[] = $state([]);
  /** Bumped on every change the UI might show (timeline, receipts, state, account data). */
  version = $state(0);
  syncState: SyncState | null = $state(null);
  ownName = $state('');
  ownAvatar: string | null = $state(null);

  readonly client: MatrixClient;
  readonly config: StaffConfig;
  private scheduled = false;
  /**
   * Renames the homeserver accepted that this client's sync has not brought yet, by room: shown
   * at once (the person pressed Rename and the server said yes), until the room's state has the event.
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- read on rebuild (version), not itself reactive
  private readonly renamed = new Map<string, { name: string; eventId: string }>();

  constructor(client: MatrixClient, config: StaffConfig) {
    this.client = client;
    this.config = config;
  }

  get userId(): string {
    return this.client.getSafeUserId();
  }

  async start(): Promise<void> {
    const bump = (): void => this.schedule();
    const c = this.client;
    c.on(ClientEvent.Sync, (state) => {
      this.syncState = state;
      bump();
    });
    c.on(ClientEvent.AccountData, bump);
    c.on(ClientEvent.Room, bump);
    c.on(ClientEvent.DeleteRoom, bump);
    c.on(RoomEvent.Timeline, bump);
    c.on(RoomEvent.TimelineReset, bump);
    c.on(RoomEvent.Receipt, bump);
    c.on(RoomEvent.Name, bump);
    c.on(RoomEvent.MyMembership, bump);
    c.on(RoomEvent.AccountData, bump);
    c.on(RoomEvent.LocalEchoUpdated, bump);
    c.on(RoomStateEvent.Events, bump);
    c.on(RoomMemberEvent.Membership, bump);
    c.on(UserEvent.Presence, bump);
    c.on(UserEvent.DisplayName, bump);
    c.on(UserEvent.AvatarUrl, bump);
    await c.startClient({ initialSyncLimit: 20, lazyLoadMembers: false });
  }

  stop(): void {
    this.client.removeAllListeners();
    this.client.stopClient();
  }

  /** Rebuild once per task, however many events arrived together. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.rebuild();
    });
  }

  rebuild(): void {
    this.version++;
    this.contacts = this.buildContacts();
    this.invitations = this.buildInvitations();
    const me = this.client.getUser(this.userId);
    this.ownName = personName(this.userId, me?.displayName, this.config.serverName);
    this.ownAvatar = this.avatarHttp(me?.avatarUrl ?? null);
  }

  avatarHttp(mxc: string | null | undefined, size = 64): string | null {
    if (!mxc) return null;
    return this.client.mxcUrlToHttp(mxc, size, size, 'crop', false, true, true);
  }

  isGroup(room: Room): boolean {
    return room.getMember(this.config.botUserId)?.membership === KnownMembership.Join;
  }

  /** The other person of a direct chat (from m.direct), if the room is one. */
  directPartner(roomId: string): string | undefined {
    return directRooms(this.client.getAccountData(EventType.Direct)?.getContent()).get(roomId);
  }

  nameOf(userId: string, room?: Room | null): string {
    const member = room?.getMember(userId);
    const display = member?.rawDisplayName ?? this.client.getUser(userId)?.displayName;
    return personName(userId, display && display !== userId ? display : null, this.config.serverName);
  }

  /** Renames a room; the new name shows as soon as the homeserver accepted it. */
  async rename(roomId: string, name: string): Promise<void> {
    const { event_id: eventId } = await this.client.setRoomName(roomId, name);
    this.renamed.set(roomId, { name, eventId });
    this.schedule();
  }

  roomName(room: Room): string {
    // The name from the state itself: matrix-js-sdk recalculates room.name after the state event
    // is applied and the view has been rebuilt, so a rename could stay unseen until another event.
    const state = room.currentState.getStateEvents(EventType.RoomName, '');
    const renamed = this.renamed.get(room.roomId);
    if (renamed && state?.getId() === renamed.eventId) this.renamed.delete(room.roomId);
    else if (renamed) return renamed.name;
    const explicit = state?.getContent<{ name?: unknown }>().name;
    if (typeof explicit === 'string' && explicit.trim()) return explicit;
    const partner = this.isGroup(room) ? undefined : this.directPartner(room.roomId);
    if (partner) return this.nameOf(partner, room);
    return room.name;
  }

  isMuted(roomId: string): boolean {
    const rules = this.client.pushRules?.global[PushRuleKind.RoomSpecific] ?? [];
    return rules.some((r) => r.rule_id === roomId && r.actions.length === 0);
  }

  conferenceOf(room: Room): Record<string, unknown> | null {
    return room.currentState.getStateEvents('org.foyer.conference', '')?.getContent() ?? null;
  }

  private buildInvitations(): Invitation[] {
    const invitations: Invitation[] = [];
    for (const room of this.client.getRooms()) {
      if (room.getMyMembership() !== KnownMembership.Invite) continue;
      const own = room.getMember(this.userId)?.events.member;
      const inviter = own?.getSender() ?? null;
      const direct = own?.getContent<{ is_direct?: boolean }>().is_direct === true;
      const name = direct && inviter && room.name === room.roomId ? this.nameOf(inviter, room) : room.name;
      invitations.push({ roomId: room.roomId, name, inviter: inviter && this.nameOf(inviter, room), direct });
    }
    return invitations;
  }

  /** Accept an invitation; a direct chat is recorded in m.direct so it lists as one. */
  async accept(invitation: Invitation): Promise<void> {
    await this.client.joinRoom(invitation.roomId);
    const inviter = this.client.getRoom(invitation.roomId)?.getMember(this.userId)?.events.member?.getSender();
    if (invitation.direct && inviter) await this.recordDirect(inviter, invitation.roomId);
    this.rebuild();
  }

  /**
   * The direct chat with this person: the one the user is in, or a new one (they are invited
   * with is_direct, and it is recorded in m.direct, as other Matrix clients do).
   */
  async openDirectChat(userId: string): Promise<string> {
    const listed = this.directContent()[userId] ?? [];
    const existing = listed.find((roomId) => {
      const room = this.client.getRoom(roomId);
      return room?.getMyMembership() === KnownMembership.Join && !this.isGroup(room);
    });
    if (existing) return existing;
    const { room_id: roomId } = await this.client.createRoom({
      is_direct: true,
      invite: [userId],
      preset: Preset.TrustedPrivateChat,
    });
    await this.recordDirect(userId, roomId);
    this.rebuild();
    return roomId;
  }

  private directContent(): Record<string, string[]> {
    return this.client.getAccountData(EventType.Direct)?.getContent<Record<string, string[]>>() ?? {};
  }

  private async recordDirect(userId: string, roomId: string): Promise<void> {
    const current = this.directContent();
    const rooms = current[userId] ?? [];
    if (!rooms.includes(roomId))
      await this.client.setAccountData(EventType.Direct, { ...current, [userId]: [...rooms, roomId] });
  }

  async decline(roomId: string): Promise<void> {
    await this.client.leave(roomId);
    this.rebuild();
  }

  private buildContacts(): Contact[] {
    const direct = directRooms(this.client.getAccountData(EventType.Direct)?.getContent());
    const contacts: Contact[] = [];
    for (const room of this.client.getRooms()) {
      if (room.getMyMembership() !== KnownMembership.Join) continue;
      const group = this.isGroup(room);
      const partner = direct.get(room.roomId);
      if (!group && partner === undefined) continue;
      const contact: Contact = {
        roomId: room.roomId,
        kind: group ? 'group' : 'direct',
        name: this.roomName(room),
        avatarUrl: this.avatarHttp(
          group ? room.getMxcAvatarUrl() : (room.getMember(partner ?? '')?.getMxcAvatarUrl() ?? room.getMxcAvatarUrl()),
        ),
        unread: room.getUnreadNotificationCount(NotificationCountType.Total),
        lastActivity: lastActivity(room),
        conference: group ? conferenceStatus(this.conferenceOf(room)) : null,
      };
      if (!group && partner !== undefined) {
        contact.userId = partner;
        const presence = this.client.getUser(partner)?.presence;
        if (presence) contact.presence = presence;
      }
      contacts.push(contact);
    }
    return contacts;
  }

  /** The newest event of a room worth a read receipt (not our own local echo). */
  newestEvent(room: Room): MatrixEvent | null {
    const events = room.getLiveTimeline().getEvents();
    for (let i = events.length - 1; i >= 0; i--) {
      const event = events[i];
      if (event?.getId()?.startsWith('$')) return event;
    }
    return null;
  }
}

function lastActivity(room: Room): number {
  const events = room.getLiveTimeline().getEvents();
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    if (event && ACTIVITY_TYPES.has(event.getType())) return event.getTs();
  }
  return room.getLastActiveTimestamp() > 0 ? room.getLastActiveTimestamp() : 0;
}
