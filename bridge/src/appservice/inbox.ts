// The appservice inbox: what Synapse pushed and the bridge has recorded (store.recordTransaction)
// but not yet processed. Synapse is answered as soon as a transaction is recorded; from here each
// room's events are processed one after another in the order they arrived, and rooms never wait
// for each other (a burst in one group leaves the others' chat and set-up as fast as ever).
//
// Bounded: a room keeps at most `roomCapacity` events in memory. When more arrive while it is
// busy, the room "spills": the rest stay in the database only (nothing is dropped — chat must be
// kept) and are read back, oldest first, once the room has worked through what it holds. The
// spill is logged once per episode with the room's backlog. After a restart every room with
// recorded events resumes from the database the same way.
import type { Logger } from '@foyer/common';
import type { InboxEntry, InboxStore } from '../store/store.ts';
import type { RoomEvent } from './events.ts';

export interface InboxOptions {
  store: Pick<InboxStore, 'inboxEntries' | 'inboxRooms' | 'removeInboxEntries'>;
  /** Handles one event; a failure is logged and counted, the room goes on with the next. */
  handle(event: RoomEvent): Promise<void>;
  log: Logger;
  /** Events of one room held in memory (default 200); the rest wait in the database. */
  roomCapacity?: number;
  /** Processed events are deleted in batches of this size (or when the room is idle). */
  removeBatch?: number;
  /** Called once per handled event: 'ok' or 'failed'. */
  onProcessed?(outcome: 'ok' | 'failed', event: RoomEvent): void;
  /** A room began to spill (its further events wait in the database). */
  onSpill?(roomId: string): void;
}

interface RoomState {
  /** Events to process next, in ID order. */
  queue: InboxEntry[];
  /** Events of this room are in the database but not in `queue`. */
  spilled: boolean;
  /** Bumped at each spill, so a read-back that raced with a new spill knows to read again. */
  spillGen: number;
  /** The last event processed (or skipped as processed). */
  lastId: number;
  /** Processed, not yet deleted. */
  done: number[];
  running: boolean;
}

/** Merge two ID-ordered lists, dropping repeated IDs and those at or before `afterId`. */
export function mergeEntries(a: InboxEntry[], b: InboxEntry[], afterId: number): InboxEntry[] {
  const byId = new Map<number, InboxEntry>();
  for (const e of [...a, ...b]) if (e.id > afterId) byId.set(e.id, e);
  return [...byId.values()].sort((x, y) => x.id - y.id);
}

export class Inbox {
  private readonly o: InboxOptions;
  private readonly rooms = new Map<string, RoomState>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly capacity: number;
  private readonly removeBatch: number;
  private stopped = false;

  constructor(o: InboxOptions) {
    this.o = o;
    this.capacity = o.roomCapacity ?? 200;
    this.removeBatch = o.removeBatch ?? 50;
  }

  /** Recorded events (of any rooms, in ID order) to process. */
  accept(entries: InboxEntry[]): void {
    const byRoom = new Map<string, InboxEntry[]>();
    for (const e of entries) {
      const list = byRoom.get(e.roomId) ?? [];
      list.push(e);
      byRoom.set(e.roomId, list);
    }
    for (const [roomId, list] of byRoom) {
      const r = this.room(roomId);
      if (!r.spilled && r.queue.length + list.length <= this.capacity) r.queue.push(...list);
      else this.spill(roomId, r, list.length);
      this.start(roomId, r);
    }
  }

  /** After a restart: every room with recorded, unprocessed events is read back and processed. */
  async resume(): Promise<number> {
    const rooms = await this.o.store.inboxRooms();
    for (const roomId of rooms) {
      const r = this.room(roomId);
      r.spilled = true;
      r.spillGen++;
      this.start(roomId, r);
    }
    if (rooms.length)
      this.o.log.info({ rooms: rooms.length }, 'resuming the inbox: events recorded before the restart');
    return rooms.length;
  }

  /** Events this room holds in memory (the database may hold more while it has spilled). */
  queued(roomId: string): number {
    return this.rooms.get(roomId)?.queue.length ?? 0;
  }

  /** Rooms with work now. */
  get busyRooms(): number {
    return this.rooms.size;
  }

  /** Resolves when no room has anything left to do (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.rooms.size) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop taking the next event (what is left stays recorded for the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.rooms.values()].map((r) => this.flushDone(r)));
  }

  private room(roomId: string): RoomState {
    let r = this.rooms.get(roomId);
    if (!r) {
      r = { queue: [], spilled: false, spillGen: 0, lastId: 0, done: [], running: false };
      this.rooms.set(roomId, r);
    }
    return r;
  }

  private spill(roomId: string, r: RoomState, arriving: number): void {
    if (!r.spilled) {
      this.o.log.warn(
        { roomId, queued: r.queue.length, arriving, capacity: this.capacity },
        'room busy: its further events wait in the database (none is dropped)',
      );
      this.o.onSpill?.(roomId);
    }
    r.spilled = true;
    r.spillGen++;
  }

  private start(roomId: string, r: RoomState): void {
    if (r.running || this.stopped) return;
    r.running = true;
    void this.drain(roomId, r)
      .catch((err: unknown) => this.o.log.error({ err, roomId }, 'inbox: a room stopped; it resumes at the next event'))
      .finally(() => {
        r.running = false;
        if (!this.stopped && (r.queue.length || r.spilled)) return this.start(roomId, r);
        if (this.rooms.get(roomId) === r && !r.running) this.rooms.delete(roomId);
        if (!this.rooms.size) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  private async drain(roomId: string, r: RoomState): Promise<void> {
    while (!this.stopped) {
      if (!r.queue.length) {
        if (!r.spilled) break;
        await this.flushDone(r);
        const gen = r.spillGen;
        const back = await this.o.store.inboxEntries(roomId, r.lastId, this.capacity);
        // Nothing more in the database than this, and no spill while we read: memory holds all.
        if (back.length < this.capacity && gen === r.spillGen) r.spilled = false;
        r.queue = mergeEntries(back, r.queue, r.lastId);
        continue;
      }
      const next = r.queue.shift()!;
      if (next.id <= r.lastId) continue;
      r.lastId = next.id;
      await this.process(next);
      r.done.push(next.id);
      if (r.done.length >= this.removeBatch) await this.flushDone(r);
    }
    await this.flushDone(r);
  }

  private async process(entry: InboxEntry): Promise<void> {
    const event = entry.event as unknown as RoomEvent;
    try {
      await this.o.handle(event);
      this.o.onProcessed?.('ok', event);
    } catch (err) {
      // One event's failure must not block the room's others.
      this.o.onProcessed?.('failed', event);
      this.o.log.error({ err, eventId: event.event_id, type: event.type }, 'event handling failed');
    }
  }

  private async flushDone(r: RoomState): Promise<void> {
    if (!r.done.length) return;
    const ids = r.done.splice(0);
    try {
      await this.o.store.removeInboxEntries(ids);
    } catch (err) {
      // They stay recorded and would be processed again after a restart: handlers are idempotent.
      this.o.log.warn({ err, count: ids.length }, 'could not forget processed inbox events');
    }
  }
}
