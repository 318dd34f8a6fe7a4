// Groups are rooms the bot has joined. This class reacts to their events (membership, names,
// power levels, guest-access requests, chat) and answers the gateway's questions about them.
// Everything it needs to remember is in the store, so a restart loses nothing.
import type {
  ChatMessage,
  ConferenceReport,
  ConferenceSnapshot,
  GroupInfo,
  GroupPinAccess,
  Logger,
} from '@foyer/common';
import { safeEqual } from '@foyer/common';
import { memberContentSchema, type RoomEvent } from '../appservice/events.ts';
import { toChatMessage } from '../chat/relay.ts';
import type { GatewayNotifier } from '../gateway-notifier.ts';
import { MatrixError, type MatrixApi, type StateEvent } from '../matrix/api.ts';
import type { BridgeStore, Group, Member, Participant } from '../store/store.ts';
import { conferenceContent, CoalescingStateWriter } from './conference-state.ts';
import {
  guestAccessContentSchema,
  hashToken,
  newLinkToken,
  newPin,
  PIN_PATTERN,
  TOKEN_PATTERN,
  unknownKeys,
} from './guest-access.ts';
import type { Identities } from './identity.ts';
import { notices } from './notices.ts';
import {
  BRIDGE_EVENT,
  CONFERENCE_EVENT,
  desiredPowerLevels,
  GUEST_ACCESS_EVENT,
  isUnlimitedCreator,
  levelOf,
  neededLevel,
  powerLevelsSchema,
  WIDGET_EVENT,
  type PowerLevels,
} from './power.ts';
import { guestDisplayName, phoneDisplayName } from './puppets.ts';

export const WIDGET_ID = 'foyer_conference';

export interface GroupManagerOptions {
  api: MatrixApi;
  store: BridgeStore;
  ids: Identities;
  gateway: GatewayNotifier;
  log: Logger;
  dialInNumber: string;
  webUrl: string;
  pinDigits: number;
  maskCallerNumbers: boolean;
  deleteEmptyGroups: boolean;
  /** Delay for coalescing org.foyer.conference writes. */
  stateDelayMs?: number;
}

export class UnknownGroupError extends Error {
  override name = 'UnknownGroupError';
}

export class GroupManager {
  private readonly o: GroupManagerOptions;
  private readonly writer: CoalescingStateWriter;
  /** Per-room queue: one room's changes happen in order, rooms don't wait for each other. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** When the gateway last reported on a room itself (ms), so a reset or re-sync never undoes it. */
  private readonly reportedAt = new Map<string, number>();
  /**
   * Rooms whose conference has no media server now (the gateway's live state, not stored: after
   * a bridge restart the re-sync with the gateway brings it back).
   */
  private readonly mediaUnavailable = new Set<string>();

