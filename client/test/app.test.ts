import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type FoyerConfig } from '@foyer/config';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildWebApp, loggedPath, MissingBuildError } from '../server/app.ts';
import { parseSiteConfig } from '../src/site-config.ts';

const secrets = {
  internalApi: 'internal-api-secret-0123456789abcdefghijklmnop',
  livekitApi: 'livekit-api-secret-0123456789abcdefghijklmnopq',
};
/** Sits next to dist/; must never be reachable over HTTP. */
const outsideMarker = 'OUTSIDE-DIST-MUST-NOT-BE-SERVED';
const indexHtml =
  '<!doctype html><html lang="en"><head><title>Foyer</title></head><body><div id="app"></div></body></html>';

/** The commented sample (one source of truth for a complete config) with this test's values. */
function sampleConfig(dir: string, homeserver: { url: string; publicUrl?: string }): FoyerConfig {
  const data = parseYaml(
    readFileSync(join(import.meta.dirname, '..', '..', 'config', 'foyer.sample.yaml'), 'utf8'),
  ) as {
    homeserver: Record<string, unknown>;
    internalApi: { secret: string };
    gateway: { livekit: { url: string; publicUrl?: string; apiSecret: string } };
    web: { publicUrl: string };
  };
  data.homeserver = { ...homeserver, serverName: 'example.org' };
  data.internalApi.secret = secrets.internalApi;
  data.gateway.livekit.url = 'ws://127.0.0.1:7880';
  data.gateway.livekit.publicUrl = 'wss://media.example.org';
  data.gateway.livekit.apiSecret = secrets.livekitApi;
  data.web.publicUrl = 'https://foyer.example.org/';
  return parseConfig(data, join(dir, 'foyer.yaml')).config;
}

