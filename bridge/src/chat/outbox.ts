// Guest messages into the room, as the guest's virtual user. Each message is stored first
// (outbox table) and then sent in order; while Synapse is unreachable they wait and go out when
// it returns, also after a bridge restart. The Matrix transaction ID is derived from the outbox
// row, so a send repeated after a crash is recognised by Synapse.
import type { Logger } from '@foyer/common';
import { MatrixError, type MatrixApi } from '../matrix/api.ts';
import type { BridgeStore, OutboxMessage } from '../store/store.ts';

const MAX_PERMANENT_FAILURES = 5;

export class Outbox {
  private readonly store: BridgeStore;
  private readonly api: MatrixApi;
  private readonly log: Logger;
  /** Makes the virtual user a member again when a send is refused for not being in the room. */
  private readonly rejoin: (roomId: string, userId: string) => Promise<void>;
  private running: Promise<void> | undefined;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs = 500;
  private stopped = false;

  constructor(o: {
    store: BridgeStore;
    api: MatrixApi;
    log: Logger;
    rejoin: (roomId: string, userId: string) => Promise<void>;
  }) {
    this.store = o.store;
    this.api = o.api;
    this.log = o.log;
    this.rejoin = o.rejoin;
  }

  async submit(m: Omit<OutboxMessage, 'id' | 'status' | 'attempts' | 'eventId'>): Promise<OutboxMessage> {
    const stored = await this.store.enqueueMessage(m);
    this.kick();
    return stored;
  }

  /** Start sending pending messages (a no-op when a run is already going). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err: unknown) => this.log.error({ err }, 'outbox run failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves when the current run is over (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  private async drain(): Promise<void> {
    for (;;) {
      const batch = await this.store.pendingMessages(50);
      if (batch.length === 0) return;
      for (const m of batch) {
        if (this.stopped) return;
        const outcome = await this.sendOne(m);
        if (outcome === 'unreachable') {
          clearTimeout(this.retryTimer);
          this.retryTimer = setTimeout(() => this.kick(), this.backoffMs);
          this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
          return;
        }
      }
      this.backoffMs = 500;
    }
  }

  private async sendOne(m: OutboxMessage): Promise<'sent' | 'retry' | 'unreachable'> {
    try {
      const eventId = await this.api.send(m.roomId, 'm.room.message', `foyer-outbox-${m.id}`, m.content, m.sender);
      await this.store.markMessageSent(m.id, eventId);
      return 'sent';
    } catch (err) {
      if (
        !(err instanceof MatrixError) ||
        err.httpStatus === undefined ||
        err.httpStatus >= 500 ||
        err.httpStatus === 429
      ) {
        this.log.warn(
          { id: m.id, err: (err as Error).message },
          'homeserver unreachable; guest message kept for later',
        );
        return 'unreachable';
      }
      // The homeserver refused this message: try to repair (rejoin), a few times, then give up
      // on it loudly but keep it in the outbox for an operator.
      const failed = m.attempts + 1 >= MAX_PERMANENT_FAILURES;
      await this.store.markMessageAttempt(m.id, `${err.errcode ?? err.httpStatus}: ${err.message}`, failed);
      if (failed)
        this.log.error(
          { id: m.id, roomId: m.roomId, errcode: err.errcode },
          'guest message refused by the homeserver; marked failed',
        );
      else if (err.errcode === 'M_FORBIDDEN') await this.rejoin(m.roomId, m.sender).catch(() => undefined);
      return 'retry';
    }
  }
}
