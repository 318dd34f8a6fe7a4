// The Foyer bridge: the Matrix application service. See bridge/README.md.
import { configPathFromArgs, listenerUrl, loadConfig, loadRegistration } from '@foyer/config';
import { botUserIdOf, createLogger, listen, migrate, openDatabase, runService } from '@foyer/common';
import { Inbox } from './appservice/inbox.ts';
import { buildAppservice } from './appservice/server.ts';
import { Outbox } from './chat/outbox.ts';
import { GatewayWatch } from './gateway-health.ts';
import { HttpGatewayNotifier } from './gateway-notifier.ts';
import { GroupManager } from './groups/group-manager.ts';
import { Identities } from './groups/identity.ts';
import { Admissions } from './admission.ts';
import { buildInternalApi } from './internal-api.ts';
import { FixedRooms } from './rooms/fixed-rooms.ts';
import { MatrixApi } from './matrix/api.ts';
import { createBotClient } from './matrix/bot.ts';
import { createMetrics, watchBacklog } from './metrics.ts';
import { KnexBridgeStore } from './store/knex-store.ts';
import { migrations, MIGRATIONS_TABLE } from './store/migrations.ts';

const TXN_RETENTION_MS = 7 * 24 * 3600 * 1000;

await runService('bridge', async (onStop) => {
  const { config } = loadConfig(configPathFromArgs(process.argv));
  const registration = loadRegistration(config.appservice.registration);
  const cfg = config.bridge;
  const log = createLogger('bridge', cfg.logLevel);
  const botUserId = botUserIdOf(config.appservice.botLocalpart, config.homeserver.serverName);
  if (registration.sender_localpart !== config.appservice.botLocalpart) {
    log.warn(
      { registration: registration.sender_localpart },
      'appservice.botLocalpart differs from the registration sender_localpart',
    );
  }

  const db = openDatabase(cfg.database);
  onStop(() => db.destroy());
  const applied = await migrate(db, migrations, MIGRATIONS_TABLE);
  if (applied.length) log.info({ applied }, 'database migrated');
  const store = new KnexBridgeStore(db);

  const metrics = createMetrics();
  const api = new MatrixApi(
    createBotClient({ homeserverUrl: config.homeserver.url, asToken: registration.as_token, userId: botUserId, log }),
    botUserId,
  );
  const ids = new Identities(botUserId, config.homeserver.serverName);
  const gatewayUrl = cfg.gatewayUrl ?? listenerUrl(config.gateway.listen);
  const gateway = new HttpGatewayNotifier({
    gatewayUrl,
    secret: config.internalApi.secret,
    log,
  });
  const groups = new GroupManager({
    api,
    store,
    ids,
    gateway,
    log,
    dialInNumber: config.gateway.dialInNumber,
    webUrl: config.web.publicUrl,
    pinDigits: cfg.pinDigits,
    maskCallerNumbers: cfg.maskCallerNumbers,
    deleteEmptyGroups: cfg.deleteEmptyGroups,
  });
  onStop(() => groups.stop());
  const fixedRooms = new FixedRooms({
    store,
    groups,
    ids,
    gateway,
    log,
    pinDigits: cfg.pinDigits,
    lobbyNumber: config.gateway.dialInNumber,
    promptsDir: config.gateway.ivr.promptsDir,
    alwaysInvite: cfg.fixedRooms.invite,
  });
  if (!config.adminApi) log.info('admin API off (no adminApi.secret in the config)');
  else if (config.adminApi.secret === config.internalApi.secret)
    log.warn('adminApi.secret equals internalApi.secret: the gateway could administer fixed rooms; give it its own');
  const outbox = new Outbox({ store, api, log, rejoin: (roomId, userId) => groups.joinVirtualUser(roomId, userId) });
  onStop(() => outbox.stop());

  // Synapse's events, recorded before it is answered, processed per room from here.
  const inbox = new Inbox({
    store,
    log: log.child({ part: 'inbox' }),
    handle: (e) => groups.handle(e),
    onProcessed: (outcome) => {
      if (outcome === 'failed') metrics.events.inc({ type: 'failed' });
    },
    onSpill: () => metrics.inboxSpills.inc(),
  });
  watchBacklog(metrics, { inboxRooms: () => inbox.busyRooms, puppets: () => groups.puppetBacklog() });
  onStop(() => inbox.stop());
  await inbox.resume(); // what was recorded before a restart is processed now

  const appservice = buildAppservice({
    hsToken: registration.hs_token,
    store,
    metrics,
    log,
    accept: (entries) => inbox.accept(entries),
    userExists: async (userId) => userId === botUserId,
  });
  onStop(() => appservice.close());
  const internal = buildInternalApi({
    secret: config.internalApi.secret,
    metrics,
    log,
    groups,
    outbox,
    maxMessageLength: cfg.maxMessageLength,
    fixedRooms,
    // Partners of these servers moderate like staff: the bridge decides roles for every way in.
    admissions: new Admissions({ groups, rooms: fixedRooms, trustedServers: config.gateway.federation.trustedServers }),
    adminSecret: config.adminApi?.secret,
  });
  onStop(() => internal.close());

  await listen(appservice, config.appservice.listen.bind, config.appservice.listen.port);
  await listen(internal, cfg.listen.bind, cfg.listen.port);
  outbox.kick(); // messages queued before a restart go out now
  // A gateway that stops answering takes its conferences with it: the rooms say so.
  const watch = new GatewayWatch({
    gatewayUrl,
    secret: config.internalApi.secret,
    intervalMs: cfg.gatewayHealth.intervalSeconds * 1000,
    failuresBeforeDown: cfg.gatewayHealth.failuresBeforeDown,
    conferences: groups,
    log,
    gauge: metrics.gatewayUp,
  });
  watch.start();
  onStop(() => watch.stop());

  const prune = setInterval(() => {
    store
      .pruneTransactions(new Date(Date.now() - TXN_RETENTION_MS))
      .catch((err: unknown) => log.warn({ err }, 'pruning transactions failed'));
  }, 3600_000);
  prune.unref();
  onStop(() => clearInterval(prune));

  log.info({ botUserId, appservice: config.appservice.listen, internal: cfg.listen }, 'bridge ready');
  return log;
});
