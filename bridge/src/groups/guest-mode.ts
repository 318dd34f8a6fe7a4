// Guest mode carried out: a member's org.foyer.guest_access request is decided by the rules
// (guest-access-rules.ts); this draws the PINs and link, revokes them, cuts off whoever came in
// with old ones, rewrites org.foyer.conference and tells the room.
import type { Group } from '../store/store.ts';
import { GroupPart } from './context.ts';
import { hashToken, newLinkToken, newPin } from './guest-access.ts';
import { decideGuestAccess, type GuestAccessChange } from './guest-access-rules.ts';
import { notices } from './notices.ts';
import { VirtualUsers } from './virtual-users.ts';

export class GuestMode extends GroupPart {
  /** Virtual users hold no state of their own: each module may have its helper. */
  private readonly puppets = new VirtualUsers(this.c);

  async request(group: Group, sender: string, content: Record<string, unknown>): Promise<void> {
    const { api, ids, log, store } = this.c.o;
    const roomId = group.roomId;
    const membership = (await store.getMembers(roomId)).find((m) => m.userId === sender)?.membership;
    const decision = decideGuestAccess(group, content, { kind: ids.kindOf(sender), membership });
    switch (decision.kind) {
      case 'ignore':
        return;
      case 'refuse':
        if (decision.reason === 'federated') {
          log.info({ roomId, sender }, 'guest-access request from another server refused');
          await api.sendNotice(roomId, notices.guestAccessFederated(sender, ids.serverName));
        } else if (decision.reason === 'not_member') {
          log.info({ roomId, sender }, 'guest-access request from a non-member refused');
          await api.sendNotice(roomId, notices.guestAccessNotMember(sender));
        } else {
          log.info({ roomId, sender, problem: decision.problem }, 'guest-access request of the wrong shape refused');
          await api.sendNotice(roomId, notices.guestAccessInvalid(decision.problem));
        }
        return;
      case 'apply':
        if (decision.unknownKeys.length)
          log.info({ roomId, extra: decision.unknownKeys }, 'unknown fields in a guest-access request ignored');
        return this.apply(roomId, sender, decision.change);
    }
  }

  private async apply(roomId: string, by: string, change: GuestAccessChange): Promise<void> {
    const { api, log, store } = this.c.o;
    const { writer } = this.c;
    switch (change.kind) {
      case 'enable':
        await this.issueCredentials(roomId, change.moderatorPin);
        if (change.rotate) await this.puppets.disconnectAll(roomId);
        log.info({ roomId, by, rotated: change.rotate, moderatorPin: change.moderatorPin }, 'guest access on');
        await writer.flush(roomId);
        await api.sendNotice(roomId, change.rotate ? notices.guestAccessRotated() : notices.guestAccessOn());
        if (change.moderatorPinAdded) await api.sendNotice(roomId, notices.moderatorPinOn());
        return;
      case 'disable':
        await store.clearGuestCredentials(roomId);
        await this.puppets.disconnectAll(roomId);
        log.info({ roomId, by }, 'guest access off; PIN and link revoked');
        await writer.flush(roomId);
        await api.sendNotice(roomId, notices.guestAccessOff());
        return;
      case 'moderator_pin':
        // Callers already in keep their role; the PIN stops (or starts) working for new calls.
        if (change.on) await this.retryUntilFree(() => store.setModeratorPin(roomId, newPin(this.c.o.pinDigits)));
        else await store.setModeratorPin(roomId, null);
        log.info({ roomId, by }, change.on ? 'moderator PIN on' : 'moderator PIN off');
        await writer.flush(roomId);
        await api.sendNotice(roomId, change.on ? notices.moderatorPinOn() : notices.moderatorPinOff());
        return;
      case 'none':
        await writer.flush(roomId);
        return;
    }
  }

  private async issueCredentials(roomId: string, withModeratorPin: boolean): Promise<void> {
    const { pinDigits, store } = this.c.o;
    await this.retryUntilFree(() => {
      const linkToken = newLinkToken();
      return store.setGuestCredentials(roomId, {
        pin: newPin(pinDigits),
        linkToken,
        linkTokenHash: hashToken(linkToken),
        moderatorPin: withModeratorPin ? newPin(pinDigits) : null,
      });
    });
  }

  /** Random PINs collide rarely; a few draws settle it, or the PIN length is too short. */
  private async retryUntilFree(attempt: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 8; i++) if (await attempt()) return;
    throw new Error('could not find an unused PIN; raise bridge.pinDigits');
  }
}