let workDir: string;
let distDir: string;
let app: FastifyInstance;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'foyer-web-'));
  distDir = join(workDir, 'dist');
  mkdirSync(join(distDir, 'assets'), { recursive: true });
  writeFileSync(join(distDir, 'index.html'), indexHtml);
  writeFileSync(join(distDir, 'assets', 'app-abc123.js'), 'console.log("app");\n');
  writeFileSync(join(workDir, 'package.json'), JSON.stringify({ name: outsideMarker }));
  const config = sampleConfig(workDir, { url: 'http://127.0.0.1:8008', publicUrl: 'https://matrix.example.org' });
  app = buildWebApp({ config, distDir });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('web server', () => {
  it('answers /health', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('serves the public config, preferring the homeserver URL browsers use', async () => {
    const res = await app.inject({ method: 'GET', url: '/config.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      homeserverUrl: 'https://matrix.example.org',
      serverName: 'example.org',
      botUserId: '@foyer:example.org',
      webUrl: 'https://foyer.example.org',
      conferenceUrl: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/conference$/),
    });
    // The browser app accepts exactly what the server sends.
    expect(parseSiteConfig(res.json())).toEqual(res.json());
  });

  it('names the configured bot, so the client never guesses it', async () => {
    const config = sampleConfig(workDir, { url: 'http://127.0.0.1:8008' });
    config.appservice.botLocalpart = 'lobby';
    const other = buildWebApp({ config, distDir });
    const res = await other.inject({ method: 'GET', url: '/config.json' });
    expect(res.json()).toMatchObject({ botUserId: '@lobby:example.org' });
    await other.close();
    // The client takes no config without the bot, or with another server's.
    const site = res.json() as Record<string, unknown>;
    expect(parseSiteConfig(site)?.botUserId).toBe('@lobby:example.org');
    for (const botUserId of [undefined, '', 'lobby', '@lobby', '@lobby:other.org', 7])
      expect(parseSiteConfig({ ...site, botUserId }), String(botUserId)).toBeUndefined();
  });

  it('falls back to homeserver.url when there is no publicUrl', async () => {
    const other = buildWebApp({ config: sampleConfig(workDir, { url: 'http://127.0.0.1:8008' }), distDir });
    const res = await other.inject({ method: 'GET', url: '/config.json' });
    expect(res.json()).toMatchObject({ homeserverUrl: 'http://127.0.0.1:8008' });
    expect(res.headers['content-security-policy']).toMatch(
      /connect-src 'self' http:\/\/127\.0\.0\.1:8008 \S+ ws:\/\/127\.0\.0\.1:\d+ wss:\/\/media\.example\.org /,
    );
    await other.close();
  });

  it('lets pages reach LiveKit where browsers reach it (its public URL, else its URL)', async () => {
    const csp = String((await app.inject({ method: 'GET', url: '/' })).headers['content-security-policy']);
    expect(csp).toMatch(/connect-src [^;]* wss:\/\/media\.example\.org https:\/\/media\.example\.org;/);
    expect(csp).not.toContain('127.0.0.1:7880');
    const config = sampleConfig(workDir, { url: 'http://127.0.0.1:8008' });
    delete config.gateway.livekit.publicUrl;
    const other = buildWebApp({ config, distDir });
    expect(String((await other.inject({ method: 'GET', url: '/' })).headers['content-security-policy'])).toMatch(
      /connect-src [^;]* ws:\/\/127\.0\.0\.1:7880 http:\/\/127\.0\.0\.1:7880;/,
    );
    await other.close();
  });

  it('never reveals a secret in /config.json', async () => {
    const res = await app.inject({ method: 'GET', url: '/config.json' });
    for (const secret of Object.values(secrets)) expect(res.body).not.toContain(secret);
    expect(res.body).not.toMatch(/secret|password|token|key|database|postgres|livekit/i);
  });

  it('serves index.html uncached for app paths such as /join/<token>', async () => {
    for (const url of ['/join/sometoken', '/groups/x', '/', '/join/sometoken?via=phone']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.body, url).toBe(indexHtml);
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
  });

  it('caches hashed assets for a long time', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/app-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers 404 for unknown files instead of index.html', async () => {
    for (const url of ['/assets/missing.js', '/favicon.ico']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toContain('<html');
    }
  });

  it('answers 404 for non-GET requests to app paths', async () => {
    const res = await app.inject({ method: 'POST', url: '/join/sometoken' });
    expect(res.statusCode).toBe(404);
  });

  const traversals = [
    '/../package.json',
    '/%2e%2e/%2e%2e/package.json',
    '/%2e%2e/package.json',
    '/..%2fpackage.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e/%2e%2e/package.json',
  ];

  it('does not serve files outside dist (inject)', async () => {
    for (const url of traversals) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).not.toBe(200);
      expect(res.body, url).not.toContain(outsideMarker);
    }
  });

  it('does not serve files outside dist (raw HTTP, no client-side path normalising)', async () => {
    const server = buildWebApp({ config: sampleConfig(workDir, { url: 'http://127.0.0.1:8008' }), distDir });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const address = server.server.address();
    if (!address || typeof address === 'string') throw new Error('no TCP address');
    try {
      for (const path of traversals) {
        const res = await rawGet(address.port, path);
        expect(res.status, path).not.toBe(200);
        expect(res.body, path).not.toContain(outsideMarker);
      }
    } finally {
      await server.close();
    }
  });

  it('sets the security headers on every response', async () => {
    for (const url of ['/', '/health', '/config.json', '/assets/app-abc123.js', '/assets/missing.js', '/join/x']) {
      const res = await app.inject({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy']);
      expect(csp, url).toContain("default-src 'self'");
      expect(csp, url).toContain("script-src 'self'");
      expect(csp, url).toContain("connect-src 'self' https://matrix.example.org wss://foyer.example.org");
      expect(csp, url).toContain("object-src 'none'");
      expect(csp, url).toContain('frame-ancestors *');
      expect(csp, url).not.toContain('unsafe-inline');
      expect(csp, url).not.toContain('unsafe-eval');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      // Must stay embeddable as a Matrix widget.
      expect(res.headers['x-frame-options'], url).toBeUndefined();
    }
  });

  it('refuses to start without a build, naming the command to run', () => {
    const emptyDist = join(workDir, 'empty-dist');
    mkdirSync(emptyDist, { recursive: true });
    const config = sampleConfig(workDir, { url: 'http://127.0.0.1:8008' });
    expect(() => buildWebApp({ config, distDir: emptyDist })).toThrow(MissingBuildError);
    expect(() => buildWebApp({ config, distDir: emptyDist })).toThrow(/npm run build/);
  });
});

/** A GET that sends the path exactly as given (fetch would resolve the dot segments first). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('request log', () => {
  it('never shows a guest link’s token or a query string', () => {
    expect(loggedPath('/join/AbCdEf0123456789_-xyz')).toBe('/join/…');
    expect(loggedPath('/join/AbCdEf0123456789?lang=de')).toBe('/join/…?…');
    expect(loggedPath('/widget/conference?roomId=!a:b&userId=@anna:example.org')).toBe('/widget/conference?…');
    expect(loggedPath('/assets/index-abc.js')).toBe('/assets/index-abc.js');
  });
});
