// The bridge's internal HTTP API for the gateway (see common/src/internal-protocol.ts), and its
// metrics, behind the shared bearer secret. /health is open and says nothing but "ok".
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  conferenceChangesSchema,
  conferenceReportSchema,
  TIMEOUT_HEADER,
  createHttpApp,
  guestMessageSchema,
  admissionRequestSchema,
  requireBearer,
  type Logger,
} from '@foyer/common';
import type { Admissions } from './admission.ts';
import type { Outbox } from './chat/outbox.ts';
import { ExpiredError, ResyncNeededError, UnknownGroupError, type GroupManager } from './groups/group-manager.ts';
import type { BridgeMetrics } from './metrics.ts';
import { registerAdminApi } from './rooms/admin-api.ts';
import type { FixedRooms } from './rooms/fixed-rooms.ts';

export interface InternalApiDeps {
  secret: string;
  metrics: BridgeMetrics;
  log: Logger;
  groups: GroupManager;
  outbox: Outbox;
  maxMessageLength: number;
  fixedRooms: FixedRooms;
  admissions: Admissions;
  /** adminApi.secret: the admin API (/admin/v1/…) has its own; undefined turns it off. */
  adminSecret: string | undefined;
}

function parse<S extends z.ZodType>(schema: S, body: unknown, reply: FastifyReply): z.output<S> | undefined {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  void reply
    .code(400)
    .send({ error: 'bad_request', message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` });
  return undefined;
}

const notFound = (reply: FastifyReply, message: string) => reply.code(404).send({ error: 'not_found', message });

/** When the gateway stops waiting for this request (its x-foyer-timeout-ms from now), if it said. */
function deadlineOf(req: FastifyRequest): number | undefined {
  const raw = req.headers[TIMEOUT_HEADER];
  const ms = typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isFinite(ms) && ms > 0 ? Date.now() + Math.min(ms, 300_000) : undefined;
}

/** A conference report's outcome as the gateway is told it. */
async function reportOutcome(reply: FastifyReply, work: Promise<void>) {
  try {
    await work;
  } catch (err) {
    if (err instanceof UnknownGroupError) return notFound(reply, 'no such group');
    if (err instanceof ResyncNeededError)
      return reply.code(409).send({ error: 'resync', message: 'send the whole conference' });
    if (err instanceof ExpiredError)
      return reply.code(503).send({ error: 'expired', message: 'given up: the deadline passed before it began' });
    throw err;
  }
  return { ok: true };
}

/** Control characters other than newline and tab have no place in a chat line. */
const cleanText = (s: string) => s.normalize('NFC').replace(/[\p{Cc}]/gu, (c) => (c === '\n' || c === '\t' ? c : ''));

export function buildInternalApi(d: InternalApiDeps): FastifyInstance {
  const app = createHttpApp(d.log.child({ part: 'internal-api' }), { bodyLimit: 256 * 1024 });
  app.get('/health', async () => ({ status: 'ok' }));
  registerAdminApi(app, { secret: d.adminSecret, rooms: d.fixedRooms, log: d.log });
  app.register(async (authed) => {
    authed.addHook('onRequest', requireBearer(d.secret));
    authed.get('/metrics', async (_req, reply) =>
      reply.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics()),
    );

    // Every way in: the bridge decides, the gateway carries it out (src/admission.ts).
    authed.post('/internal/v1/admit', async (req, reply) => {
      const q = parse(admissionRequestSchema, req.body, reply);
      if (!q) return reply;
      return d.admissions.admit(q);
    });

    authed.put<{ Params: { roomId: string } }>('/internal/v1/groups/:roomId/conference', async (req, reply) => {
      const report = parse(conferenceReportSchema, req.body, reply);
      if (!report) return reply;
      return reportOutcome(reply, d.groups.reportConference(req.params.roomId, report, deadlineOf(req)));
    });

    authed.patch<{ Params: { roomId: string } }>('/internal/v1/groups/:roomId/conference', async (req, reply) => {
      const changes = parse(conferenceChangesSchema, req.body, reply);
      if (!changes) return reply;
      return reportOutcome(reply, d.groups.reportChanges(req.params.roomId, changes, deadlineOf(req)));
    });

    authed.post('/internal/v1/conferences/reset', async () => {
      const groups = await d.groups.resetConferences();
      return { ok: true, groups };
    });

    authed.post<{ Params: { roomId: string } }>('/internal/v1/groups/:roomId/messages', async (req, reply) => {
      const msg = parse(guestMessageSchema, req.body, reply);
      if (!msg) return reply;
      const body = cleanText(msg.body);
      if (!body.trim()) return reply.code(400).send({ error: 'empty', message: 'the message is empty' });
      if ([...body].length > d.maxMessageLength) {
        return reply
          .code(413)
          .send({ error: 'too_long', message: `a message may have at most ${d.maxMessageLength} characters` });
      }
      const sender = await d.groups.senderFor(req.params.roomId, msg.participantId);
      if (!sender) return notFound(reply, 'this participant is not in the group’s conference');
      const stored = await d.outbox.submit({
        roomId: req.params.roomId,
        participantId: msg.participantId,
        sender,
        txnId: msg.txnId,
        content: { msgtype: 'm.text', body },
      });
      return reply.code(202).send({ id: stored.id, status: stored.status, eventId: stored.eventId });
    });
  });
  return app;
}
