// All conferences of this gateway, created on demand and dropped when empty, and the reaction
// to what the bridge tells us (a member kicked a caller, guest access was revoked, …).
import type { GatewayNotification, Logger } from '@foyer/common';
import { Conference, type ConferenceDeps } from './conference.ts';

export class ConferenceManager {
  private readonly conferences = new Map<string, Conference>();
  private readonly deps: ConferenceDeps;
  private readonly log: Logger;

  constructor(deps: ConferenceDeps) {
    this.deps = deps;
    this.log = deps.log;
    deps.janus.on('down', () => {
      for (const c of this.conferences.values()) void c.janusLost();
    });
    deps.janus.on('up', () => {
      for (const c of this.conferences.values()) void c.janusBack();
    });
  }

  get(roomId: string): Conference {
    let c = this.conferences.get(roomId);
    if (!c) {
      c = new Conference(roomId, this.deps);
      this.conferences.set(roomId, c);
    }
    return c;
  }

  find(roomId: string): Conference | undefined {
    return this.conferences.get(roomId);
  }

  /** Forget conferences nobody is in (their Janus room stays for the next start). */
  sweep(roomId: string): void {
    const c = this.conferences.get(roomId);
    if (c?.empty) this.conferences.delete(roomId);
  }

  all(): Conference[] {
    return [...this.conferences.values()];
  }

  async onBridgeNotification(n: GatewayNotification): Promise<void> {
    const c = this.conferences.get(n.roomId);
    switch (n.type) {
      case 'participant.removed':
        if (c?.phones.has(n.participantId)) {
          this.log.info(
            { roomId: n.roomId, participant: n.participantId, by: n.by },
            'removed by a member: hanging up',
          );
          await c.removePhone(n.participantId, 'removed by a member');
        }
        break;
      case 'group.revoked':
      case 'group.deleted':
        if (c) await c.end(n.type === 'group.revoked' ? 'guest access revoked' : 'group deleted');
        break;
      default:
        break; // chat and moderator lists concern web participants (their sessions handle them)
    }
    this.sweep(n.roomId);
  }

  async shutdown(): Promise<void> {
    for (const c of this.conferences.values()) {
      await c.end('gateway stopping');
      await c.flushReport().catch(() => undefined);
    }
  }
}
