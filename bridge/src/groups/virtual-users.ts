// Virtual users (puppets) stand for the guests and callers of a group's conference in its room:
// they are registered in our namespace, named, invited and joined when a participant appears,
// and leave when the participant does. A member who kicks one ends that participant's session.
import type { ConferenceReport } from '@foyer/common';
import { MatrixError } from '../matrix/api.ts';
import type { Participant, ParticipantKind } from '../store/store.ts';
import { GroupPart } from './context.ts';
import { guestDisplayName, phoneDisplayName } from './puppets.ts';

type Reported = ConferenceReport['participants'][number];

export class VirtualUsers extends GroupPart {
  /** The name a reported participant's virtual user shows (callers' numbers masked if so set). */
  displayName(r: Reported): string {
    return r.kind === 'guest' ? guestDisplayName(r.name) : phoneDisplayName(r.number, this.c.o.maskCallerNumbers);
  }

  /** A new participant's virtual user joins the room; a failure is logged, the conference goes on. */
  async add(roomId: string, kind: ParticipantKind, participantId: string, displayName: string): Promise<void> {
    const { api, ids, log } = this.c.o;
    const userId = ids.virtualUserId(kind, participantId);
    try {
      await api.registerVirtualUser(ids.localpartOf(userId));
      await api.setDisplayName(userId, displayName);
      await this.join(roomId, userId);
    } catch (err) {
      // The conference goes on without the room showing this participant; say why.
      log.error({ err: (err as Error).message, roomId, userId }, 'could not join the virtual user to the room');
    }
  }

  /** Invite (the room is private) and join as the virtual user. */
  async join(roomId: string, userId: string): Promise<void> {
    try {
      await this.c.o.api.invite(roomId, userId);
    } catch (err) {
      // Already invited or joined is fine; anything else shows up at the join.
      if (!(err instanceof MatrixError && err.httpStatus === 403)) throw err;
    }
    await this.c.o.api.join(roomId, userId);
  }

  async remove(roomId: string, p: Participant): Promise<void> {
    const userId = this.c.o.ids.virtualUserId(p.kind, p.participantId);
    await this.c.o.api.leave(roomId, userId).catch((err: unknown) => {
      this.c.o.log.warn({ err: (err as Error).message, roomId, userId }, 'virtual user could not leave');
    });
  }

  /** Old PIN and link are gone: whoever came in with them leaves now. */
  async disconnectAll(roomId: string): Promise<void> {
    const { gateway, store } = this.c.o;
    gateway.notify({ type: 'group.revoked', roomId });
    for (const p of await store.getParticipants(roomId)) {
      await this.remove(roomId, p);
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
   * Bring the room's virtual users in line with a report: new participants join, known ones
   * are updated, the ones no longer reported leave. A participant a member kicked stays out
   * (the gateway is ending that session).
   */
  async follow(roomId: string, reported: Reported[]): Promise<void> {
    const { store } = this.c.o;
    const known = new Map((await store.getParticipants(roomId)).map((p) => [p.participantId, p]));
    for (const r of reported) {
      const before = known.get(r.id);
      known.delete(r.id);
      if (before?.removed) continue;
      const displayName = this.displayName(r);
      await store.upsertParticipant(roomId, { participantId: r.id, kind: r.kind, displayName, waiting: r.waiting });
      if (!before) await this.add(roomId, r.kind, r.id, displayName);
    }
    for (const gone of known.values()) {
      if (!gone.removed) await this.remove(roomId, gone);
      await store.deleteParticipant(roomId, gone.participantId);
    }
  }
}
