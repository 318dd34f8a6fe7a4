// The appservice inbox with the in-memory store: each room's events in arrival order, rooms not
// waiting for each other, a busy room spilling to the database without losing or reordering
// anything, a failing event not stopping its room, and a restart resuming what was recorded.
import { describe, expect, it } from 'vitest';
import { createLogger } from '@foyer/common';
import type { RoomEvent } from '../src/appservice/events.ts';
import { Inbox, mergeEntries } from '../src/appservice/inbox.ts';
import { MemoryStore } from './fakes/memory-store.ts';

const log = createLogger('test', 'silent');
let n = 0;
const ev = (roomId: string, body = `m${++n}`): RoomEvent => ({
  type: 'm.room.message',
  event_id: `$${roomId.slice(1)}-${body}`,
  room_id: roomId,
  sender: '@alice:localhost',
  origin_server_ts: 1,
  content: { body },
});

/** A gate per room: the room's handler waits until it is opened. */
function gates() {
  const waiting = new Map<string, { promise: Promise<void>; open: () => void }>();
  return {
    close(roomId: string) {
      let open!: () => void;
      const promise = new Promise<void>((r) => (open = r));
      waiting.set(roomId, { promise, open });
    },
    open(roomId: string) {
      waiting.get(roomId)?.open();
      waiting.delete(roomId);
    },
    wait: (roomId: string) => waiting.get(roomId)?.promise ?? Promise.resolve(),
  };
}

async function record(store: MemoryStore, inbox: Inbox, txnId: string, events: RoomEvent[]) {
  const entries = await store.recordTransaction(
    txnId,
    txnId,
    events.map((e) => ({ roomId: e.room_id, event: e as unknown as Record<string, unknown> })),
  );
  inbox.accept(entries ?? []);
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('appservice inbox', () => {
  it('processes a room’s events in order while another room is held up', async () => {
    const store = new MemoryStore();
    const g = gates();
    const seen: string[] = [];
    const inbox = new Inbox({
      store,
      log,
      handle: async (e) => {
        await g.wait(e.room_id);
        seen.push(e.event_id);
      },
    });
    g.close('!busy');
    const busy = Array.from({ length: 20 }, () => ev('!busy'));
    const calm = Array.from({ length: 5 }, () => ev('!calm'));
    await record(store, inbox, 't1', [...busy.slice(0, 10), calm[0]!, ...busy.slice(10), ...calm.slice(1)]);
    await tick();
    // The calm room is done although the busy one has not finished its first event.
    expect(seen).toEqual(calm.map((e) => e.event_id));
    g.open('!busy');
    await inbox.idle();
    expect(seen.filter((id) => id.startsWith('$busy'))).toEqual(busy.map((e) => e.event_id));
    expect(store.inbox.size).toBe(0);
  });

  it('spills a busy room’s overflow to the database and reads it back in order, dropping nothing', async () => {
    const store = new MemoryStore();
    const g = gates();
    const seen: string[] = [];
    const warnings: string[] = [];
    const inbox = new Inbox({
      store,
      log: { ...log, warn: (_o: unknown, msg: string) => void warnings.push(msg) } as unknown as typeof log,
      roomCapacity: 10,
      removeBatch: 3,
      handle: async (e) => {
        await g.wait(e.room_id);
        seen.push(e.event_id);
      },
    });
    g.close('!busy');
    const all: RoomEvent[] = [];
    for (let t = 0; t < 8; t++) {
      const batch = Array.from({ length: 7 }, () => ev('!busy'));
      all.push(...batch);
      await record(store, inbox, `t${t}`, batch);
    }
    expect(inbox.queued('!busy')).toBeLessThanOrEqual(10); // memory stays bounded
    expect(warnings).toHaveLength(1); // the overflow is said once per episode
    expect(store.inbox.size).toBe(56); // everything is recorded
    g.open('!busy');
    // While it reads back, more arrives.
    const late = Array.from({ length: 15 }, () => ev('!busy'));
    all.push(...late);
    await record(store, inbox, 'late', late);
    await inbox.idle();
    expect(seen).toEqual(all.map((e) => e.event_id));
    expect(store.inbox.size).toBe(0);
  });

  it('goes on with the next event when one fails', async () => {
    const store = new MemoryStore();
    const seen: string[] = [];
    const outcomes: string[] = [];
    const inbox = new Inbox({
      store,
      log,
      handle: async (e) => {
        if (e.content.body === 'boom') throw new Error('handler failed');
        seen.push(String(e.content.body));
      },
      onProcessed: (o) => outcomes.push(o),
    });
    await record(store, inbox, 't', [ev('!r', 'a'), ev('!r', 'boom'), ev('!r', 'b')]);
    await inbox.idle();
    expect(seen).toEqual(['a', 'b']);
    expect(outcomes).toEqual(['ok', 'failed', 'ok']);
  });

  it('resumes what was recorded but not processed before a restart', async () => {
    const store = new MemoryStore();
    const g = gates();
    g.close('!a');
    const first = new Inbox({ store, log, handle: (e) => g.wait(e.room_id) });
    const events = [ev('!a'), ev('!b'), ev('!a'), ev('!a')];
    await record(store, first, 't', events);
    await tick();
    await first.stop(); // the bridge stops with !a held up
    expect([...store.inbox.values()].map((e) => e.event['event_id'])).toEqual(
      [events[0], events[2], events[3]].map((e) => e!.event_id),
    );

    const seen: string[] = [];
    const second = new Inbox({ store, log, handle: async (e) => void seen.push(e.event_id) });
    expect(await second.resume()).toBe(1);
    await second.idle();
    expect(seen).toEqual([events[0], events[2], events[3]].map((e) => e!.event_id));
    expect(store.inbox.size).toBe(0);
  });

  it('merges read-back and queued events by ID, once each', () => {
    const e = (id: number) => ({ id, roomId: '!r', event: {} });
    expect(mergeEntries([e(3), e(4), e(5)], [e(5), e(6)], 3).map((x) => x.id)).toEqual([4, 5, 6]);
  });
});
