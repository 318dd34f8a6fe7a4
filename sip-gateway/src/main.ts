// The Foyer sip-gateway: conference host. SIP dial-in with the PIN IVR and an RTP relay per
// call, the LiveKit media plane (callers through the media agent, browsers with tokens minted
// here), the conference WebSocket.
// See sip-gateway/README.md.
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import websocket from '@fastify/websocket';
import { configPathFromArgs, listenerUrl, loadConfig } from '@foyer/config';
import { createLogger, listen, migrate, openDatabase, runService } from '@foyer/common';
import { HomeserverOpenIdVerifier } from './auth/openid.ts';
import { ServerDiscovery } from './auth/server-discovery.ts';
import { BridgeClient } from './bridge-client.ts';
import { CallHandler } from './calls.ts';
import { ConferenceManager } from './conference/manager.ts';
import { registerConferenceSocket } from './conference/ws.ts';
import { CallMembers } from './matrixrtc/call-members.ts';
import { registerTokenService } from './matrixrtc/token-service.ts';
import { BridgeEvents, buildGatewayHttp } from './http.ts';
import { Prompts } from './ivr/prompts.ts';
import { PinGuard } from './ivr/pin-guard.ts';
import { AttemptThrottle } from './ivr/throttle.ts';
import { AgentMix } from './livekit/agent-mix.ts';
import { LiveKitBrowsers } from './livekit/livekit-browsers.ts';
import { RelayHost } from './media/relay-host.ts';
import { createMetrics } from './metrics.ts';
import { createSipServer } from './sip/server.ts';
import { migrations, MIGRATIONS_TABLE } from './store/migrations.ts';
import { KnexActiveCallStore } from './store/active-calls.ts';
import type { DialogSnapshot } from './sip/dialog.ts';

/** Hellos of one client address being checked at once (a page says hello once per connection). */
const HELLOS_IN_FLIGHT_PER_CLIENT = 8;

