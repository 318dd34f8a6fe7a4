// The gateway's HTTP listener: health for the stack and containers; behind the shared bearer
// secret, metrics, the notifications the bridge sends (revocations, removals, room chat) and the
// list of conferences hosted now (the bridge re-syncs with it after it lost contact).
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
import type { CallerMix } from './conference/mix.ts';
import type { JanusService } from './janus/janus-service.ts';
import type { GatewayMetrics } from './metrics.ts';

/** Notifications from the bridge, for the conference logic to act on. */
export class BridgeEvents extends EventEmitter<{ notification: [GatewayNotification] }> {}

export function buildGatewayHttp(o: {
  secret: string;
  janus: JanusService;
  mix: Pick<CallerMix, 'available' | 'plane'>;
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
  // Healthy means able to host conferences: browsers need Janus, callers their mix.
  const media = () => ({
    janus: o.janus.connected ? 'connected' : 'disconnected',
    callers: { plane: o.mix.plane, mix: o.mix.available ? 'available' : 'unavailable' },
  });
  app.get('/health', async (_req, reply) =>
    o.janus.connected && o.mix.available
      ? { status: 'ok', ...media() }
      : reply.code(503).send({ status: 'degraded', ...media() }),
  );
  app.register(async (authed) => {
    authed.addHook('onRequest', requireBearer(o.secret));
    authed.get('/metrics', async (_req, reply) => {
      o.metrics.janusConnected.set(o.janus.connected ? 1 : 0);
      o.metrics.callerMixAvailable.set({ plane: o.mix.plane }, o.mix.available ? 1 : 0);
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
