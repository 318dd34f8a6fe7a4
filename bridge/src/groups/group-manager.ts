// Groups are rooms the bot has joined. The group manager takes their events, parsed at the edge
// (room-events.ts), through the one per-room queue and hands each to the module whose job it is:
// room lifecycle (room-lifecycle.ts), guest mode (guest-mode.ts, deciding by the pure rules in
// guest-access-rules.ts), virtual users (virtual-users.ts) and what the gateway asks and is told
// (gateway-requests.ts). Everything it needs to remember is in the store, so a restart loses
// nothing.
import {
  keyedSerialQueue,
  type ConferenceChanges,
  type ConferenceReport,
  type ConferenceSnapshot,
  type GroupInfo,
  type GroupPinAccess,
} from '@foyer/common';
import type { RoomEvent } from '../appservice/events.ts';
import type { StateEvent } from '../matrix/api.ts';
import { conferenceContent, CoalescingStateWriter } from './conference-state.ts';
import { LiveConferences, type GroupContext, type GroupManagerOptions } from './context.ts';
import { GatewayRequests } from './gateway-requests.ts';
import { GuestMode } from './guest-mode.ts';
import { CONFERENCE_EVENT, GUEST_ACCESS_EVENT } from './power.ts';
import { CallMemberships } from './call-memberships.ts';
import { Presence } from './presence.ts';
import { parseGroupEvent, type GroupEvent } from './room-events.ts';
import { RoomLifecycle, type GroupRooms } from './room-lifecycle.ts';
import { VirtualUsers } from './virtual-users.ts';

export type { GroupManagerOptions } from './context.ts';
export { ExpiredError, ResyncNeededError, UnknownGroupError } from './gateway-requests.ts';
export { WIDGET_ID, type GroupRooms } from './room-lifecycle.ts';

type MemberEvent = Extract<GroupEvent, { kind: 'member' }>;

export class GroupManager implements GroupRooms {
  private readonly c: GroupContext;
  private readonly rooms: RoomLifecycle;
  private readonly puppets: VirtualUsers;
  private readonly guestMode: GuestMode;
  private readonly gatewaySide: GatewayRequests;
  /** Callers' and guests' call memberships (Element Call shows them). */
  private readonly calls: CallMemberships;

  constructor(o: GroupManagerOptions) {
    const live = new LiveConferences();
    const writer = new CoalescingStateWriter({
      delayMs: o.stateDelayMs ?? 300,
      log: o.log,
      build: async (roomId) => {
        const group = await o.store.getGroup(roomId);
        if (!group) return undefined;
        const fixed = await o.store.getFixedRoomByRoomId(roomId);
        return conferenceContent(
          group,
          await o.store.getParticipants(roomId),
          o,
          fixed && { number: fixed.number, pin: fixed.pin ?? '' },
          live.mediaUnavailable.has(roomId),
        );
      },
      write: async (roomId, content) => {
        await o.api.sendState(roomId, CONFERENCE_EVENT, '', content);
      },
    });
    this.calls = new CallMemberships({ api: o.api, log: o.log });
    const presence = new Presence({
      api: o.api,
      log: o.log,
      localpartOf: (u) => o.ids.localpartOf(u),
      calls: this.calls,
    });
    this.c = { o, serial: keyedSerialQueue(), writer, live, presence };
    this.rooms = new RoomLifecycle(this.c);
    this.puppets = new VirtualUsers(this.c);
    this.guestMode = new GuestMode(this.c);
    this.gatewaySide = new GatewayRequests(this.c);
  }

  stop(): void {
    this.c.writer.stop();
    this.calls.stop();
  }

  // ---- events from the homeserver -------------------------------------------------------------

  handle(event: RoomEvent): Promise<void> {
    return this.c.serial(event.room_id, () => this.dispatch(parseGroupEvent(event)));
  }

  private async dispatch(event: GroupEvent): Promise<void> {
    const { ids, log, store } = this.c.o;
    if (event.kind === 'member') return this.onMember(event);
    if (event.kind === 'malformed_member') {
      log.warn({ roomId: event.roomId, eventId: event.eventId }, 'membership event of unexpected shape ignored');
      return;
    }
    const group = await store.getGroup(event.roomId);
    if (!group) {
      log.info({ roomId: event.roomId, type: event.type }, 'event from a room that is not a group ignored');
      return;
    }
    if (event.sender === ids.botUserId) return;
    switch (event.kind) {
      case 'name':
        return store.setGroupName(group.roomId, event.name);
      case 'power_levels':
        await this.rooms.ensureBotState(group.roomId);
        return;
      case 'encryption':
        await this.rooms.encrypted(group);
        return this.puppets.outOfCalls(group.roomId);
      case 'guest_access':
        return this.guestMode.request(group, event.sender, event.content);
      case 'message':
        return this.gatewaySide.relayMessage(group, event.event);
      case 'redaction':
        return this.gatewaySide.relayRedaction(group, event.redacts);
      case 'other':
        return;
    }
  }