await runService('sip-gateway', async (onStop) => {
  const { config } = loadConfig(configPathFromArgs(process.argv));
  const cfg = config.gateway;
  const log = createLogger('sip-gateway', cfg.logLevel);
  const prompts = Prompts.load({ dir: cfg.ivr.promptsDir, language: cfg.ivr.language, holdMusic: cfg.ivr.holdMusic });

  const db = openDatabase(cfg.database);
  onStop(() => db.destroy());
  const applied = await migrate(db, migrations, MIGRATIONS_TABLE);
  if (applied.length) log.info({ applied }, 'database migrated');

  const bridge = new BridgeClient(cfg.bridgeUrl ?? listenerUrl(config.bridge.listen), config.internalApi.secret);
  const rtpBind = cfg.rtp.bind ?? cfg.sip.bind;
  // The media agent is the gateway's child process: it meets the relay's mix side on this host,
  // at the relay's address (loopback when the relay listens on every address). The agent needs an
  // IP: a name is resolved once.
  const mixFacing = (await lookup(rtpBind === '0.0.0.0' ? '127.0.0.1' : rtpBind, { family: 4 })).address;
  const livekit = cfg.livekit;
  const browsers = new LiveKitBrowsers({
    url: livekit.url,
    publicUrl: livekit.publicUrl ?? livekit.url,
    apiKey: livekit.apiKey,
    apiSecret: livekit.apiSecret,
    serverName: config.homeserver.serverName,
    log: log.child({ part: 'livekit-browsers' }),
  });
  onStop(() => browsers.stop());
  await browsers.start();
  const mix = new AgentMix({
    binary: livekit.agentBinary ?? fileURLToPath(new URL('../../.tools/bin/foyer-media-agent', import.meta.url)),
    livekit: { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
    serverName: config.homeserver.serverName,
    relayAddress: mixFacing,
    bindAddress: mixFacing,
    ...(livekit.agentPorts ?? {}),
    agentId: `${cfg.listen.port}`,
    log: log.child({ part: 'media-agent' }),
  });
  onStop(() => mix.stop());
  await mix.start();
  const conferences = new ConferenceManager({ browsers, mix, bridge, prompts, log });
  onStop(() => conferences.shutdown());
  // Conferences live in this process: whatever the bridge shows from before a restart is over.
  await bridge
    .resetConferences()
    .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not reset conferences at the bridge'));

  const bridgeEvents = new BridgeEvents();
  bridgeEvents.on('notification', (n) => {
    conferences
      .onBridgeNotification(n)
      .catch((err: unknown) =>
        log.error({ err: (err as Error).message, type: n.type }, 'notification handling failed'),
      );
  });

  const metrics = createMetrics();
  const http = buildGatewayHttp({
    secret: config.internalApi.secret,
    browsers,
    mix,
    livekitWebhook: browsers.webhook.bind(browsers),
    metrics,
    log,
    bridgeEvents,
    trustedProxies: cfg.conference.trustedProxies,
    conferences: () => ({ conferences: conferences.all().map((c) => ({ roomId: c.roomId, report: c.snapshot() })) }),
  });
  await http.register(websocket, { options: { maxPayload: 64 * 1024 } });
  const openid = new HomeserverOpenIdVerifier({
    serverName: config.homeserver.serverName,
    homeserverUrl: config.homeserver.url,
    discovery: new ServerDiscovery({
      allowPrivateAddresses: cfg.federation.allowPrivateAddresses,
      ...(cfg.federation.caFile ? { extraCa: readFileSync(cfg.federation.caFile, 'utf8') } : {}),
    }),
  });
  // Per client address only: a total limit would let one client lock everyone else out.
  const openIdThrottle = () =>
    new AttemptThrottle({
      maxFailures: cfg.conference.maxLinkFailures,
      windowSeconds: cfg.conference.linkFailureWindowSeconds,
      maxInFlight: HELLOS_IN_FLIGHT_PER_CLIENT,
    });
  registerConferenceSocket(http, {
    conferences,
    bridge,
    openid,
    prompts,
    browsers,
    log,
    maxGuests: cfg.conference.maxGuests,
    helloThrottle: openIdThrottle(),
    allowedOrigins: [new URL(config.web.publicUrl).origin],
  });
  // Element Call's token requests (the homeserver's MatrixRTC transport points here).
  registerTokenService(http, {
    openid,
    bridge,
    conferences,
    livekit: browsers,
    members: new CallMembers({ livekit: browsers, conferences, log: log.child({ part: 'call-members' }) }),
    throttle: openIdThrottle(),
    log,
  });
  onStop(() => http.close());

  const activeCalls = new KnexActiveCallStore(db);
  // Every call's RTP relay runs in one worker thread, off this event loop.
  const relays = new RelayHost({ bind: rtpBind, portMin: cfg.rtp.portMin, portMax: cfg.rtp.portMax, log });
  onStop(() => relays.stop());
  await relays.start();
  const calls = new CallHandler({
    activeCalls,
    log,
    relays,
    publicAddress: cfg.sip.publicAddress ?? rtpBind,
    bridge,
    conferences,
    mix,
    prompts,
    guard: new PinGuard(cfg.throttle),
    maxPinAttempts: cfg.ivr.maxPinAttempts,
    inputTimeoutMs: cfg.ivr.inputTimeoutSeconds * 1000,
    mediaTimeoutMs: cfg.rtp.timeoutSeconds * 1000,
  });
  const sip = await createSipServer({
    bind: cfg.sip.bind,
    port: cfg.sip.port,
    transports: cfg.sip.transports,
    publicAddress: cfg.sip.publicAddress,
    tls: cfg.sip.tls,
    trunks: cfg.trunks,
    log,
    limits: {
      maxConnections: cfg.sip.limits.maxConnections,
      maxConnectionsPerSource: cfg.sip.limits.maxConnectionsPerSource,
      idleMs: cfg.sip.limits.idleSeconds * 1000,
      idleAfterMessageMs: cfg.sip.limits.idleSecondsAfterMessage * 1000,
      maxMessageBytes: cfg.sip.limits.maxMessageBytes,
      maxHeaders: cfg.sip.limits.maxHeaders,
    },
  });
  sip.on('call', (call) => calls.handle(call));
  // Calls answered before a restart: their callers hear nothing any more, so end them properly.
  const leftOver = await activeCalls.all();
  for (const { callId, dialog } of leftOver) {
    const status = await Promise.race([
      sip.byeFromSnapshot(dialog as DialogSnapshot),
      new Promise<number>((r) => setTimeout(() => r(0), 5000)),
    ]).catch(() => 0);
    await activeCalls.forget(callId);
    log.info({ callId, status }, 'ended a call left over from before the restart');
  }
  metrics.relays.list = () => calls.relayStats();
  metrics.relays.clock = () => relays.clock;
  metrics.mediaAgent.stats = () => mix.stats;
  metrics.livekitBrowsers.stats = () => browsers.stats;
  onStop(async () => {
    calls.hangupAll('gateway stopping');
    await new Promise((r) => setTimeout(r, 200)); // let the BYEs leave
    await sip.close();
  });

  await listen(http, cfg.listen.bind, cfg.listen.port);
  log.info(
    {
      listen: cfg.listen,
      sip: { bind: cfg.sip.bind, port: cfg.sip.port, transports: cfg.sip.transports },
      browsers: browsers.available,
      callers: mix.available,
    },
    'sip-gateway ready',
  );
  return log;
});
