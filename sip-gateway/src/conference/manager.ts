// All conferences of this gateway, created on demand and dropped when empty, and the reaction
// to what the bridge tells us (a member kicked a caller, guest access was revoked, …).
import type { GatewayNotification, Logger } from '@foyer/common';
import { Conference, policyFrom, type ConferenceDeps } from './conference.ts';
import { ConferenceReporter } from './reporter.ts';

export class ConferenceManager {
  private readonly conferences = new Map<string, Conference>();
  /** One per room ever hosted: a room's reports keep one sequence across its conferences. */
  private readonly reporters = new Map<string, ConferenceReporter>();
  private readonly deps: ConferenceDeps;
  private readonly log: Logger;

  constructor(deps: ConferenceDeps) {
    this.deps = deps;
    this.log = deps.log;
    // When LiveKit goes both fire: callers and browsers wait for its return.
    deps.mix.on('down', () => {
      for (const c of this.conferences.values()) void c.callerMixLost();
    });
    deps.mix.on('up', () => {
      for (const c of this.conferences.values()) void c.callerMixBack();
    });
    // One caller's trouble in the mix: the conference they are in acts on it.
    deps.mix.on('legFailed', (id) => void this.withPhone(id, (c) => c.rejoinMix(id)));
    deps.mix.on('legInterrupted', (id) => void this.withPhone(id, (c) => c.legInterrupted(id)));
    deps.mix.on('legRestored', (id) => void this.withPhone(id, (c) => c.legRestored(id)));
    deps.mix.on('mutedByMediaPlane', (id, muted) => void this.withPhone(id, (c) => c.mutedByMediaPlane(id, muted)));
    deps.browsers.on('down', () => {
      for (const c of this.conferences.values()) void c.browserMediaLost();
    });
    deps.browsers.on('up', () => {
      for (const c of this.conferences.values()) void c.browserMediaBack();
    });
  }

  get(roomId: string): Conference {
    let c = this.conferences.get(roomId);
    if (!c) {
      let reporter = this.reporters.get(roomId);
      if (!reporter) {
        reporter = new ConferenceReporter({
          roomId,
          sink: this.deps.bridge,
          snapshot: () => ({ status: 'idle', participants: [] }),
          log: this.log,
          ...(this.deps.reportDelayMs === undefined ? {} : { delayMs: this.deps.reportDelayMs }),
        });
        this.reporters.set(roomId, reporter);
      }
      c = new Conference(roomId, this.deps, reporter);
      this.conferences.set(roomId, c);
    }
    return c;
  }

  /** Act on the conference that has this caller (there is at most one). */
  private async withPhone(id: string, act: (c: Conference) => Promise<unknown>): Promise<void> {
    const c = [...this.conferences.values()].find((x) => x.phones.has(id));
    if (c)
      await act(c).catch((err: unknown) =>
        this.log.error({ participant: id, err: (err as Error).message }, 'mix event failed'),
      );
  }

  find(roomId: string): Conference | undefined {
    return this.conferences.get(roomId);
  }

  /**
   * Forget conferences nobody is in and no page watches; a page on the start screen keeps its
   * conference, so its join lands in the live one.
   */
  sweep(roomId: string): void {
    const c = this.conferences.get(roomId);
    if (c?.empty && c.listenerCount('changed') === 0) this.conferences.delete(roomId);
  }

  all(): Conference[] {
    return [...this.conferences.values()];
  }

  /** Web guests connected to any conference of this gateway (the licence counts them all). */
  guestCount(): number {
    let n = 0;
    for (const c of this.conferences.values()) n += c.guestCount;
    return n;
  }

  async onBridgeNotification(n: GatewayNotification): Promise<void> {
    const c = this.conferences.get(n.roomId);
    switch (n.type) {
      case 'participant.removed':
        if (c?.phones.has(n.participantId) || c?.webs.has(n.participantId)) {
          this.log.info({ roomId: n.roomId, participant: n.participantId, by: n.by }, 'removed by a member');
          await c.removePhone(n.participantId, 'removed by a member');
          await c.removeWeb(n.participantId, 'removed');
        }
        break;
      case 'group.revoked':
        await c?.endGuests('guest access revoked');
        break;
      case 'group.deleted':
        await c?.end('group deleted', 'deleted');
        break;
      case 'chat.message':
        c?.deliverChat(n.message);
        break;
      case 'chat.redaction':
        for (const w of c?.webs.values() ?? []) w.send({ type: 'chat.redacted', id: n.redacts });
        break;
      case 'room.deleted':
        await c?.end('conference room deleted', 'deleted');
        break;
      case 'room.updated':
        // A fixed room's settings changed: its running conference behaves by them at once.
        if (c) c.policy = policyFrom(n.policy, this.deps.prompts, this.log);
        break;
      case 'group.moderators':
        // Our server's moderators are its joined members: one who left the group leaves its conference.
        for (const w of [...(c?.webs.values() ?? [])])
          if (w.kind === 'staff' && w.userId && !n.moderators.includes(w.userId)) {
            this.log.info({ roomId: n.roomId, participant: w.id }, 'left the group: removed from its conference');
            await c?.removeWeb(w.id, 'removed');
          }
        break;
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
