// The Foyer bridge: the Matrix application service. See bridge/README.md.
import { configPathFromArgs, loadConfig, loadRegistration } from '@foyer/config';
import { createLogger, listen, migrate, openDatabase, runService } from '@foyer/common';
import { buildAppservice } from './appservice/server.ts';
import { GroupEventHandler } from './groups.ts';
import { buildInternalApi } from './internal-api.ts';
import { createBotClient } from './matrix/bot.ts';
import { createMetrics } from './metrics.ts';
import { KnexBridgeStore } from './store/knex-store.ts';
import { migrations, MIGRATIONS_TABLE } from './store/migrations.ts';

const TXN_RETENTION_MS = 7 * 24 * 3600 * 1000;

await runService('bridge', async (onStop) => {
  const { config } = loadConfig(configPathFromArgs(process.argv));
  const registration = loadRegistration(config.appservice.registration);
  const log = createLogger('bridge', config.bridge.logLevel);
  const botUserId = `@${config.appservice.botLocalpart}:${config.homeserver.serverName}`;
  if (registration.sender_localpart !== config.appservice.botLocalpart) {
    log.warn(
      { registration: registration.sender_localpart },
      'appservice.botLocalpart differs from the registration sender_localpart',
    );
  }

  const db = openDatabase(config.bridge.database);
  onStop(() => db.destroy());
  const applied = await migrate(db, migrations, MIGRATIONS_TABLE);
  if (applied.length) log.info({ applied }, 'database migrated');
  const store = new KnexBridgeStore(db);

  const metrics = createMetrics();
  const bot = createBotClient({
    homeserverUrl: config.homeserver.url,
    asToken: registration.as_token,
    userId: botUserId,
    log,
  });
  const groups = new GroupEventHandler({ bot, botUserId, serverName: config.homeserver.serverName, store, log });

  const appservice = buildAppservice({
    hsToken: registration.hs_token,
    store,
    metrics,
    log,
    onEvent: (e) => groups.handle(e),
    userExists: async (userId) => userId === botUserId,
  });
  onStop(() => appservice.close());
  const internal = buildInternalApi({ secret: config.internalApi.secret, metrics, log });
  onStop(() => internal.close());

  await listen(appservice, config.appservice.listen.bind, config.appservice.listen.port);
  await listen(internal, config.bridge.listen.bind, config.bridge.listen.port);

  const prune = setInterval(() => {
    store
      .pruneTransactions(new Date(Date.now() - TXN_RETENTION_MS))
      .catch((err: unknown) => log.warn({ err }, 'pruning transactions failed'));
  }, 3600_000);
  prune.unref();
  onStop(() => clearInterval(prune));

  log.info({ botUserId, appservice: config.appservice.listen, internal: config.bridge.listen }, 'bridge ready');
  return log;
});