  constructor(o: GroupManagerOptions) {
    this.o = o;
    this.writer = new CoalescingStateWriter({
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
          this.mediaUnavailable.has(roomId),
        );
      },
      write: async (roomId, content) => {
        await o.api.sendState(roomId, CONFERENCE_EVENT, '', content);
      },
    });
  }

  stop(): void {
    this.writer.stop();
  }

  private serial<T>(roomId: string, work: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(roomId) ?? Promise.resolve();
    const next = prev.then(work, work);
    const tail = next.catch(() => undefined);
    this.queues.set(roomId, tail);
    void tail.then(() => {
      if (this.queues.get(roomId) === tail) this.queues.delete(roomId);
    });
    return next;
  }

  // ---- events from the homeserver -------------------------------------------------------------

  handle(event: RoomEvent): Promise<void> {
    return this.serial(event.room_id, () => this.dispatch(event));
  }

  private async dispatch(event: RoomEvent): Promise<void> {
    if (event.type === 'm.room.member' && event.state_key !== undefined) return this.onMember(event, event.state_key);
    const group = await this.o.store.getGroup(event.room_id);
    if (!group) {
      this.o.log.info({ roomId: event.room_id, type: event.type }, 'event from a room that is not a group ignored');
      return;
    }
    if (event.sender === this.o.ids.botUserId) return;
    switch (event.type) {
      case 'm.room.name':
        if (event.state_key === '') {
          const name = typeof event.content.name === 'string' ? event.content.name.slice(0, 255) : null;
          await this.o.store.setGroupName(group.roomId, name || null);
        }
        return;
      case 'm.room.power_levels':
        if (event.state_key === '') await this.ensureBotState(group.roomId);
        return;
      case GUEST_ACCESS_EVENT:
        if (event.state_key === '') await this.onGuestAccess(group, event.sender, event.content);
        return;
      case 'm.room.message':
        return this.relayMessage(group, event);
      case 'm.room.redaction':
        if (typeof event.redacts === 'string' || typeof event.content.redacts === 'string') {
          const redacts = String(event.redacts ?? event.content.redacts);
          if (await this.hasWebGuests(group.roomId))
            this.o.gateway.notify({ type: 'chat.redaction', roomId: group.roomId, redacts });
        }
        return;
    }
  }

  private async onMember(event: RoomEvent, target: string): Promise<void> {
    const { ids, store, log } = this.o;
    const content = memberContentSchema.safeParse(event.content);
    if (!content.success) {
      log.warn({ roomId: event.room_id, eventId: event.event_id }, 'membership event of unexpected shape ignored');
      return;
    }
    const membership = content.data.membership;
    if (target === ids.botUserId) {
      if (membership === 'invite') return this.onBotInvited(event.room_id, event.sender);
      if (membership === 'leave' || membership === 'ban') {
        if (await store.getGroup(event.room_id)) {
          log.info({ roomId: event.room_id, by: event.sender }, 'the bot was removed from a group; forgetting it');
          await this.forgetGroup(event.room_id);
        }
      }
      return;
    }
    const group = await store.getGroup(event.room_id);
    if (!group) return;
    await store.setMember(group.roomId, { userId: target, membership, displayName: content.data.displayname ?? null });

    const participantId = ids.participantOf(target);
    if (participantId && (membership === 'leave' || membership === 'ban')) {
      if (event.sender !== target && event.sender !== ids.botUserId) {
        // A member kicked a guest or caller: that ends their session in the conference.
        log.info({ roomId: group.roomId, participantId, by: event.sender }, 'virtual user removed by a member');
        await store.markParticipantRemoved(group.roomId, participantId);
        this.o.gateway.notify({ type: 'participant.removed', roomId: group.roomId, participantId, by: event.sender });
        this.writer.schedule(group.roomId);
      }
      return;
    }
    if (ids.isHuman(target)) {
      if (membership === 'leave' || membership === 'ban') {
        if (await this.deleteIfEmpty(group)) return;
      }
      this.o.gateway.notify({
        type: 'group.moderators',
        roomId: group.roomId,
        moderators: await this.moderators(group.roomId),
      });
    }
  }

  private async onBotInvited(roomId: string, inviter: string): Promise<void> {
    const { api, ids, log, store } = this.o;
    if (!ids.isLocal(inviter)) {
      log.info({ roomId, inviter }, 'declining an invitation from another server');
      await api.leave(roomId, undefined, 'Foyer only joins groups on invitation from its own server');
      return;
    }
    await api.join(roomId);
    const state = await api.roomState(roomId);
    const name = state.find((e) => e.type === 'm.room.name' && e.state_key === '')?.content.name;
    await store.upsertGroup(roomId, typeof name === 'string' ? name.slice(0, 255) : null);
    await store.replaceMembers(roomId, membersFromState(state));
    log.info({ roomId, inviter }, 'joined a new group');
    await this.ensureBotState(roomId, state);
    // A guest-access request made before the bot joined counts as if made now.
    const request = state.find((e) => e.type === GUEST_ACCESS_EVENT && e.state_key === '');
    const group = await store.getGroup(roomId);
    if (request && group && request.content.enabled === true)
      await this.onGuestAccess(group, request.sender, request.content);
  }

  /**
   * Make sure the bot's state is in the room: power levels that let members ask for guest
   * mode, m.bridge, the conference widget and org.foyer.conference. Without the power to write
   * them, say so once in the room instead of failing silently.
   */
  async ensureBotState(roomId: string, state?: StateEvent[]): Promise<boolean> {
    const { api, ids, store, log } = this.o;
    const events = state ?? (await api.roomState(roomId));
    const plEvent = events.find((e) => e.type === 'm.room.power_levels' && e.state_key === '');
    const pl: PowerLevels = powerLevelsSchema.safeParse(plEvent?.content ?? {}).data ?? {};
    const group = await store.getGroup(roomId);
    if (!group) return false;
    const need = neededLevel(pl);
    const create = events.find((e) => e.type === 'm.room.create' && e.state_key === '');
    const botLevel = isUnlimitedCreator(create, ids.botUserId) ? Infinity : levelOf(pl, ids.botUserId);
    if (botLevel < need) {
      if (!group.powerNoticeSent) {
        await api.sendNotice(roomId, notices.needPower(ids.botUserId, Math.max(need, 100)));
        await store.setPowerNoticeSent(roomId, true);
        log.warn({ roomId, need, bot: levelOf(pl, ids.botUserId) }, 'the bot lacks the power level to write its state');
      }
      return false;
    }
    const wanted = desiredPowerLevels(pl, ids.botUserId, botLevel);
    if (wanted) await api.sendState(roomId, 'm.room.power_levels', '', wanted);
    const has = (type: string, key: string) =>
      events.some((e) => e.type === type && e.state_key === key && Object.keys(e.content).length);
    const bridgeKey = `org.foyer://conference/${roomId}`;
    if (!has(BRIDGE_EVENT, bridgeKey)) {
      await api.sendState(roomId, BRIDGE_EVENT, bridgeKey, {
        bridgebot: ids.botUserId,
        creator: ids.botUserId,
        protocol: { id: 'foyer', displayname: 'Foyer' },
        channel: { id: roomId, displayname: group.name ?? 'Foyer' },
      });
    }
    if (!has(WIDGET_EVENT, WIDGET_ID)) {
      await api.sendState(roomId, WIDGET_EVENT, WIDGET_ID, this.widgetContent());
    }
    await this.writer.flush(roomId, !has(CONFERENCE_EVENT, ''));
    if (group.powerNoticeSent) await store.setPowerNoticeSent(roomId, false);
    return true;
  }

  widgetContent(): Record<string, unknown> {
    // Element substitutes the $matrix_* variables; the page asks the client for an OpenID token.
    const url = `${this.o.webUrl}/widget/conference?roomId=$matrix_room_id&userId=$matrix_user_id&widgetId=$matrix_widget_id&lang=$org.matrix.msc2873.client_language`;
    return {
      id: WIDGET_ID,
      type: 'm.custom',
      name: 'Konferenz · Conference',
      url,
      data: { title: 'Foyer' },
      creatorUserId: this.o.ids.botUserId,
      waitForIframeLoad: true,
    };
  }

  private async onGuestAccess(group: Group, sender: string, content: Record<string, unknown>): Promise<void> {
    const { api, ids, log, store } = this.o;
    if (sender === ids.botUserId) return;
    if (!ids.isLocal(sender)) {
      log.info({ roomId: group.roomId, sender }, 'guest-access request from another server refused');
      await api.sendNotice(group.roomId, notices.guestAccessFederated(sender, ids.serverName));
      return;
    }
    const member = (await store.getMembers(group.roomId)).find((m) => m.userId === sender);
    if (member?.membership !== 'join' || !ids.isHuman(sender)) {
      log.info({ roomId: group.roomId, sender }, 'guest-access request from a non-member refused');
      await api.sendNotice(group.roomId, notices.guestAccessNotMember(sender));
      return;
    }
    const parsed = guestAccessContentSchema.safeParse(content);
    if (!parsed.success) {
      const problem = parsed.error.issues[0]?.message ?? 'invalid';
      log.info({ roomId: group.roomId, sender, problem }, 'guest-access request of the wrong shape refused');
      await api.sendNotice(group.roomId, notices.guestAccessInvalid(problem));
      return;
    }
    const extra = unknownKeys(content);
    if (extra.length) log.info({ roomId: group.roomId, extra }, 'unknown fields in a guest-access request ignored');

    const { enabled, regenerate, moderator_pin: moderatorPin } = parsed.data;
    const hasModeratorPin = group.guestAccess && group.moderatorPin !== null;
    if (enabled && (!group.guestAccess || regenerate)) {
      const withModeratorPin = moderatorPin ?? hasModeratorPin;
      await this.issueCredentials(group.roomId, withModeratorPin);
      if (group.guestAccess) await this.disconnectAll(group.roomId);
      log.info(
        { roomId: group.roomId, by: sender, rotated: group.guestAccess, moderatorPin: withModeratorPin },
        'guest access on',
      );
      await this.writer.flush(group.roomId);
      await api.sendNotice(group.roomId, group.guestAccess ? notices.guestAccessRotated() : notices.guestAccessOn());
      if (withModeratorPin && !hasModeratorPin) await api.sendNotice(group.roomId, notices.moderatorPinOn());
    } else if (!enabled && group.guestAccess) {
      await store.clearGuestCredentials(group.roomId);
      await this.disconnectAll(group.roomId);
      log.info({ roomId: group.roomId, by: sender }, 'guest access off; PIN and link revoked');
      await this.writer.flush(group.roomId);
      await api.sendNotice(group.roomId, notices.guestAccessOff());
    } else if (enabled && moderatorPin !== undefined && moderatorPin !== hasModeratorPin) {
      // Callers already in keep their role; the PIN stops (or starts) working for new calls.
      if (moderatorPin) await this.issueModeratorPin(group.roomId);
      else await store.setModeratorPin(group.roomId, null);
      log.info({ roomId: group.roomId, by: sender }, moderatorPin ? 'moderator PIN on' : 'moderator PIN off');
      await this.writer.flush(group.roomId);
      await api.sendNotice(group.roomId, moderatorPin ? notices.moderatorPinOn() : notices.moderatorPinOff());
    } else {
      await this.writer.flush(group.roomId);
    }
  }

  private async issueCredentials(roomId: string, withModeratorPin: boolean): Promise<void> {
    await this.retryUntilFree(() => {
      const linkToken = newLinkToken();
      return this.o.store.setGuestCredentials(roomId, {
        pin: newPin(this.o.pinDigits),
        linkToken,
        linkTokenHash: hashToken(linkToken),
        moderatorPin: withModeratorPin ? newPin(this.o.pinDigits) : null,
      });
    });
  }

  private issueModeratorPin(roomId: string): Promise<void> {
    return this.retryUntilFree(() => this.o.store.setModeratorPin(roomId, newPin(this.o.pinDigits)));
  }

  /** Random PINs collide rarely; a few draws settle it, or the PIN length is too short. */
  private async retryUntilFree(attempt: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 8; i++) if (await attempt()) return;
    throw new Error('could not find an unused PIN; raise bridge.pinDigits');
  }

  /** Old PIN and link are gone: whoever came in with them leaves now. */
  private async disconnectAll(roomId: string): Promise<void> {
    this.o.gateway.notify({ type: 'group.revoked', roomId });
    for (const p of await this.o.store.getParticipants(roomId)) {
      await this.removeVirtualUser(roomId, p);
      await this.o.store.deleteParticipant(roomId, p.participantId);
    }
  }

  private async deleteIfEmpty(group: Group): Promise<boolean> {
    const { ids, log, store } = this.o;
    const people = (await store.getMembers(group.roomId)).filter(
      (m) => ids.isHuman(m.userId) && (m.membership === 'join' || m.membership === 'invite'),
    );
    if (people.length > 0) return false;
    if (await store.getFixedRoomByRoomId(group.roomId)) {
      // A fixed conference room stays until an administrator deletes it: callers need no staff.
      log.info({ roomId: group.roomId }, 'last member left a fixed conference room; it stays');
      return false;
    }
    await this.removeRoom(group.roomId, 'Die Gruppe hat keine Mitglieder mehr. · The group has no members left.');
    log.info({ roomId: group.roomId }, 'last member left; group removed');
    return true;
  }

  /**
   * Delete (purge) a group's room, or leave it when deletion is off, and forget the group; the
   * gateway ends its conference (group.deleted).
   */
  private async removeRoom(roomId: string, message: string): Promise<void> {
    const { api, log } = this.o;
    if (this.o.deleteEmptyGroups) {
      const deleteId = await api.deleteRoom(roomId, message);
      log.info({ roomId, deleteId }, 'group room deleted and purged');
    } else {
      await api.leave(roomId, undefined, message);
      log.info({ roomId }, 'bot left the group room (deletion is off)');
    }
    await this.forgetGroup(roomId);
  }

  // ---- rooms the bot creates (fixed conference rooms) -----------------------------------------

  /**
   * Create a room as the bot and make it a group, as if a member had invited the bot: m.bridge,
   * widget, power levels and org.foyer.conference. `invite` are local users (staff); they get
   * moderator power (50: kick virtual users, which ends that caller's call).
   */
  async createGroupRoom(o: { name: string; topic?: string; invite: string[] }): Promise<string> {
    const { api, ids, log, store } = this.o;
    const foreign = o.invite.filter((u) => !ids.isLocal(u) || !ids.isHuman(u));
    if (foreign.length) throw new Error(`only local users can be invited: ${foreign.join(', ')}`);
    const users = Object.fromEntries(o.invite.map((u) => [u, 50]));
    const roomId = await api.createRoom({
      name: o.name,
      ...(o.topic ? { topic: o.topic } : {}),
      preset: 'private_chat',
      invite: o.invite,
      // Room version 12: the bot (creator) has unlimited power and must not be in `users`.
      power_level_content_override: { users },
    });
    await this.serial(roomId, async () => {
      const state = await api.roomState(roomId);
      await store.upsertGroup(roomId, o.name.slice(0, 255));
      await store.replaceMembers(roomId, membersFromState(state));
      await this.ensureBotState(roomId, state);
    });
    log.info({ roomId, invited: o.invite.length }, 'created a group room');
    return roomId;
  }

  /** Invite local staff to a group; already invited or joined users are skipped. */
  async inviteStaff(roomId: string, userIds: string[]): Promise<void> {
    const { api, ids, store } = this.o;
    const foreign = userIds.filter((u) => !ids.isLocal(u) || !ids.isHuman(u));
    if (foreign.length) throw new Error(`only local users can be invited: ${foreign.join(', ')}`);
    const members = new Map((await store.getMembers(roomId)).map((m) => [m.userId, m.membership]));
    for (const u of userIds) {
      const m = members.get(u);
      if (m === 'join' || m === 'invite') continue;
      await api.invite(roomId, u);
    }
  }

  /** Rename a group's room (m.room.name); the group's name follows. */
  renameRoom(roomId: string, name: string): Promise<void> {
    return this.serial(roomId, async () => {
      await this.o.api.sendState(roomId, 'm.room.name', '', { name });
      await this.o.store.setGroupName(roomId, name.slice(0, 255));
    });
  }

  /** Rewrite org.foyer.conference now (after an admin changed what it shows). */
  refreshConference(roomId: string): Promise<boolean> {
    return this.serial(roomId, () => this.writer.flush(roomId));
  }

  /**
   * Whether the bot still has this room: known as a group and readable on the homeserver.
   * 'missing' when deleted or the bot was removed; throws when the homeserver cannot be asked.
   */
  async roomHealth(roomId: string): Promise<'ok' | 'missing'> {
    if (!(await this.o.store.getGroup(roomId))) return 'missing';
    try {
      await this.o.api.roomState(roomId);
      return 'ok';
    } catch (err) {
      if (err instanceof MatrixError && (err.httpStatus === 403 || err.httpStatus === 404)) return 'missing';
      throw err;
    }
  }

  /** Forget a group whose room is gone (the gateway ends its conference there). */
  forgetLostRoom(roomId: string): Promise<void> {
    return this.serial(roomId, async () => {
      if (await this.o.store.getGroup(roomId)) await this.forgetGroup(roomId);
    });
  }

  /** An administrator deleted the room's record: delete the Matrix room like an empty group's. */
  deleteGroupRoom(roomId: string, message: string): Promise<void> {
    return this.serial(roomId, async () => {
      if (!(await this.o.store.getGroup(roomId))) return;
      await this.removeRoom(roomId, message);
    });
  }

  private async forgetGroup(roomId: string): Promise<void> {
    this.writer.forget(roomId);
    this.reportedAt.delete(roomId);
    this.mediaUnavailable.delete(roomId);
    await this.o.store.deleteGroup(roomId);
    this.o.gateway.notify({ type: 'group.deleted', roomId });
  }

  private async relayMessage(group: Group, event: RoomEvent): Promise<void> {
    if (!(await this.hasWebGuests(group.roomId))) return;
    const member = (await this.o.store.getMembers(group.roomId)).find((m) => m.userId === event.sender);
    const name = member?.displayName ?? event.sender.slice(1, event.sender.indexOf(':'));
    const message: ChatMessage | undefined = toChatMessage(event, name, this.o.ids.kindOf(event.sender));
    if (message) this.o.gateway.notify({ type: 'chat.message', roomId: group.roomId, message });
  }

  private async hasWebGuests(roomId: string): Promise<boolean> {
    return (await this.o.store.getParticipants(roomId)).some((p) => p.kind === 'guest' && !p.removed);
  }

  // ---- the gateway's side ---------------------------------------------------------------------

  private async moderators(roomId: string): Promise<string[]> {
    const { ids } = this.o;
    return (await this.o.store.getMembers(roomId))
      .filter((m) => m.membership === 'join' && ids.kindOf(m.userId) === 'staff')
      .map((m) => m.userId);
  }

  async groupInfo(roomId: string): Promise<GroupInfo | undefined> {
    const group = await this.o.store.getGroup(roomId);
    return group && this.info(group);
  }

  private async info(group: Group): Promise<GroupInfo> {
    const { ids } = this.o;
    const members = (await this.o.store.getMembers(group.roomId))
      .filter((m) => m.membership === 'join' && ids.isHuman(m.userId))
      .map((m) => ({
        userId: m.userId,
        displayName: m.displayName,
        kind: ids.kindOf(m.userId) as 'staff' | 'federated',
      }));
    return {
      roomId: group.roomId,
      name: group.name,
      guestAccess: group.guestAccess,
      extension: (await this.o.store.getFixedRoomByRoomId(group.roomId))?.extension ?? null,
      dialIn: group.guestAccess && group.pin ? { number: this.o.dialInNumber, pin: group.pin } : null,
      moderatorPin: group.guestAccess ? group.moderatorPin : null,
      moderators: members.filter((m) => m.kind === 'staff').map((m) => m.userId),
      members,
    };
  }

  /** The group whose guest PIN (a participant) or moderator PIN (a moderator) this is. */
  async lookupPin(pin: string): Promise<GroupPinAccess | undefined> {
    if (!PIN_PATTERN.test(pin)) return undefined;
    const group = await this.o.store.findGroupByPin(pin);
    if (!group) return undefined;
    const role =
      group.pin !== null && safeEqual(group.pin, pin)
        ? 'participant'
        : group.moderatorPin !== null && safeEqual(group.moderatorPin, pin)
          ? 'moderator'
          : undefined;
    return role && { ...(await this.info(group)), role };
  }

  async lookupToken(token: string): Promise<GroupInfo | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const group = await this.o.store.findGroupByLinkHash(hashToken(token));
    return group && group.linkToken !== null && safeEqual(group.linkToken, token) ? this.info(group) : undefined;
  }

  /** The gateway's report of a conference: status, and who is in it or waiting. */
  reportConference(roomId: string, report: ConferenceReport): Promise<void> {
    this.reportedAt.set(roomId, Date.now());
    return this.applyReport(roomId, report);
  }

  /**
   * Mirror a report into the store and the room. With `unlessReportedSince`, a room the gateway
   * reported on itself after that moment is left as it is: that report is newer than ours.
   */
  private applyReport(roomId: string, report: ConferenceReport, unlessReportedSince?: number): Promise<void> {
    return this.serial(roomId, async () => {
      if (unlessReportedSince !== undefined && (this.reportedAt.get(roomId) ?? -Infinity) >= unlessReportedSince)
        return;
      const { store } = this.o;
      const group = await store.getGroup(roomId);
      if (!group) throw new UnknownGroupError(roomId);
      await store.setConferenceStatus(roomId, report.status);
      if (report.media === 'unavailable') this.mediaUnavailable.add(roomId);
      else this.mediaUnavailable.delete(roomId);
      const known = new Map((await store.getParticipants(roomId)).map((p) => [p.participantId, p]));
      for (const r of report.participants) {
        const before = known.get(r.id);
        known.delete(r.id);
        if (before?.removed) continue; // kicked by a member: the gateway is ending that session
        const displayName =
          r.kind === 'guest' ? guestDisplayName(r.name) : phoneDisplayName(r.number, this.o.maskCallerNumbers);
        await store.upsertParticipant(roomId, { participantId: r.id, kind: r.kind, displayName, waiting: r.waiting });
        if (!before) await this.addVirtualUser(roomId, r.kind, r.id, displayName);
      }
      for (const gone of known.values()) {
        if (!gone.removed) await this.removeVirtualUser(roomId, gone);
        await store.deleteParticipant(roomId, gone.participantId);
      }
      this.writer.schedule(roomId);
    });
  }

  private async addVirtualUser(
    roomId: string,
    kind: 'guest' | 'phone',
    participantId: string,
    displayName: string,
  ): Promise<void> {
    const { api, ids, log } = this.o;
    const userId = ids.virtualUserId(kind, participantId);
    try {
      await api.registerVirtualUser(userId.slice(1, userId.indexOf(':')));
      await api.setDisplayName(userId, displayName);
      await this.joinVirtualUser(roomId, userId);
    } catch (err) {
      // The conference goes on without the room showing this participant; say why.
      log.error({ err: (err as Error).message, roomId, userId }, 'could not join the virtual user to the room');
    }
  }

  /** Invite (the room is private) and join as the virtual user. */
  async joinVirtualUser(roomId: string, userId: string): Promise<void> {
    try {
      await this.o.api.invite(roomId, userId);
    } catch (err) {
      // Already invited or joined is fine; anything else shows up at the join.
      if (!(err instanceof MatrixError && err.httpStatus === 403)) throw err;
    }
    await this.o.api.join(roomId, userId);
  }

  private async removeVirtualUser(roomId: string, p: Participant): Promise<void> {
    const userId = this.o.ids.virtualUserId(p.kind, p.participantId);
    await this.o.api.leave(roomId, userId).catch((err: unknown) => {
      this.o.log.warn({ err: (err as Error).message, roomId, userId }, 'virtual user could not leave');
    });
  }

  /**
   * The gateway restarted (it says so) or stopped answering (the bridge's health check): every
   * conference is over; virtual users leave, status idle. With `unlessReportedSince`, rooms the
   * gateway reported on after that moment stay (it is back and hosts them).
   */
  async resetConferences(o: { unlessReportedSince?: number } = {}): Promise<number> {
    const rooms = await this.o.store.roomsWithConference();
    const idle: ConferenceReport = { status: 'idle', participants: [] };
    for (const roomId of rooms) {
      if (o.unlessReportedSince === undefined) await this.reportConference(roomId, idle);
      else
        await this.applyReport(roomId, idle, o.unlessReportedSince).catch((err: unknown) =>
          this.resetFailed(roomId, err),
        );
    }
    return rooms.length;
  }

  /**
   * What the gateway hosts now (after the bridge lost contact with it, or restarted): its
   * conferences as it lists them, every other conference over. A room the gateway reported on
   * directly after `since` keeps that newer report.
   */
  async syncConferences(snapshot: ConferenceSnapshot, since: number): Promise<void> {
    const listed = new Map(snapshot.conferences.map((c) => [c.roomId, c.report]));
    const stale = (await this.o.store.roomsWithConference()).filter((roomId) => !listed.has(roomId));
    for (const [roomId, report] of listed)
      await this.applyReport(roomId, report, since).catch((err: unknown) => this.resetFailed(roomId, err));
    for (const roomId of stale)
      await this.applyReport(roomId, { status: 'idle', participants: [] }, since).catch((err: unknown) =>
        this.resetFailed(roomId, err),
      );
  }

  private resetFailed(roomId: string, err: unknown): void {
    if (err instanceof UnknownGroupError) return; // not (or no longer) a group
    this.o.log.warn({ err: (err as Error).message, roomId }, 'could not update the room’s conference');
  }

  /** The participant's virtual user, if the participant is in this group's conference now. */
  async senderFor(roomId: string, participantId: string): Promise<string | undefined> {
    const p = (await this.o.store.getParticipants(roomId)).find((x) => x.participantId === participantId && !x.removed);
    return p && this.o.ids.virtualUserId(p.kind, p.participantId);
  }
}

function membersFromState(state: StateEvent[]): Member[] {
  return state
    .filter((e) => e.type === 'm.room.member')
    .map((e): Member | undefined => {
      const c = memberContentSchema.safeParse(e.content);
      return c.success
        ? { userId: e.state_key, membership: c.data.membership, displayName: c.data.displayname ?? null }
        : undefined;
    })
    .filter((m): m is Member => m !== undefined);
}
