// The gateway's HTTP listener: health for the stack and containers; behind the shared bearer
// secret, metrics, the notifications the bridge sends (revocations, removals, room chat) and the
// list of conferences hosted now (the bridge re-syncs with it after it lost contact); LiveKit's
// webhook (signed with the LiveKit API secret: who joined its rooms).
// The browser conference WebSocket joins it later.
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import {
  createHttpApp,
  gatewayNotificationSchema,
  requireBearer,
  type ConferenceSnapshot,
  type GatewayNotification,
  type Logger,
} from '@foyer/common';
import { LIVEKIT_WEBHOOK_PATH } from '@foyer/common/livekit';
import type { BrowserPlane } from './conference/browser-media.ts';
import type { CallerMix } from './conference/mix.ts';
import type { GatewayMetrics } from './metrics.ts';

/** The one media plane since Janus was retired. */
const MEDIA_PLANE = 'livekit';

/** Notifications from the bridge, for the conference logic to act on. */
export class BridgeEvents extends EventEmitter<{ notification: [GatewayNotification] }> {}

export function buildGatewayHttp(o: {
  secret: string;
  browsers: Pick<BrowserPlane, 'available'>;
  mix: Pick<CallerMix, 'available'>;
  /** LiveKit's webhook, verified and acted on (throws on a bad signature). */
  livekitWebhook: (body: string, authorization: string | undefined) => Promise<void>;
  metrics: GatewayMetrics;
  log: Logger;
  bridgeEvents: BridgeEvents;
  /** Every conference hosted now, as reported to the bridge (it re-syncs after losing contact). */
  conferences?: () => ConferenceSnapshot;
  /** Reverse proxies whose X-Forwarded-For is believed (req.ip is then the browser's address). */
  trustedProxies?: string[];
}): FastifyInstance {
  const app = createHttpApp(o.log.child({ part: 'http' }), {
    bodyLimit: 256 * 1024,
    trustedProxies: o.trustedProxies ?? [],
  });
  // Healthy means able to host conferences: browsers need LiveKit, callers the media agent's mix.
  // The plane is named for monitoring and the bench, which read it here.
  const media = () => ({
    browsers: { plane: MEDIA_PLANE, media: o.browsers.available ? 'available' : 'unavailable' },
    callers: { plane: MEDIA_PLANE, mix: o.mix.available ? 'available' : 'unavailable' },
  });
  app.get('/health', async (_req, reply) =>
    o.browsers.available && o.mix.available
      ? { status: 'ok', ...media() }
      : reply.code(503).send({ status: 'degraded', ...media() }),
  );
  app.register(async (scope) => {
    // LiveKit signs the body's SHA-256: it is checked on the text as sent.
    scope.addContentTypeParser(
      ['application/webhook+json', 'application/json'],
      { parseAs: 'string' },
      (_r, body, done) => done(null, body),
    );
    scope.post(LIVEKIT_WEBHOOK_PATH, async (req, reply) => {
      try {
        await o.livekitWebhook(String(req.body), req.headers.authorization);
      } catch (err) {
        o.log.warn({ err: (err as Error).message }, 'LiveKit webhook refused');
        return reply.code(401).send({ error: 'unauthenticated', message: 'invalid webhook signature' });
      }
      return { ok: true };
    });
  });
  app.register(async (authed) => {
    authed.addHook('onRequest', requireBearer(o.secret));
    authed.get('/metrics', async (_req, reply) => {
      o.metrics.callerMixAvailable.set(o.mix.available ? 1 : 0);
      return reply.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics());
    });
    authed.get('/internal/v1/conferences', async () => o.conferences?.() ?? { conferences: [] });
    authed.post('/internal/v1/notify', async (req, reply) => {
      const parsed = gatewayNotificationSchema.safeParse(req.body);
      if (!parsed.success) {
        o.log.warn(
          { issue: parsed.error.issues[0]?.message },
          'notification from the bridge of unexpected shape refused',
        );
        return reply.code(400).send({ error: 'bad_request', message: parsed.error.issues[0]?.message ?? 'invalid' });
      }
      o.metrics.bridgeNotifications.inc({ type: parsed.data.type });
      o.log.info({ type: parsed.data.type, roomId: parsed.data.roomId }, 'notification from the bridge');
      o.bridgeEvents.emit('notification', parsed.data);
      return { ok: true };
    });
  });
  return app;
}