  private async onMember(event: MemberEvent): Promise<void> {
    const { ids, store, gateway } = this.c.o;
    const { roomId, target, membership, sender } = event;
    const gone = membership === 'leave' || membership === 'ban';
    if (target === ids.botUserId) {
      if (membership === 'invite') await this.botInvited(roomId, sender);
      else if (gone) await this.rooms.botRemoved(roomId, sender);
      return;
    }
    const group = await store.getGroup(roomId);
    if (!group) return;
    await store.setMember(roomId, { userId: target, membership, displayName: event.displayName });

    const participantId = ids.participantOf(target);
    if (participantId && gone) {
      // A member kicked a guest or caller (not the virtual user leaving, not the bot removing it).
      if (sender !== target && sender !== ids.botUserId) await this.puppets.kicked(roomId, participantId, sender);
      return;
    }
    if (ids.isHuman(target)) {
      if (gone && (await this.rooms.deleteIfEmpty(group))) return;
      gateway.notify({ type: 'group.moderators', roomId, moderators: await this.gatewaySide.moderators(roomId) });
    }
  }

  private async botInvited(roomId: string, inviter: string): Promise<void> {
    const state = await this.rooms.botInvited(roomId, inviter);
    if (!state) return;
    // A guest-access request made before the bot joined counts as if made now.
    const request = state.find((e) => e.type === GUEST_ACCESS_EVENT && e.state_key === '');
    const group = await this.c.o.store.getGroup(roomId);
    if (request && group && request.content.enabled === true)
      await this.guestMode.request(group, request.sender, request.content);
  }

  // ---- the rooms (fixed rooms use these through GroupRooms) ------------------------------------

  ensureBotState(roomId: string, state?: StateEvent[]): Promise<boolean> {
    return this.rooms.ensureBotState(roomId, state);
  }

  widgetContent(): Record<string, unknown> {
    return this.rooms.widgetContent();
  }

  createGroupRoom(o: { name: string; topic?: string; invite: string[] }): Promise<string> {
    return this.rooms.createGroupRoom(o);
  }

  inviteStaff(roomId: string, userIds: string[]): Promise<void> {
    return this.rooms.inviteStaff(roomId, userIds);
  }

  renameRoom(roomId: string, name: string): Promise<void> {
    return this.rooms.renameRoom(roomId, name);
  }

  refreshConference(roomId: string): Promise<boolean> {
    return this.rooms.refreshConference(roomId);
  }

  roomHealth(roomId: string): Promise<'ok' | 'missing'> {
    return this.rooms.roomHealth(roomId);
  }

  forgetLostRoom(roomId: string): Promise<void> {
    return this.rooms.forgetLostRoom(roomId);
  }

  deleteGroupRoom(roomId: string, message: string): Promise<void> {
    return this.rooms.deleteGroupRoom(roomId, message);
  }

  // ---- the gateway's side ---------------------------------------------------------------------

  groupInfo(roomId: string): Promise<GroupInfo | undefined> {
    return this.gatewaySide.groupInfo(roomId);
  }

  lookupPin(pin: string): Promise<GroupPinAccess | undefined> {
    return this.gatewaySide.lookupPin(pin);
  }

  lookupToken(token: string): Promise<GroupInfo | undefined> {
    return this.gatewaySide.lookupToken(token);
  }

  reportConference(roomId: string, report: ConferenceReport, deadline?: number): Promise<void> {
    return this.gatewaySide.reportConference(roomId, report, deadline);
  }

  reportChanges(roomId: string, changes: ConferenceChanges, deadline?: number): Promise<void> {
    return this.gatewaySide.reportChanges(roomId, changes, deadline);
  }

  /** Virtual users whose join or leave is not yet carried out. */
  puppetBacklog(): number {
    return this.c.presence.backlog;
  }

  /** Virtual users' joins and leaves not yet carried out are done (tests). */
  presenceIdle(): Promise<void> {
    return this.c.presence.idle();
  }

  resetConferences(o: { unlessReportedSince?: number } = {}): Promise<number> {
    return this.gatewaySide.resetConferences(o);
  }

  syncConferences(snapshot: ConferenceSnapshot, since: number): Promise<void> {
    return this.gatewaySide.syncConferences(snapshot, since);
  }

  senderFor(roomId: string, participantId: string): Promise<string | undefined> {
    return this.puppets.senderFor(roomId, participantId);
  }

  /** Invite and join a virtual user (the outbox rejoins one that was removed meanwhile). */
  joinVirtualUser(roomId: string, userId: string): Promise<void> {
    return this.puppets.join(roomId, userId);
  }
}
