// scripts/stack up [--db postgres|embedded] [--partner] [--media single|cluster] | down | status | start|stop|restart <service> | reset
// The whole Foyer system on loopback with generated config. See README.md (and
// docs/federation.md for --partner, a second homeserver federating with ours).
import { rmSync, writeFileSync, existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { StackError } from './errors.ts';
import {
  appserviceUrl,
  bridgeApiUrl,
  BOT_LOCALPART,
  ensureRegistration,
  startFoyerService,
  webUrl,
  writeFoyerConfig,
} from './foyer.ts';
import {
  gatewayUrl,
  stackLayout,
  tcpPorts,
  udpPorts,
  type DbMode,
  type MediaMode,
  type StackLayout,
} from './layout.ts';
import { livekitInfo, livekitNodes, mediaMode, startLivekit, startRedis } from './livekit.ts';
import { pgHome, postgresUrl, startPostgres } from './postgres.ts';
import { logFile, portAnswers, portFree, runningPid, stopProcess, udpFree } from './proc.ts';
import { assertPortsMatch, initState, loadState, saveState, type StackState } from './state.ts';
import {
  ensureBotAdmin,
  federationUrl,
  homeserverUrl,
  login,
  partnerHomeserverUrl,
  registerUser,
  waitForBackgroundUpdates,
  startSynapse,
} from './synapse.ts';
import { caFile } from './tls.ts';

/** Start order; stopped in reverse. */
const SERVICES = [
  'postgres',
  'synapse',
  'partner-synapse',
  'redis',
  'livekit',
  'livekit-2',
  'bridge',
  'sip-gateway',
  'web',
] as const;
type Service = (typeof SERVICES)[number];
const MEDIA_SERVICES: readonly Service[] = ['redis', 'livekit', 'livekit-2'];

/** A service's TCP ports, and the single UDP ports it binds (checked free before it starts). */
function portsOf(l: StackLayout, s: StackState, name: Service): { tcp: number[]; udp?: number[] } {
  const p = l.ports;
  const node = (service: string) => livekitNodes(l, 'cluster').find((n) => n.service === service);
  const lk = (service: string) => {
    const n = node(service);
    return n ? { tcp: [n.port, n.rtcTcpPort], udp: [n.udpPort] } : { tcp: [] };
  };
  return {
    postgres: { tcp: [p.postgres] },
    synapse: { tcp: s.partner ? [p.synapse, p.synapseFederation] : [p.synapse] },
    'partner-synapse': { tcp: [p.partnerSynapse, p.partnerFederation] },
    redis: { tcp: [p.redis] },
    livekit: lk('livekit'),
    'livekit-2': lk('livekit-2'),
    bridge: { tcp: [p.appservice, p.bridgeApi] },
    'sip-gateway': { tcp: [p.gateway, p.sip] },
    web: { tcp: [p.web] },
  }[name];
}

function enabled(s: StackState, name: Service): boolean {
  if (name === 'postgres') return s.db === 'postgres';
  if (name === 'partner-synapse') return s.partner !== undefined;
  if (name === 'redis' || name === 'livekit-2') return mediaMode(s) === 'cluster';
  return true;
}

async function startService(l: StackLayout, s: StackState, name: Service): Promise<void> {
  const ports = portsOf(l, s, name);
  for (const port of ports.tcp) {
    if (!(await portFree(port))) {
      throw new StackError(
        `${name}: port ${port} on ${l.host} is already in use (another stack? try "scripts/stack status", or set FOYER_PORT_BASE)`,
      );
    }
  }
  for (const port of ports.udp ?? []) {
    if (!(await udpFree(port))) {
      throw new StackError(
        `${name}: UDP port ${port} is already in use (another stack? try "scripts/stack status", or set FOYER_PORT_BASE)`,
      );
    }
  }
  switch (name) {
    case 'postgres':
      return startPostgres(l, s);
    case 'synapse':
    case 'partner-synapse':
      return startSynapse(l, s, name);
    case 'redis':
      return startRedis(l, s);
    case 'livekit':
    case 'livekit-2':
      return startLivekit(l, s, name);
    default:
      return startFoyerService(l, name);
  }
}

async function prepareAccounts(l: StackLayout, s: StackState, asToken: string): Promise<void> {
  const hs = homeserverUrl(l);
  if (!s.accounts.admin) {
    const password = crypto.randomUUID();
    const r = await registerUser(hs, s.secrets.registrationShared, 'admin', password, true);
    s.accounts.admin = { userId: r.user_id, password, accessToken: r.access_token };
  }
  if (!s.accounts.demo) {
    const password = crypto.randomUUID();
    const r = await registerUser(hs, s.secrets.registrationShared, 'demo', password, false);
    s.accounts.demo = { userId: r.user_id, password };
  }
  saveState(l, s);
  let adminToken = s.accounts.admin.accessToken;
  try {
    await ensureBotAdmin(hs, asToken, BOT_LOCALPART, `@${BOT_LOCALPART}:${s.serverName}`, adminToken);
  } catch {
    adminToken = (await login(hs, 'admin', s.accounts.admin.password)).access_token;
    s.accounts.admin.accessToken = adminToken;
    saveState(l, s);
    await ensureBotAdmin(hs, asToken, BOT_LOCALPART, `@${BOT_LOCALPART}:${s.serverName}`, adminToken);
  }
  if (!(await waitForBackgroundUpdates(hs, adminToken)))
    console.warn('  synapse: background updates still running after 2 min (user search may miss new users)');
}

/** The partner's demo account, for trying federation by hand (e.g. in a second Element tab). */
async function preparePartnerAccounts(l: StackLayout, s: StackState): Promise<void> {
  if (!s.partner || s.partner.accounts.demo) return;
  const password = crypto.randomUUID();
  const r = await registerUser(partnerHomeserverUrl(l), s.partner.secrets.registrationShared, 'demo', password, false);
  s.partner.accounts.demo = { userId: r.user_id, password };
  saveState(l, s);
}

function partnerInfo(l: StackLayout, s: StackState) {
  if (!s.partner) return {};
  return {
    federationUrl: federationUrl(s.serverName),
    caFile: caFile(l),
    partner: {
      homeserverUrl: partnerHomeserverUrl(l),
      federationUrl: federationUrl(s.partner.serverName),
      serverName: s.partner.serverName,
      registrationSharedSecret: s.partner.secrets.registrationShared,
      caFile: caFile(l),
      accounts: { demo: s.partner.accounts.demo },
    },
  };
}

function writeStackJson(l: StackLayout, s: StackState): void {
  const info = {
    homeserverUrl: homeserverUrl(l),
    serverName: s.serverName,
    registrationSharedSecret: s.secrets.registrationShared,
    botUserId: `@${BOT_LOCALPART}:${s.serverName}`,
    webUrl: webUrl(l),
    sip: { host: l.host, port: l.ports.sip },
    dialInNumber: s.dialInNumber,
    db: s.db,
    configFile: l.configFile,
    registrationFile: l.registrationFile,
    logs: l.logs,
    appserviceUrl: appserviceUrl(l),
    bridgeApiUrl: bridgeApiUrl(l),
    gatewayUrl: gatewayUrl(l),
    internalApiSecret: s.secrets.internalApi,
    livekit: livekitInfo(l, s),
    postgres: s.db === 'postgres' ? { adminUrl: postgresUrl(l, s, 'postgres') } : null,
    rtp: l.rtp,
    accounts: {
      demo: s.accounts.demo,
      admin: s.accounts.admin && { userId: s.accounts.admin.userId, password: s.accounts.admin.password },
    },
    ...partnerInfo(l, s),
  };
  writeFileSync(l.stackJson, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

/** The stack's state, new or as created; refuses options that contradict it (nothing is stopped then). */
function stateForUp(
  l: StackLayout,
  db: DbMode | undefined,
  partner: boolean,
  media: MediaMode | undefined,
): StackState {
  // A new stack must not pick up a cluster a deleted one left in the temp folder.
  if (!loadState(l)) rmSync(pgHome(l), { recursive: true, force: true });
  const s = initState(l, db, partner);
  // The media plane keeps no data: it may change between runs, but not under running nodes.
  if (media && media !== mediaMode(s)) {
    const running = MEDIA_SERVICES.filter((n) => runningPid(l, n));
    if (running.length)
      throw new StackError(
        `the stack in ${l.dir} runs --media ${mediaMode(s)} (${running.join(', ')}); run "scripts/stack down" first to switch to --media ${media}`,
      );
    s.media = media;
    saveState(l, s);
  } else if (!s.media) {
    s.media = mediaMode(s);
    saveState(l, s);
  }
  return s;
}

async function up(l: StackLayout, s: StackState): Promise<void> {
  const reg = ensureRegistration(l);
  writeFoyerConfig(l, s);
  for (const name of SERVICES) {
    if (!enabled(s, name)) continue;
    if (runningPid(l, name)) {
      console.log(`  ${name.padEnd(15)} already running`);
      continue;
    }
    const t0 = Date.now();
    process.stdout.write(`  ${name.padEnd(15)} starting…`);
    try {
      await startService(l, s, name);
    } catch (err) {
      process.stdout.write(' failed\n');
      throw err;
    }
    process.stdout.write(` up (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    if (name === 'synapse') await prepareAccounts(l, s, reg.as_token);
    if (name === 'partner-synapse') await preparePartnerAccounts(l, s);
  }
  writeStackJson(l, s);
  const demo = s.accounts.demo;
  const p = s.partner;
  const partnerLines = p
    ? `
  Partner:     ${partnerHomeserverUrl(l)}  (server name ${p.serverName}, federating over HTTPS)
  Partner user: ${p.accounts.demo?.userId ?? '?'}  password ${p.accounts.demo?.password ?? '?'}`
    : '';
  console.log(`
Foyer is running (${s.db === 'postgres' ? 'Postgres' : 'SQLite + embedded PGlite'}).
  Client:      ${webUrl(l)}
  LiveKit:     ${livekitNodes(l, mediaMode(s))
    .map((n) => `ws://${l.host}:${n.port}`)
    .join(', ')}${mediaMode(s) === 'cluster' ? `  (cluster: Redis on ${l.host}:${l.ports.redis})` : ''}
  Homeserver:  ${homeserverUrl(l)}  (server name ${s.serverName})
  Dial-in:     sip:${s.dialInNumber.replace(/[^+0-9]/g, '')}@${l.host}:${l.ports.sip}
  Test user:   ${demo?.userId ?? '?'}  password ${demo?.password ?? '?'}${partnerLines}
  Details:     ${l.stackJson}   Logs: ${l.logs}/
Stop with: scripts/stack down`);
}

async function down(l: StackLayout): Promise<void> {
  for (const name of [...SERVICES].reverse()) {
    // Postgres: SIGINT is its "fast" shutdown (SIGTERM would wait for clients to leave).
    const stopped = await stopProcess(l, name, stopSignal(name));
    if (stopped) console.log(`  ${name.padEnd(15)} stopped`);
  }
  const left: string[] = [];
  for (const port of tcpPorts(l)) if (await portAnswers(port)) left.push(String(port));
  for (const port of udpPorts(l)) if (!(await udpFree(port))) left.push(`${port}/udp`);
  if (left.length) console.log(`  warning: something still listens on ${left.join(', ')} (not started by this stack?)`);
}

async function status(l: StackLayout): Promise<number> {
  const s = loadState(l);
  if (!s) {
    console.log(`no stack in ${l.dir} (start one with: scripts/stack up)`);
    return 3;
  }
  let running = 0;
  for (const name of SERVICES) {
    if (!enabled(s, name)) continue;
    const pid = runningPid(l, name);
    if (pid) running++;
    console.log(`  ${name.padEnd(15)} ${pid ? `running (pid ${pid})` : 'stopped'}   log: ${logFile(l, name)}`);
  }
  return running > 0 ? 0 : 3;
}

function serviceArg(s: StackState, name: string | undefined): Service {
  const names = SERVICES.filter((n) => enabled(s, n));
  if (!name || !(names as readonly string[]).includes(name)) throw new StackError(`name one of: ${names.join(', ')}`);
  return name as Service;
}

const stopSignal = (name: Service): NodeJS.Signals => (name === 'postgres' ? 'SIGINT' : 'SIGTERM');

async function single(l: StackLayout, action: 'start' | 'stop' | 'restart', arg: string | undefined): Promise<void> {
  const s = loadState(l);
  if (!s) throw new StackError('no stack here; run scripts/stack up');
  assertPortsMatch(l, s);
  const name = serviceArg(s, arg);
  if (action !== 'start') {
    const stopped = await stopProcess(l, name, stopSignal(name));
    console.log(`  ${name} ${stopped ? 'stopped' : 'was not running'}`);
  }
  if (action !== 'stop') {
    if (runningPid(l, name)) {
      console.log(`  ${name} already running`);
      return;
    }
    writeFoyerConfig(l, s);
    await startService(l, s, name);
    console.log(`  ${name} started`);
  }
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      partner: { type: 'boolean' },
      media: { type: 'string' },
      // Known only to be refused with the reason (parseArgs alone would say "unknown option").
      plane: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, arg] = positionals;
  const l = stackLayout();
  if (values.db !== undefined && values.db !== 'postgres' && values.db !== 'embedded') {
    throw new StackError('--db takes "postgres" or "embedded"');
  }
  if (values.media !== undefined && values.media !== 'single' && values.media !== 'cluster') {
    throw new StackError('--media takes "single" or "cluster"');
  }
  if (values.plane !== undefined) {
    throw new StackError('--plane is gone: Janus was retired, LiveKit is the only media plane');
  }
  switch (cmd) {
    case 'up': {
      const s = stateForUp(l, values.db as DbMode | undefined, values.partner === true, values.media as MediaMode);
      try {
        await up(l, s);
      } catch (err) {
        console.error('\nstopping what was started…');
        await down(l);
        throw err;
      }
      return 0;
    }
    case 'down':
      await down(l);
      return 0;
    case 'status':
      return status(l);
    case 'start':
    case 'stop':
    case 'restart':
      await single(l, cmd, arg);
      return 0;
    case 'reset':
      await down(l);
      rmSync(l.dir, { recursive: true, force: true });
      rmSync(pgHome(l), { recursive: true, force: true });
      if (existsSync(l.registrationFile) && l.registrationFile.startsWith(l.root))
        rmSync(l.registrationFile, { force: true });
      console.log(`  removed ${l.dir}`);
      return 0;
    default:
      console.log(`usage: scripts/stack up [--db postgres|embedded] [--partner] [--media single|cluster]
                   | down | status | start|stop|restart <service> | reset
  up               install what is missing (scripts/setup --quick), then start every service and
                   print the client URL, dial-in URI and test account
  --db             postgres, or embedded (SQLite + PGlite, the default; fixed at creation)
  --partner        also run a second homeserver federating with ours over loopback (fixed at creation)
  --media          single: one LiveKit node (the default); cluster: two LiveKit nodes sharing a
                   Redis (kept for later ups; switch after scripts/stack down). Browsers join the
                   group's LiveKit room, phone callers through the gateway's media agent
  FOYER_STACK_DIR  stack folder (default .stack)    FOYER_PORT_BASE  first port (default 18000)
  FOYER_MAX_GUESTS web guests at once (licence cap, default 25)
  FOYER_BOT_LOCALPART the bot's localpart (default foyer; fixed at creation, the tests use lobby)`);
      return cmd === undefined || values.help ? 0 : 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof StackError ? `stack: ${err.message}` : err);
    process.exit(1);
  },
);
