// The appservice HTTP layer with an in-memory store: token checks, de-duplication (also of a
// retry arriving while the first delivery is still being recorded), bad input, and the answer
// coming once the transaction is recorded — not once its events are processed.
import { beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '@foyer/common';
import { Inbox } from '../src/appservice/inbox.ts';
import { buildAppservice } from '../src/appservice/server.ts';
import type { RoomEvent } from '../src/appservice/events.ts';
import { createMetrics } from '../src/metrics.ts';
import { MemoryStore } from './fakes/memory-store.ts';

const HS_TOKEN = 'h'.repeat(43);
const event = (n: number, extra: Partial<RoomEvent> = {}) => ({
  type: 'm.room.message',
  event_id: `$e${n}`,
  room_id: '!abc',
  sender: '@alice:localhost',
  origin_server_ts: 1,
  content: { body: `m${n}` },
  ...extra,
});

describe('appservice API', () => {
  let app: FastifyInstance;
  let seen: string[];
  let gate: Promise<void>;
  let store: MemoryStore;
  let inbox: Inbox;

  beforeEach(() => {
    seen = [];
    gate = Promise.resolve();
    store = new MemoryStore();
    const log = createLogger('test', 'silent');
    inbox = new Inbox({
      store,
      log,
      handle: async (e) => {
        await gate;
        if (e.content.body === 'boom') throw new Error('handler failed');
        seen.push(e.event_id);
      },
    });
    app = buildAppservice({
      hsToken: HS_TOKEN,
      store,
      metrics: createMetrics(),
      log,
      accept: (entries) => inbox.accept(entries),
      userExists: async (id) => id === '@foyer:localhost',
    });
  });

  const put = (txn: string, body: unknown, auth = `Bearer ${HS_TOKEN}`) =>
    app.inject({
      method: 'PUT',
      url: `/_matrix/app/v1/transactions/${txn}`,
      headers: { authorization: auth },
      payload: body as object,
    });

  it('answers 401 without a token and 403 with a wrong one, processing nothing', async () => {
    expect(
      (await app.inject({ method: 'PUT', url: '/_matrix/app/v1/transactions/1', payload: { events: [event(1)] } }))
        .statusCode,
    ).toBe(401);
    const wrong = await put('1', { events: [event(1)] }, 'Bearer nope');
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toEqual({ errcode: 'M_FORBIDDEN', error: 'bad token' });
    await inbox.idle();
    expect(seen).toEqual([]);
    expect(store.inbox.size).toBe(0);
  });

  it('accepts the legacy access_token query and path', async () => {
    const r = await app.inject({
      method: 'PUT',
      url: `/transactions/7?access_token=${HS_TOKEN}`,
      payload: { events: [event(7)] },
    });
    expect(r.statusCode).toBe(200);
    await inbox.idle();
    expect(seen).toEqual(['$e7']);
  });

  it('processes a transaction once, even when the retry arrives during processing', async () => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    const first = put('t1', { events: [event(1), event(2)] });
    const retry = put('t1', { events: [event(1), event(2)] });
    // Answered while the events still wait for their room: recorded is enough.
    expect((await first).statusCode).toBe(200);
    expect((await retry).statusCode).toBe(200);
    expect(seen).toEqual([]);
    expect(store.inbox.size).toBe(2);
    release();
    expect((await put('t1', { events: [event(1), event(2)] })).statusCode).toBe(200);
    await inbox.idle();
    expect(seen).toEqual(['$e1', '$e2']);
    expect(store.inbox.size).toBe(0);
  });

  it('answers a transaction of 100 events at once while their room is busy', async () => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    expect((await put('busy', { events: [event(0)] })).statusCode).toBe(200); // the room is held up
    const events = Array.from({ length: 100 }, (_, i) => event(i + 1));
    const started = performance.now();
    expect((await put('hundred', { events })).statusCode).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(seen).toEqual([]);
    release();
    await inbox.idle();
    expect(seen).toEqual(['$e0', ...events.map((e) => e.event_id)]);
  });

  it('processes a reused transaction ID with other events (Synapse restarted its counter)', async () => {
    expect((await put('1', { events: [event(1)] })).statusCode).toBe(200);
    expect((await put('1', { events: [event(1)] })).statusCode).toBe(200); // a replay
    expect((await put('1', { events: [event(2)] })).statusCode).toBe(200); // the ID reused
    await inbox.idle();
    expect(seen).toEqual(['$e1', '$e2']);
  });

  it('skips malformed events and a failing handler without losing the others', async () => {
    const r = await put('t2', { events: [{ type: 'x' }, event(3, { content: { body: 'boom' } }), 42, event(4)] });
    expect(r.statusCode).toBe(200);
    await inbox.idle();
    expect(seen).toEqual(['$e4']);
  });

  it('answers 400 to a body without events, without remembering the ID', async () => {
    const r = await put('t3', { nope: true });
    expect(r.statusCode).toBe(400);
    expect(r.json().errcode).toBe('M_BAD_JSON');
    expect(await store.recordTransaction('t3', 'x', [])).toEqual([]); // the ID was not remembered
  });

  it('answers user queries for its own users only, and 404 for unknown endpoints', async () => {
    const auth = { authorization: `Bearer ${HS_TOKEN}` };
    expect((await app.inject({ url: '/_matrix/app/v1/users/@foyer:localhost', headers: auth })).statusCode).toBe(200);
    expect(
      (await app.inject({ url: '/_matrix/app/v1/users/@foyer_guest_x:localhost', headers: auth })).statusCode,
    ).toBe(404);
    const unknown = await app.inject({ url: '/_matrix/app/v1/thirdparty/protocol/x', headers: auth });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().errcode).toBe('M_UNRECOGNIZED');
  });
});
