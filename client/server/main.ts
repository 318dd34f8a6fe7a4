// Entry point: node client/server/main.ts --config <file.yaml>   (or FOYER_CONFIG=<file.yaml>)
import { resolve } from 'node:path';
import { createLogger, listen, runService } from '@foyer/common';
import { configPathFromArgs, loadConfig } from '@foyer/config';
import { buildWebApp } from './app.ts';

/** Where `vite build` writes the app (see vite.config.ts). */
const distDir = resolve(import.meta.dirname, '../dist');

await runService('web', async (onStop) => {
  // The whole file is validated, not just the web section, so a mistake elsewhere shows up now.
  const { config } = loadConfig(configPathFromArgs(process.argv));
  const log = createLogger('web', config.web.logLevel);
  const app = buildWebApp({ config, distDir, log });
  onStop(() => app.close());
  const address = await listen(app, config.web.listen.bind, config.web.listen.port);
  log.info({ ...address, publicUrl: config.web.publicUrl }, 'web server listening');
  return log;
});
