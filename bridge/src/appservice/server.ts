// The appservice side of the bridge (the Matrix Application Service API, v1): Synapse pushes
// transactions here. Routes written on fastify rather than matrix-appservice because we need
// durable transaction de-duplication across restarts (matrix-appservice only remembers the last
// ID in memory) and schema validation at the edge.
//
// A transaction is answered as soon as it is recorded: its ID, digest and valid events go into
// the database in one transaction (store.recordTransaction), Synapse gets its 200, and the
// events are processed from that inbox (inbox.ts), each room on its own. So a busy room never
// makes Synapse wait (it times out after 30 s and retries the whole transaction) nor holds up
// another room's events.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, createHttpApp, safeEqual, type Logger } from '@foyer/common';
import { roomEventSchema, transactionSchema, type RoomEvent } from './events.ts';
import type { InboxEntry, InboxStore } from '../store/store.ts';
import type { BridgeMetrics } from '../metrics.ts';

export interface AppserviceDeps {
  hsToken: string;
  store: Pick<InboxStore, 'recordTransaction'>;
  metrics: BridgeMetrics;
  log: Logger;
  /** Takes a recorded transaction's events for processing (the inbox); must not wait for it. */
  accept(entries: InboxEntry[]): void;
  /** Is this user ID one of ours that exists (the bot or a known puppet)? */
  userExists(userId: string): Promise<boolean>;
}

// Event types are chosen by senders: label only the ones we know, so metrics stay bounded.
const KNOWN_TYPES = new Set([
  'm.room.message',
  'm.room.member',
  'm.room.name',
  'm.room.power_levels',
  'm.room.redaction',
  'm.reaction',
  'org.foyer.guest_access',
  'org.foyer.conference',
]);
const metricType = (type: string) => (KNOWN_TYPES.has(type) ? type : 'other');

/** Identifies a transaction's content: a replay carries the same events, a reused ID others. */
function transactionDigest(events: unknown[]): string {
  const ids = events.map((e) =>
    e && typeof e === 'object' && 'event_id' in e ? String(e.event_id) : JSON.stringify(e),
  );
  return createHash('sha256').update(ids.join('\n')).digest('hex');
}

const matrixError = (reply: FastifyReply, status: number, errcode: string, error: string) =>
  reply.code(status).send({ errcode, error });

export function buildAppservice(deps: AppserviceDeps): FastifyInstance {
  const app = createHttpApp(deps.log.child({ part: 'appservice' }), { bodyLimit: 32 * 1024 * 1024 });
  const inFlight = new Map<string, Promise<void>>();

  // Synapse sends the hs_token as a Bearer header; older servers as ?access_token=.
  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    const query = req.query as Record<string, unknown>;
    const token =
      bearerToken(req.headers.authorization) ??
      (typeof query.access_token === 'string' ? query.access_token : undefined);
    if (!token) {
      deps.metrics.transactions.inc({ outcome: 'unauthorized' });
      return matrixError(reply, 401, 'M_UNAUTHORIZED', 'missing token');
    }
    if (!safeEqual(token, deps.hsToken)) {
      deps.metrics.transactions.inc({ outcome: 'forbidden' });
      deps.log.warn({ url: req.url.split('?')[0], ip: req.ip }, 'request with a wrong hs_token refused');
      return matrixError(reply, 403, 'M_FORBIDDEN', 'bad token');
    }
  });

  /** Record the transaction (once) and hand its events on; resolves once they are durable. */
  async function recordTransaction(txnId: string, body: unknown): Promise<void> {
    const txn = transactionSchema.parse(body);
    const digest = transactionDigest(txn.events);
    const valid: RoomEvent[] = [];
    for (const raw of txn.events) {
      const parsed = roomEventSchema.safeParse(raw);
      if (parsed.success) valid.push(parsed.data);
      else {
        deps.metrics.events.inc({ type: 'invalid' });
        deps.log.warn({ txnId, issue: parsed.error.issues[0]?.message }, 'skipping an event of unexpected shape');
      }
    }
    const entries = await deps.store.recordTransaction(
      txnId,
      digest,
      valid.map((e) => ({ roomId: e.room_id, event: e as unknown as Record<string, unknown> })),
    );
    if (!entries) {
      deps.metrics.transactions.inc({ outcome: 'duplicate' });
      deps.log.debug({ txnId }, 'transaction already recorded');
      return;
    }
    for (const e of valid) deps.metrics.events.inc({ type: metricType(e.type) });
    deps.metrics.transactions.inc({ outcome: 'recorded' });
    deps.accept(entries);
  }

  const onTransaction = async (req: FastifyRequest<{ Params: { txnId: string } }>, reply: FastifyReply) => {
    const { txnId } = req.params;
    if (!transactionSchema.safeParse(req.body).success) {
      return matrixError(reply, 400, 'M_BAD_JSON', 'a transaction needs an "events" array');
    }
    // A retry can arrive while the first delivery is still being recorded: share its work.
    let work = inFlight.get(txnId);
    if (!work) {
      work = recordTransaction(txnId, req.body).finally(() => inFlight.delete(txnId));
      inFlight.set(txnId, work);
    }
    try {
      await work;
    } catch (err) {
      deps.log.error({ err, txnId }, 'transaction failed; Synapse will retry');
      return matrixError(reply, 500, 'M_UNKNOWN', 'transaction failed, retry later');
    }
    return reply.send({});
  };

  const onUser = async (req: FastifyRequest<{ Params: { userId: string } }>, reply: FastifyReply) =>
    (await deps.userExists(req.params.userId))
      ? reply.send({})
      : matrixError(reply, 404, 'M_NOT_FOUND', 'no such user');
  const onRoom = async (_req: FastifyRequest, reply: FastifyReply) =>
    matrixError(reply, 404, 'M_NOT_FOUND', 'no such room alias');

  for (const prefix of ['/_matrix/app/v1', '']) {
    app.put(`${prefix}/transactions/:txnId`, onTransaction);
    app.get(`${prefix}/users/:userId`, onUser);
    app.get(`${prefix}/rooms/:alias`, onRoom);
  }
  app.post('/_matrix/app/v1/ping', async (_req, reply) => reply.send({}));
  app.setNotFoundHandler((_req, reply) => matrixError(reply, 404, 'M_UNRECOGNIZED', 'unknown endpoint'));
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) deps.log.error({ err }, 'appservice request failed');
    return matrixError(
      reply,
      status,
      status === 413 ? 'M_TOO_LARGE' : status < 500 ? 'M_BAD_JSON' : 'M_UNKNOWN',
      err.message,
    );
  });
  return app;
}
