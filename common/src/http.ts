import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from './logger.ts';
import { bearerToken, safeEqual } from './auth.ts';

/** Guards routes of an internal API with the shared bearer secret. */
export function requireBearer(secret: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(req.headers.authorization);
    if (!token || !safeEqual(token, secret)) {
      await reply.code(401).send({ error: 'unauthorized', message: 'a valid bearer token is required' });
    }
  };
}

/** Listen and return the address actually bound (port 0 → a free port, for tests). */
export async function listen(
  app: FastifyInstance,
  bind: string,
  port: number,
): Promise<{ host: string; port: number }> {
  await app.listen({ host: bind, port });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('server has no TCP address');
  return { host: addr.address, port: addr.port };
}

/** A fastify app logging through our pino logger (request logs off: we log what matters). */
export function createHttpApp(
  log: Logger,
  opts: { bodyLimit?: number; trustedProxies?: string[] } = {},
): FastifyInstance {
  return Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // Only listed proxies may name the client (X-Forwarded-For); anyone else's header is ignored.
    ...(opts.trustedProxies?.length ? { trustProxy: opts.trustedProxies } : {}),
  });
}
