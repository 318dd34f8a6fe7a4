// Who is who in a group, from the Matrix ID alone.
import { PUPPET_PREFIX } from '@foyer/config';

export type MemberKind = 'bot' | 'guest' | 'phone' | 'staff' | 'federated';

export class Identities {
  readonly botUserId: string;
  readonly serverName: string;

  constructor(botUserId: string, serverName: string) {
    this.botUserId = botUserId;
    this.serverName = serverName;
  }

  serverOf(userId: string): string {
    return userId.slice(userId.indexOf(':') + 1);
  }

  isLocal(userId: string): boolean {
    return this.serverOf(userId) === this.serverName;
  }

  kindOf(userId: string): MemberKind {
    if (userId === this.botUserId) return 'bot';
    if (this.isLocal(userId)) {
      const localpart = userId.slice(1, userId.indexOf(':'));
      if (localpart.startsWith(`${PUPPET_PREFIX}guest_`)) return 'guest';
      if (localpart.startsWith(`${PUPPET_PREFIX}phone_`)) return 'phone';
      return 'staff';
    }
    return 'federated';
  }

  /** People, as opposed to the bot and virtual users. */
  isHuman(userId: string): boolean {
    const k = this.kindOf(userId);
    return k === 'staff' || k === 'federated';
  }

  isVirtual(userId: string): boolean {
    const k = this.kindOf(userId);
    return k === 'guest' || k === 'phone';
  }

  virtualUserId(kind: 'guest' | 'phone', participantId: string): string {
    return `@${PUPPET_PREFIX}${kind}_${participantId}:${this.serverName}`;
  }

  /** The participant ID behind a virtual user, or undefined. */
  participantOf(userId: string): string | undefined {
    const m = new RegExp(`^@${PUPPET_PREFIX}(?:guest|phone)_([a-z0-9]+):`).exec(userId);
    return m?.[1];
  }
}
