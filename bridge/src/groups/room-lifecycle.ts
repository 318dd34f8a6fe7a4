// A group's room from the bot's joining to its deletion: the bot joins on invitation from our
// server (declines others) or creates the room itself (fixed rooms), writes its state (power
// levels, m.bridge, the widget, org.foyer.conference), and deletes (or leaves) the room when its
// last person left, unless it is a fixed room; or forgets a group whose room is gone.
import { staffInviteeProblem } from '@foyer/config';
import { MatrixError, type StateEvent } from '../matrix/api.ts';
import type { Group } from '../store/store.ts';
import { GroupPart } from './context.ts';
import type { Identities } from './identity.ts';
import { notices, roomTexts } from './notices.ts';
import {
  BRIDGE_EVENT,
  CONFERENCE_EVENT,
  desiredPowerLevels,
  isUnlimitedCreator,
  levelOf,
  neededLevel,
  powerLevelsSchema,
  WIDGET_EVENT,
  type PowerLevels,
} from './power.ts';
import { groupName, membersFromState } from './room-events.ts';

export const WIDGET_ID = 'foyer_conference';

/** What fixed rooms (rooms/fixed-rooms.ts) need of groups: the rooms, not their conferences. */
export interface GroupRooms {
  createGroupRoom(o: { name: string; topic?: string; invite: string[] }): Promise<string>;
  inviteStaff(roomId: string, userIds: string[]): Promise<void>;
  renameRoom(roomId: string, name: string): Promise<void>;
  refreshConference(roomId: string): Promise<boolean>;
  roomHealth(roomId: string): Promise<'ok' | 'missing'>;
  forgetLostRoom(roomId: string): Promise<void>;
  deleteGroupRoom(roomId: string, message: string): Promise<void>;
}

/** The users who cannot be invited as staff: of another server, the bot or a virtual user. */
export function nonStaffInvitees(ids: Identities, userIds: string[]): string[] {
  const own = { serverName: ids.serverName, botUserId: ids.botUserId };
  return userIds.filter((u) => staffInviteeProblem(u, own) !== undefined);
}

function mustBeStaff(ids: Identities, userIds: string[]): void {
  const foreign = nonStaffInvitees(ids, userIds);
  if (foreign.length) throw new Error(`only local users can be invited: ${foreign.join(', ')}`);
}

export class RoomLifecycle extends GroupPart implements GroupRooms {
  /**
   * The bot was invited: it joins when the inviter is of our server and records the group.
   * Resolves with the room's state after joining, or undefined when it declined.
   */
  async botInvited(roomId: string, inviter: string): Promise<StateEvent[] | undefined> {
    const { api, ids, log, store } = this.c.o;
    if (!ids.isLocal(inviter)) {
      log.info({ roomId, inviter }, 'declining an invitation from another server');
      await api.leave(roomId, undefined, roomTexts.inviteDeclined);
      return undefined;
    }
    await api.join(roomId);
    const state = await api.roomState(roomId);
    const name = state.find((e) => e.type === 'm.room.name' && e.state_key === '')?.content;
    await store.upsertGroup(roomId, groupName(name));
    await store.replaceMembers(roomId, membersFromState(state));
    log.info({ roomId, inviter }, 'joined a new group');
    await this.ensureBotState(roomId, state);
    return state;
  }

  /** The bot left or was removed (kicked, banned): the group is forgotten. */
  async botRemoved(roomId: string, by: string): Promise<void> {
    if (!(await this.c.o.store.getGroup(roomId))) return;
    this.c.o.log.info({ roomId, by }, 'the bot was removed from a group; forgetting it');
    await this.forgetGroup(roomId);
  }

  /**
   * Make sure the bot's state is in the room: power levels that let members ask for guest
   * mode, m.bridge, the conference widget and org.foyer.conference. Without the power to write
   * them, say so once in the room instead of failing silently.
   */
  /**
   * The room is end-to-end encrypted (for good): Element Call's media there cannot reach callers
   * and guests. Said once, in both languages; org.foyer.conference says `matrix_rtc: false`.
   */
  async encrypted(group: Group): Promise<void> {
    const { api, store, log } = this.c.o;
    if (group.encrypted) return;
    await store.setGroupEncrypted(group.roomId);
    log.info({ roomId: group.roomId }, 'group encrypted: Element Call media is not bridged into its conference');
    await api.sendNotice(group.roomId, notices.encrypted());
    this.c.writer.schedule(group.roomId);
  }

  async ensureBotState(roomId: string, state?: StateEvent[]): Promise<boolean> {
    const { api, ids, store, log } = this.c.o;
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
    if (has('m.room.encryption', '')) await this.encrypted(group);
    await this.c.writer.flush(roomId, !has(CONFERENCE_EVENT, ''));
    if (group.powerNoticeSent) await store.setPowerNoticeSent(roomId, false);
    return true;
  }

  widgetContent(): Record<string, unknown> {
    // Element substitutes the $matrix_* variables; the page asks the client for an OpenID token.
    const url = `${this.c.o.webUrl}/widget/conference?roomId=$matrix_room_id&userId=$matrix_user_id&widgetId=$matrix_widget_id&lang=$org.matrix.msc2873.client_language`;
    return {
      id: WIDGET_ID,
      type: 'm.custom',
      name: roomTexts.widgetName,
      url,
      data: { title: 'Foyer' },
      creatorUserId: this.c.o.ids.botUserId,
      waitForIframeLoad: true,
    };
  }

