// What the gateway asks of a group and tells about it (the internal API, internal-api.ts):
// lookups by PIN and link, the group's details, conference reports (mirrored into the store,
// the room's virtual users and org.foyer.conference), resets and re-syncs after losing the
// gateway, and the room's chat relayed to web guests.
//
// Conference reports come whole (the first, and after a gap) or as changes since the last one
// applied (their `since` must be that report's `seq`, else ResyncNeededError: the gateway sends
// the whole conference). Only what changed is written. A report whose sender has given up
// waiting (its deadline passed) before the room's queue reached it is not applied: the gateway's
// next changes start from what the bridge last confirmed, so nothing is lost.
import type {
  ChatMessage,
  ConferenceChanges,
  ConferenceReport,
  ConferenceSnapshot,
  GroupInfo,
  GroupPinAccess,
} from '@foyer/common';
import { toChatMessage } from '../chat/relay.ts';
import type { RoomEvent } from '../appservice/events.ts';
import type { Group } from '../store/store.ts';
import { GroupPart } from './context.ts';
import { hashToken, PIN_PATTERN, TOKEN_PATTERN } from './guest-access.ts';
import { linkMatches, pinRole } from './guest-access-rules.ts';
import { VirtualUsers } from './virtual-users.ts';

export class UnknownGroupError extends Error {
  override name = 'UnknownGroupError';
}

/** Changes that do not follow the last report applied: the whole conference is needed. */
export class ResyncNeededError extends Error {
  override name = 'ResyncNeededError';
}

/** The sender gave up waiting before the work began: nothing was done. */
export class ExpiredError extends Error {
  override name = 'ExpiredError';
}

const IDLE: ConferenceReport = { status: 'idle', participants: [] };

export class GatewayRequests extends GroupPart {
  /** Virtual users hold no state of their own: each module may have its helper. */
  private readonly puppets = new VirtualUsers(this.c);

  // ---- lookups ---------------------------------------------------------------------------------

  async groupInfo(roomId: string): Promise<GroupInfo | undefined> {
    const group = await this.c.o.store.getGroup(roomId);
    return group && this.info(group);
  }

