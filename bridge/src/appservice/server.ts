// The appservice side of the bridge (the Matrix Application Service API, v1): Synapse pushes
// transactions here. Routes written on fastify rather than matrix-appservice because we need
// durable transaction de-duplication across restarts (matrix-appservice only remembers the last
// ID in memory) and schema validation at the edge.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, createHttpApp, safeEqual, type Logger } from '@foyer/common';
import { roomEventSchema, transactionSchema, type RoomEvent } from './events.ts';
import type { BridgeStore } from '../store/store.ts';
import type { BridgeMetrics } from '../metrics.ts';

export interface AppserviceDeps {
  hsToken: string;
  store: Pick<BridgeStore, 'isTransactionProcessed' | 'markTransactionProcessed'>;
  metrics: BridgeMetrics;
  log: Logger;
  /** Handles one validated event; must be idempotent per event ID. */
  onEvent(event: RoomEvent): Promise<void>;
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

  async function processTransaction(txnId: string, body: unknown): Promise<void> {
    const txn = transactionSchema.parse(body);
    const digest = transactionDigest(txn.events);
    if (await deps.store.isTransactionProcessed(txnId, digest)) {
      deps.metrics.transactions.inc({ outcome: 'duplicate' });
      deps.log.debug({ txnId }, 'transaction already processed');
      return;
    }
    for (const raw of txn.events) {
      const parsed = roomEventSchema.safeParse(raw);
      if (!parsed.success) {
        deps.metrics.events.inc({ type: 'invalid' });
        deps.log.warn({ txnId, issue: parsed.error.issues[0]?.message }, 'skipping an event of unexpected shape');
        continue;
      }
      deps.metrics.events.inc({ type: metricType(parsed.data.type) });
      try {
        await deps.onEvent(parsed.data);
      } catch (err) {
        // One event's failure must not block the rest or make Synapse replay the others.
        deps.metrics.events.inc({ type: 'failed' });
        deps.log.error({ err, eventId: parsed.data.event_id, type: parsed.data.type }, 'event handling failed');
      }
    }
    await deps.store.markTransactionProcessed(txnId, digest);
    deps.metrics.transactions.inc({ outcome: 'processed' });
  }

  const onTransaction = async (req: FastifyRequest<{ Params: { txnId: string } }>, reply: FastifyReply) => {
    const { txnId } = req.params;
    if (!transactionSchema.safeParse(req.body).success) {
      return matrixError(reply, 400, 'M_BAD_JSON', 'a transaction needs an "events" array');
    }
    // A retry can arrive while the first delivery is still being processed: share its work.
    let work = inFlight.get(txnId);
    if (!work) {
      work = processTransaction(txnId, req.body).finally(() => inFlight.delete(txnId));
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
