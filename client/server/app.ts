// The client's web server: serves the Vite build, the public part of the deployment config and
// the security headers a static file host would not add on its own.
import { existsSync } from 'node:fs';
import { posix, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { FoyerConfig } from '@foyer/config';
import { clientConfigFrom, mediaUrlFrom } from './client-config.ts';
import { cacheForever, revalidateAlways, securityHeaders } from './security.ts';

export interface WebAppOptions {
  config: FoyerConfig;
  /** The Vite build output (client/dist). */
  distDir: string;
  log?: FastifyBaseLogger;
}

/** Thrown at start when the client has not been built, so the operator knows what to run. */
export class MissingBuildError extends Error {
  override name = 'MissingBuildError';
}

/**
 * Whether a path not found on disk belongs to the single-page app (e.g. /join/<token>). Paths
 * whose last segment has a file extension are asset requests: answering those with index.html
 * would hide broken links and serve HTML where a script or image was expected.
 */
export function isAppPath(url: string): boolean {
  const pathname = url.split('?', 1)[0] ?? '/';
  return posix.extname(pathname) === '';
}

/**
 * A request's path as the log shows it: a guest link's token is a password (whoever holds it
 * joins the conference), and query strings carry Matrix IDs (the widget's URL): both left out.
 */
export function loggedPath(url: string): string {
  const pathname = url.split('?', 1)[0] ?? '/';
  const shown = pathname.replace(/^\/join\/[^/]+/, '/join/…');
  return url.includes('?') ? `${shown}?…` : shown;
}

export function buildWebApp({ config, distDir, log }: WebAppOptions): FastifyInstance {
  const root = resolve(distDir);
  const indexFile = resolve(root, 'index.html');
  if (!existsSync(indexFile)) {
    throw new MissingBuildError(
      `${indexFile} not found: the client has not been built. Run \`npm run build\` (in the repository root) first.`,
    );
  }
  const hashedAssetsDir = resolve(root, 'assets') + sep;
  const client = clientConfigFrom(config);
  const headers = securityHeaders(client, mediaUrlFrom(config));

  // Fastify's own request lines would carry full URLs (guest tokens): ours show loggedPath.
  const app = Fastify({ loggerInstance: log, logController: new LogController({ disableRequestLogging: true }) });
  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      { method: req.method, path: loggedPath(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  // onSend runs for every reply (files, JSON, 404s and errors alike).
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(headers);
    return payload;
  });

  app.get('/health', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  app.get('/config.json', async (_req, reply) => {
    reply.header('cache-control', revalidateAlways);
    return client;
  });

  void app.register(fastifyStatic, {
    root,
    // We decide caching per file below; send's default (max-age=0) fits neither case.
    cacheControl: false,
    dotfiles: 'ignore',
    setHeaders: (reply, filePath) => {
      reply.header('cache-control', filePath.startsWith(hashedAssetsDir) ? cacheForever : revalidateAlways);
    },
  });

  app.setNotFoundHandler(async (req, reply) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && isAppPath(req.url)) {
      // The app routes on the client side; setHeaders above marks index.html as no-cache.
      return reply.sendFile('index.html');
    }
    return reply.code(404).send({ error: 'not_found', message: `${req.method} ${req.url} not found` });
  });

  return app;
}
