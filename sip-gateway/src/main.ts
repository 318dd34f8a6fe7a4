// The Foyer sip-gateway: conference host (Janus control; SIP dial-in and the browser
// conference WebSocket build on it). See sip-gateway/README.md.
import { configPathFromArgs, loadConfig } from '@foyer/config';
import { createLogger, listen, migrate, openDatabase, runService } from '@foyer/common';
import { BridgeEvents, buildGatewayHttp } from './http.ts';
import { JanusService } from './janus/janus-service.ts';
import { createMetrics } from './metrics.ts';
import { migrations, MIGRATIONS_TABLE } from './store/migrations.ts';

await runService('sip-gateway', async (onStop) => {
  const { config } = loadConfig(configPathFromArgs(process.argv));
  const cfg = config.gateway;
  const log = createLogger('sip-gateway', cfg.logLevel);

  const db = openDatabase(cfg.database);
  onStop(() => db.destroy());
  const applied = await migrate(db, migrations, MIGRATIONS_TABLE);
  if (applied.length) log.info({ applied }, 'database migrated');

  const janus = new JanusService({ url: cfg.janus.url, apiSecret: cfg.janus.apiSecret, log });
  onStop(() => janus.stop());
  await janus.start();

  const metrics = createMetrics();
  const bridgeEvents = new BridgeEvents();
  const http = buildGatewayHttp({ secret: config.internalApi.secret, janus, metrics, log, bridgeEvents });
  onStop(() => http.close());
  await listen(http, cfg.listen.bind, cfg.listen.port);
  log.info({ listen: cfg.listen, janus: janus.connected }, 'sip-gateway ready');
  return log;
});