  private async info(group: Group): Promise<GroupInfo> {
    const { ids, store, dialInNumber } = this.c.o;
    const members = (await store.getMembers(group.roomId))
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
      extension: (await store.getFixedRoomByRoomId(group.roomId))?.extension ?? null,
      dialIn: group.guestAccess && group.pin ? { number: dialInNumber, pin: group.pin } : null,
      moderatorPin: group.guestAccess ? group.moderatorPin : null,
      moderators: members.filter((m) => m.kind === 'staff').map((m) => m.userId),
      members,
      encrypted: group.encrypted,
    };
  }

  /** Local joined members: the group's moderators. */
  async moderators(roomId: string): Promise<string[]> {
    const { ids, store } = this.c.o;
    return (await store.getMembers(roomId))
      .filter((m) => m.membership === 'join' && ids.kindOf(m.userId) === 'staff')
      .map((m) => m.userId);
  }

  /** The group whose guest PIN (a participant) or moderator PIN (a moderator) this is. */
  async lookupPin(pin: string): Promise<GroupPinAccess | undefined> {
    if (!PIN_PATTERN.test(pin)) return undefined;
    const group = await this.c.o.store.findGroupByPin(pin);
    const role = group && pinRole(group, pin);
    return group && role && { ...(await this.info(group)), role };
  }

  async lookupToken(token: string): Promise<GroupInfo | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const group = await this.c.o.store.findGroupByLinkHash(hashToken(token));
    return group && linkMatches(group, token) ? this.info(group) : undefined;
  }

  // ---- conference reports ----------------------------------------------------------------------

  /** The gateway's whole report of a conference: status, and who is in it or waiting. */
  reportConference(roomId: string, report: ConferenceReport, deadline?: number): Promise<void> {
    this.c.live.reportedAt.set(roomId, Date.now());
    return this.applyReport(roomId, report, undefined, deadline);
  }

  /** What changed since the report the gateway last had confirmed. */
  reportChanges(roomId: string, changes: ConferenceChanges, deadline?: number): Promise<void> {
    const { live, serial } = this.c;
    live.reportedAt.set(roomId, Date.now());
    return serial(roomId, async () => {
      if (deadline !== undefined && Date.now() > deadline) throw new ExpiredError(roomId);
      const group = await this.c.o.store.getGroup(roomId);
      if (!group) throw new UnknownGroupError(roomId);
      if (live.seq.get(roomId) !== changes.since) throw new ResyncNeededError(roomId);
      const status = await this.setStatus(group, changes.status, changes.media);
      const people = await this.puppets.applyChanges(roomId, changes);
      live.seq.set(roomId, changes.seq);
      if (status || people || !this.c.writer.knows(roomId)) this.c.writer.schedule(roomId);
    });
  }

  /** Status and media as reported; true when either changed. */
  private async setStatus(group: Group, status: ConferenceReport['status'], media: ConferenceReport['media']) {
    const { live } = this.c;
    const wasUnavailable = live.mediaUnavailable.has(group.roomId);
    if (media === 'unavailable') live.mediaUnavailable.add(group.roomId);
    else live.mediaUnavailable.delete(group.roomId);
    if (group.conferenceStatus !== status) await this.c.o.store.setConferenceStatus(group.roomId, status);
    return group.conferenceStatus !== status || wasUnavailable !== (media === 'unavailable');
  }

  /**
   * Mirror a report into the store and the room. With `unlessReportedSince`, a room the gateway
   * reported on itself after that moment is left as it is: that report is newer than ours.
   */
  private applyReport(
    roomId: string,
    report: ConferenceReport,
    unlessReportedSince?: number,
    deadline?: number,
  ): Promise<void> {
    const { live, serial, writer } = this.c;
    return serial(roomId, async () => {
      if (deadline !== undefined && Date.now() > deadline) throw new ExpiredError(roomId);
      if (unlessReportedSince !== undefined && (live.reportedAt.get(roomId) ?? -Infinity) >= unlessReportedSince)
        return;
      const group = await this.c.o.store.getGroup(roomId);
      if (!group) throw new UnknownGroupError(roomId);
      const status = await this.setStatus(group, report.status, report.media);
      const people = await this.puppets.follow(roomId, report.participants);
      // Without a number (a reset, a re-sync snapshot) changes cannot follow: the next ones get a 409.
      if (report.seq === undefined) live.seq.delete(roomId);
      else live.seq.set(roomId, report.seq);
      // (After a restart the room's content is written once even if nothing changed: a write
      // may have been pending when the bridge stopped.)
      if (status || people || !writer.knows(roomId)) writer.schedule(roomId);
    });
  }

  /**
   * The gateway restarted (it says so) or stopped answering (the bridge's health check): every
   * conference is over; virtual users leave, status idle. With `unlessReportedSince`, rooms the
   * gateway reported on after that moment stay (it is back and hosts them).
   */
  async resetConferences(o: { unlessReportedSince?: number } = {}): Promise<number> {
    const rooms = await this.c.o.store.roomsWithConference();
    for (const roomId of rooms) {
      if (o.unlessReportedSince === undefined) await this.reportConference(roomId, IDLE);
      else
        await this.applyReport(roomId, IDLE, o.unlessReportedSince).catch((err: unknown) => this.failed(roomId, err));
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
    const stale = (await this.c.o.store.roomsWithConference()).filter((roomId) => !listed.has(roomId));
    for (const [roomId, report] of listed)
      await this.applyReport(roomId, report, since).catch((err: unknown) => this.failed(roomId, err));
    for (const roomId of stale)
      await this.applyReport(roomId, IDLE, since).catch((err: unknown) => this.failed(roomId, err));
  }

  private failed(roomId: string, err: unknown): void {
    if (err instanceof UnknownGroupError) return; // not (or no longer) a group
    this.c.o.log.warn({ err: (err as Error).message, roomId }, 'could not update the room’s conference');
  }

  // ---- chat for web guests ---------------------------------------------------------------------

  /** A room message, as web guests see it (only when some are in the conference). */
  async relayMessage(group: Group, event: RoomEvent): Promise<void> {
    const { gateway, ids, store } = this.c.o;
    if (!(await this.hasWebGuests(group.roomId))) return;
    const member = (await store.getMembers(group.roomId)).find((m) => m.userId === event.sender);
    const name = member?.displayName ?? ids.localpartOf(event.sender);
    const message: ChatMessage | undefined = toChatMessage(event, name, ids.kindOf(event.sender));
    if (message) gateway.notify({ type: 'chat.message', roomId: group.roomId, message });
  }

  async relayRedaction(group: Group, redacts: string): Promise<void> {
    if (await this.hasWebGuests(group.roomId))
      this.c.o.gateway.notify({ type: 'chat.redaction', roomId: group.roomId, redacts });
  }

  private async hasWebGuests(roomId: string): Promise<boolean> {
    return (await this.c.o.store.getParticipants(roomId)).some((p) => p.kind === 'guest' && !p.removed);
  }
}