  /** A person left: a group with no one left (joined or invited) goes, unless a fixed room. */
  async deleteIfEmpty(group: Group): Promise<boolean> {
    const { ids, log, store } = this.c.o;
    const people = (await store.getMembers(group.roomId)).filter(
      (m) => ids.isHuman(m.userId) && (m.membership === 'join' || m.membership === 'invite'),
    );
    if (people.length > 0) return false;
    if (await store.getFixedRoomByRoomId(group.roomId)) {
      // A fixed conference room stays until an administrator deletes it: callers need no staff.
      log.info({ roomId: group.roomId }, 'last member left a fixed conference room; it stays');
      return false;
    }
    await this.removeRoom(group.roomId, roomTexts.groupEmpty);
    log.info({ roomId: group.roomId }, 'last member left; group removed');
    return true;
  }

  /**
   * Delete (purge) a group's room, or leave it when deletion is off, and forget the group; the
   * gateway ends its conference (group.deleted).
   */
  private async removeRoom(roomId: string, message: string): Promise<void> {
    const { api, log, deleteEmptyGroups } = this.c.o;
    if (deleteEmptyGroups) {
      const deleteId = await api.deleteRoom(roomId, message);
      log.info({ roomId, deleteId }, 'group room deleted and purged');
    } else {
      await api.leave(roomId, undefined, message);
      log.info({ roomId }, 'bot left the group room (deletion is off)');
    }
    await this.forgetGroup(roomId);
  }

  private async forgetGroup(roomId: string): Promise<void> {
    this.c.writer.forget(roomId);
    this.c.live.forget(roomId);
    await this.c.o.store.deleteGroup(roomId);
    this.c.o.gateway.notify({ type: 'group.deleted', roomId });
  }

  // ---- rooms the bot creates (fixed conference rooms) -----------------------------------------

  /**
   * Create a room as the bot and make it a group, as if a member had invited the bot: m.bridge,
   * widget, power levels and org.foyer.conference. `invite` are local users (staff); they get
   * moderator power (50: kick virtual users, which ends that caller's call).
   */
  async createGroupRoom(o: { name: string; topic?: string; invite: string[] }): Promise<string> {
    const { api, ids, log, store } = this.c.o;
    mustBeStaff(ids, o.invite);
    const users = Object.fromEntries(o.invite.map((u) => [u, 50]));
    const roomId = await api.createRoom({
      name: o.name,
      ...(o.topic ? { topic: o.topic } : {}),
      preset: 'private_chat',
      invite: o.invite,
      // Room version 12: the bot (creator) has unlimited power and must not be in `users`.
      power_level_content_override: { users },
    });
    await this.c.serial(roomId, async () => {
      const state = await api.roomState(roomId);
      await store.upsertGroup(roomId, groupName({ name: o.name }));
      await store.replaceMembers(roomId, membersFromState(state));
      await this.ensureBotState(roomId, state);
    });
    log.info({ roomId, invited: o.invite.length }, 'created a group room');
    return roomId;
  }

  /** Invite local staff to a group; already invited or joined users are skipped. */
  async inviteStaff(roomId: string, userIds: string[]): Promise<void> {
    const { api, ids, store } = this.c.o;
    mustBeStaff(ids, userIds);
    const members = new Map((await store.getMembers(roomId)).map((m) => [m.userId, m.membership]));
    for (const u of userIds) {
      const m = members.get(u);
      if (m === 'join' || m === 'invite') continue;
      await api.invite(roomId, u);
    }
  }

  /** Rename a group's room (m.room.name); the group's name follows. */
  renameRoom(roomId: string, name: string): Promise<void> {
    return this.c.serial(roomId, async () => {
      await this.c.o.api.sendState(roomId, 'm.room.name', '', { name });
      await this.c.o.store.setGroupName(roomId, groupName({ name }));
    });
  }

  /** Rewrite org.foyer.conference now (after an admin changed what it shows). */
  refreshConference(roomId: string): Promise<boolean> {
    return this.c.serial(roomId, () => this.c.writer.flush(roomId));
  }

  /**
   * Whether the bot still has this room: known as a group and readable on the homeserver.
   * 'missing' when deleted or the bot was removed; throws when the homeserver cannot be asked.
   */
  async roomHealth(roomId: string): Promise<'ok' | 'missing'> {
    if (!(await this.c.o.store.getGroup(roomId))) return 'missing';
    try {
      await this.c.o.api.roomState(roomId);
      return 'ok';
    } catch (err) {
      if (err instanceof MatrixError && (err.httpStatus === 403 || err.httpStatus === 404)) return 'missing';
      throw err;
    }
  }

  /** Forget a group whose room is gone (the gateway ends its conference there). */
  forgetLostRoom(roomId: string): Promise<void> {
    return this.c.serial(roomId, async () => {
      if (await this.c.o.store.getGroup(roomId)) await this.forgetGroup(roomId);
    });
  }

  /** An administrator deleted the room's record: delete the Matrix room like an empty group's. */
  deleteGroupRoom(roomId: string, message: string): Promise<void> {
    return this.c.serial(roomId, async () => {
      if (!(await this.c.o.store.getGroup(roomId))) return;
      await this.removeRoom(roomId, message);
    });
  }
}
