// The gateway's HTTP listener: health for the stack and containers, metrics behind the shared
// bearer secret. The browser conference WebSocket and the bridge-facing API join it later.
import type { FastifyInstance } from 'fastify';
import { createHttpApp, requireBearer, type Logger } from '@foyer/common';
import type { JanusService } from './janus/janus-service.ts';
import type { GatewayMetrics } from './metrics.ts';

export function buildGatewayHttp(o: {
  secret: string;
  janus: JanusService;
  metrics: GatewayMetrics;
  log: Logger;
}): FastifyInstance {
  const app = createHttpApp(o.log.child({ part: 'http' }));
  // Healthy means able to host conferences: without Janus there is no media.
  app.get('/health', async (_req, reply) =>
    o.janus.connected
      ? { status: 'ok', janus: 'connected' }
      : reply.code(503).send({ status: 'degraded', janus: 'disconnected' }),
  );
  app.register(async (authed) => {
    authed.addHook('onRequest', requireBearer(o.secret));
    authed.get('/metrics', async (_req, reply) => {
      o.metrics.janusConnected.set(o.janus.connected ? 1 : 0);
      return reply.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics());
    });
  });
  return app;
}
