// The bridge's internal HTTP API (gateway → bridge) and its metrics, behind the shared bearer
// secret. /health is open and says nothing but "ok", for the stack and container healthchecks.
import type { FastifyInstance } from 'fastify';
import { createHttpApp, requireBearer, type Logger } from '@foyer/common';
import type { BridgeMetrics } from './metrics.ts';

export function buildInternalApi(o: { secret: string; metrics: BridgeMetrics; log: Logger }): FastifyInstance {
  const app = createHttpApp(o.log.child({ part: 'internal-api' }));
  app.get('/health', async () => ({ status: 'ok' }));
  app.register(async (authed) => {
    authed.addHook('onRequest', requireBearer(o.secret));
    authed.get('/metrics', async (_req, reply) =>
      reply.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics()),
    );
  });
  return app;
}
