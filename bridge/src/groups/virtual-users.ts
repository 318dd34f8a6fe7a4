// Virtual users (puppets) stand for the guests and callers of a group's conference in its room:
// they are registered in our namespace, invited and joined (named in their member event) when a
// participant appears, and leave when the participant does — carried out by presence.ts, off the
// room's queue. A member who kicks one ends that participant's session. Only what changed is
// written to the store.
import type { ConferenceChanges, ReportedParticipant } from '@foyer/common';
import { PHONE_DEVICE_ID, webDeviceId } from '@foyer/common/livekit';
import type { Participant, ParticipantKind } from '../store/store.ts';
import { GroupPart } from './context.ts';
import { guestDisplayName, phoneDisplayName } from './puppets.ts';

type Reported = ReportedParticipant;

export class VirtualUsers extends GroupPart {
  /** The name a reported participant's virtual user shows (callers' numbers masked if so set). */
  displayName(r: Reported): string {
    return r.kind === 'guest' ? guestDisplayName(r.name) : phoneDisplayName(r.number, this.c.o.maskCallerNumbers);
  }

  /**
   * A participant's virtual user joins the room (soon; a failure is logged, the conference goes
   * on), and is a member of the room's call while the participant is in the conference, under the
   * device of its LiveKit identity (the gateway's), so Element Call matches the two.
   */
  present(
    roomId: string,
    kind: ParticipantKind,
    participantId: string,
    displayName: string,
    inCall: boolean,
    adopt = false,
  ): void {
    const device = kind === 'phone' ? PHONE_DEVICE_ID : webDeviceId(participantId);
    this.presented.add(participantId);
    const userId = this.c.o.ids.virtualUserId(kind, participantId);
    this.c.presence.join(roomId, userId, displayName, inCall ? device : undefined, adopt);
  }

  /** Participants this process has put into their room (the others were there before a restart). */
  private readonly presented = new Set<string>();

  /** Invite and join as the virtual user now, under its participant's name (the outbox's repair). */
  async join(roomId: string, userId: string): Promise<void> {
    const participantId = this.c.o.ids.participantOf(userId);
    const p = (await this.c.o.store.getParticipants(roomId)).find((x) => x.participantId === participantId);
    await this.c.presence.joinRoom(roomId, userId, p?.displayName);
  }

  remove(roomId: string, p: Participant): void {
    this.c.presence.leave(roomId, this.c.o.ids.virtualUserId(p.kind, p.participantId));
  }

  /** Old PIN and link are gone: whoever came in with them leaves now. */
  async disconnectAll(roomId: string): Promise<void> {
    const { gateway, store } = this.c.o;
    gateway.notify({ type: 'group.revoked', roomId });
    for (const p of await store.getParticipants(roomId)) {
      this.presented.delete(p.participantId);
      this.remove(roomId, p);
      await store.deleteParticipant(roomId, p.participantId);
    }
  }

  /** A member kicked a guest or caller: that ends their session in the conference. */
  async kicked(roomId: string, participantId: string, by: string): Promise<void> {
    const { gateway, log, store } = this.c.o;
    log.info({ roomId, participantId, by }, 'virtual user removed by a member');
    await store.markParticipantRemoved(roomId, participantId);
    gateway.notify({ type: 'participant.removed', roomId, participantId, by });
    this.c.writer.schedule(roomId);
  }

  /** The participant's virtual user, if the participant is in this group's conference now. */
  async senderFor(roomId: string, participantId: string): Promise<string | undefined> {
    const p = (await this.c.o.store.getParticipants(roomId)).find(
      (x) => x.participantId === participantId && !x.removed,
    );
    return p && this.c.o.ids.virtualUserId(p.kind, p.participantId);
  }

  /**
   * Bring the room's virtual users in line with a whole report: new participants join, changed
   * ones are updated, the ones no longer reported leave. A participant a member kicked stays out
   * (the gateway is ending that session). Returns whether anything changed.
   */
  async follow(roomId: string, reported: Reported[]): Promise<boolean> {
    const known = new Map((await this.c.o.store.getParticipants(roomId)).map((p) => [p.participantId, p]));
    const calls = await this.callsBridged(roomId);
    let changed = false;
    for (const r of reported) {
      const before = known.get(r.id);
      changed = (await this.upsert(roomId, before, r, calls)) || changed;
      // Known from before this process started (a bridge restart): its virtual user and call
      // membership are taken over, not left to an earlier process's delayed leave.
      if (before && !before.removed && !this.presented.has(r.id))
        this.present(roomId, r.kind, r.id, this.displayName(r), calls && !r.waiting, true);
      known.delete(r.id);
    }
    for (const gone of known.values()) {
      await this.gone(roomId, gone);
      changed = true;
    }
    return changed;
  }

  /** Apply a report's changes (idempotent: a participant already as reported is left alone). */
  async applyChanges(roomId: string, c: Pick<ConferenceChanges, 'joined' | 'changed' | 'left'>): Promise<boolean> {
    const known = new Map((await this.c.o.store.getParticipants(roomId)).map((p) => [p.participantId, p]));
    const calls = await this.callsBridged(roomId);
    let changed = false;
    for (const r of [...c.joined, ...c.changed])
      changed = (await this.upsert(roomId, known.get(r.id), r, calls)) || changed;
    for (const id of c.left) {
      const gone = known.get(id);
      if (!gone) continue;
      await this.gone(roomId, gone);
      changed = true;
    }
    return changed;
  }

  /** Whether the room's call and the conference are one (not in an encrypted room). */
  private async callsBridged(roomId: string): Promise<boolean> {
    return !(await this.c.o.store.getGroup(roomId))?.encrypted;
  }

  /** The room turned encrypted: every virtual user leaves its call (they stay in the room). */
  async outOfCalls(roomId: string): Promise<void> {
    for (const p of await this.c.o.store.getParticipants(roomId))
      if (!p.removed) this.present(roomId, p.kind, p.participantId, p.displayName, false);
  }

  /** Store a reported participant if new or changed; a new one's virtual user joins. */
  private async upsert(
    roomId: string,
    before: Participant | undefined,
    r: Reported,
    callsBridged: boolean,
  ): Promise<boolean> {
    if (before?.removed) return false;
    const displayName = this.displayName(r);
    if (before && before.kind === r.kind && before.displayName === displayName && before.waiting === r.waiting)
      return false;
    await this.c.o.store.upsertParticipant(roomId, {
      participantId: r.id,
      kind: r.kind,
      displayName,
      waiting: r.waiting,
    });
    if (!before || before.waiting !== r.waiting)
      this.present(roomId, r.kind, r.id, displayName, callsBridged && !r.waiting);
    return true;
  }

  private async gone(roomId: string, p: Participant): Promise<void> {
    this.presented.delete(p.participantId);
    if (!p.removed) this.remove(roomId, p);
    await this.c.o.store.deleteParticipant(roomId, p.participantId);
  }
}
