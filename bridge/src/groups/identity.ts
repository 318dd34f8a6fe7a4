// Who is who in a group, from the Matrix ID alone: the rules of @foyer/common's matrix-ids,
// bound to this deployment's bot and server name.
import {
  isLocalUser,
  localpartOf,
  makePuppetUserId,
  memberKindOf,
  parsePuppetUserId,
  serverOf,
  type MemberKind,
  type PuppetKind,
} from '@foyer/common';

export type { MemberKind };

export class Identities {
  readonly botUserId: string;
  readonly serverName: string;

  constructor(botUserId: string, serverName: string) {
    this.botUserId = botUserId;
    this.serverName = serverName;
  }

  serverOf(userId: string): string {
    return serverOf(userId);
  }

  localpartOf(userId: string): string {
    return localpartOf(userId);
  }

  isLocal(userId: string): boolean {
    return isLocalUser(userId, this.serverName);
  }

  kindOf(userId: string): MemberKind {
    return memberKindOf(userId, this);
  }

  /** People, as opposed to the bot and virtual users. */
  isHuman(userId: string): boolean {
    const k = this.kindOf(userId);
    return k === 'staff' || k === 'federated';
  }

  virtualUserId(kind: PuppetKind, participantId: string): string {
    return makePuppetUserId(kind, participantId, this.serverName);
  }

  /** The participant ID behind one of our virtual users, or undefined. */
  participantOf(userId: string): string | undefined {
    return parsePuppetUserId(userId, this.serverName)?.id;
  }
}
