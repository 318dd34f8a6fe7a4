import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';
import { clientConfigFrom } from './server/client-config.ts';

/**
 * `vite` (dev mode) runs without our web server, so nothing would answer /config.json. Serve
 * it from the deployment config named by FOYER_CONFIG, built by the same function the server uses.
 */
function devConfigJson(): Plugin {
  return {
    name: 'foyer-dev-config-json',
    apply: 'serve',
    async configureServer(server) {
      const file = process.env.FOYER_CONFIG;
      if (!file) {
        server.config.logger.warn('FOYER_CONFIG is not set: /config.json will answer 503 in dev mode');
      }
      const { loadConfig } = await import('@foyer/config');
      const body = file ? JSON.stringify(clientConfigFrom(loadConfig(file).config)) : undefined;
      server.middlewares.use('/config.json', (_req, res) => {
        res.statusCode = body ? 200 : 503;
        res.setHeader('content-type', 'application/json');
        res.setHeader('cache-control', 'no-cache');
        res.end(body ?? JSON.stringify({ error: 'no_config', message: 'set FOYER_CONFIG=<file.yaml>' }));
      });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [svelte(), devConfigJson()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The web server caches everything in here forever, so only content-hashed files may go here.
    assetsDir: 'assets',
  },
});
