// Our own services in the stack: the generated deployment config (.stack/foyer.yaml), the
// appservice registration, and the bridge, gateway and web server processes.
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import {
  generateRegistration,
  loadRegistration,
  registrationYaml,
  type FoyerConfigInput,
  type Registration,
} from '@foyer/config';
import { DEFAULT_BOT_LOCALPART } from '@foyer/common/matrix-ids';
import { StackError } from './errors.ts';
import { caFile } from './tls.ts';
import { gatewayUrl, stackLayout, type StackLayout } from './layout.ts';
import { postgresUrl } from './postgres.ts';
import { httpOk, startProcess, waitReady } from './proc.ts';
import { homeserverUrl } from './synapse.ts';
import { livekitUrl } from './livekit.ts';
import { stackBotLocalpart, type StackState } from './state.ts';

/**
 * The bridge's bot in this stack (FOYER_STACK_DIR): chosen with FOYER_BOT_LOCALPART at its first
 * start, then kept in state.json (see stackBotLocalpart). Read once, when the command starts.
 */
export const BOT_LOCALPART = botLocalpartAtStart();

function botLocalpartAtStart(): string {
  try {
    return stackBotLocalpart(stackLayout());
  } catch {
    return DEFAULT_BOT_LOCALPART; // a wrong FOYER_PORT_BASE: the command itself says so
  }
}

export const appserviceUrl = (l: StackLayout) => `http://${l.host}:${l.ports.appservice}`;
export const webUrl = (l: StackLayout) => `http://${l.host}:${l.ports.web}`;
export const bridgeApiUrl = (l: StackLayout) => `http://${l.host}:${l.ports.bridgeApi}`;

/** Generate the registration on first start; later starts keep its tokens. */
export function ensureRegistration(l: StackLayout): Registration {
  if (existsSync(l.registrationFile)) {
    const reg = loadRegistration(l.registrationFile);
    if (reg.url === appserviceUrl(l) && reg.sender_localpart === BOT_LOCALPART) return reg;
  }
  const reg = generateRegistration({ url: appserviceUrl(l), botLocalpart: BOT_LOCALPART });
  mkdirSync(dirname(l.registrationFile), { recursive: true });
  writeFileSync(l.registrationFile, registrationYaml(reg), { mode: 0o600 });
  return reg;
}

export function foyerConfig(l: StackLayout, s: StackState): FoyerConfigInput {
  const db = (name: 'bridge' | 'gateway') =>
    s.db === 'postgres'
      ? { kind: 'postgres' as const, url: postgresUrl(l, s, `foyer_${name}`), pool: { min: 0, max: 5 } }
      : { kind: 'pglite' as const, dataDir: join(l.dir, 'data', name) };
  return {
    homeserver: { url: homeserverUrl(l), serverName: s.serverName },
    appservice: {
      registration: l.registrationFile,
      listen: { bind: l.host, port: l.ports.appservice },
      botLocalpart: BOT_LOCALPART,
    },
    internalApi: { secret: s.secrets.internalApi },
    // scripts/foyer-admin: derived from the internal secret (stable, different, no new state).
    adminApi: { secret: createHmac('sha256', s.secrets.internalApi).update('foyer admin api').digest('base64url') },
    bridge: {
      database: db('bridge'),
      listen: { bind: l.host, port: l.ports.bridgeApi },
      deleteEmptyGroups: true,
      maskCallerNumbers: true,
      logLevel: 'info',
    },
    gateway: {
      database: db('gateway'),
      listen: { bind: l.host, port: l.ports.gateway },
      dialInNumber: s.dialInNumber,
      sip: { bind: l.host, port: l.ports.sip, transports: ['udp', 'tcp'] },
      // The local stack takes calls from this machine only (sipp, baresip, softphones); a second
      // loopback address is a second trunk, so a test can flood from one trunk and call through
      // the other (other loopback addresses are no trunk: strangers, for the tests).
      trunks: [
        { name: 'loopback', sourceAddresses: ['127.0.0.1/32'] },
        { name: 'loopback-other', sourceAddresses: ['127.0.0.2/32'] },
      ],
      // The tests enter wrong PINs from this machine on purpose, in many files: a looser
      // per-source limit than the default (10), so they do not block each other.
      throttle: { perSource: { maxFailures: 30, windowSeconds: 600 } },
      ivr: {
        language: 'de',
        promptsDir: join(l.root, '.tools', 'prompts'),
        inputTimeoutSeconds: 15,
        maxPinAttempts: 3,
      },
      rtp: { portMin: l.rtp.gateway[0], portMax: l.rtp.gateway[1] },
      conference: {
        maxGuests: l.maxGuests,
        maxLinkFailures: 20,
        linkFailureWindowSeconds: 600,
        // A stand-in reverse proxy on loopback for the tests (X-Forwarded-For believed from it alone).
        trustedProxies: ['127.0.0.4'],
      },
      // Partner mode: the partner homeserver is on loopback, with the stack's own CA.
      ...(s.partner ? { federation: { trustedServers: [], allowPrivateAddresses: true, caFile: caFile(l) } } : {}),
      livekit: {
        url: livekitUrl(l),
        apiKey: s.secrets.livekitKey,
        apiSecret: s.secrets.livekitSecret,
        // The media agent's plain-RTP mix legs: their own range, apart from the gateway's relay.
        agentPorts: { portMin: l.rtp.mediaAgent[0], portMax: l.rtp.mediaAgent[1] },
      },
      logLevel: 'info',
    },
    web: { listen: { bind: l.host, port: l.ports.web }, publicUrl: webUrl(l), logLevel: 'info' },
  };
}

export function writeFoyerConfig(l: StackLayout, s: StackState): void {
  const text = `# Generated by scripts/stack at every start; edit config/foyer.sample.yaml for real deployments.\n${stringify(foyerConfig(l, s))}`;
  writeFileSync(l.configFile, text, { mode: 0o600 });
}

export const FOYER_SERVICES = {
  bridge: { entry: 'bridge/src/main.ts', health: (l: StackLayout) => `${bridgeApiUrl(l)}/health` },
  'sip-gateway': { entry: 'sip-gateway/src/main.ts', health: (l: StackLayout) => `${gatewayUrl(l)}/health` },
  web: { entry: 'client/server/main.ts', health: (l: StackLayout) => `${webUrl(l)}/health` },
} as const;
export type FoyerService = keyof typeof FOYER_SERVICES;

/** The web server serves client/dist: build it when a fresh checkout has none yet. */
function ensureClientBuild(l: StackLayout): void {
  if (existsSync(join(l.root, 'client', 'dist', 'index.html'))) return;
  process.stdout.write(' (building the client first)');
  const r = spawnSync(process.execPath, [join(l.root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], {
    cwd: join(l.root, 'client'),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new StackError(`web: building the client failed:\n${(r.stderr || r.stdout).slice(-2000)}`);
}

/**
 * Memory of our services when idle (bench/memory.ts, figures in bench/README.md): V8 grows the
 * young generation to 2 × 64 MB on a big machine during a burst and keeps it until a full
 * collection, which an idle service may never run; glibc keeps what V8's compiler threads freed
 * (PGlite's WebAssembly is compiled in the background) unless told to give it back.
 */
const NODE_MEMORY_FLAGS = ['--max-semi-space-size=16'];
const MEMORY_ENV = { MALLOC_TRIM_THRESHOLD_: String(1024 * 1024) };

export async function startFoyerService(l: StackLayout, name: FoyerService): Promise<void> {
  if (name === 'web') ensureClientBuild(l);
  const svc = FOYER_SERVICES[name];
  const args = [...NODE_MEMORY_FLAGS, join(l.root, svc.entry), '--config', l.configFile];
  const pid = startProcess(l, name, process.execPath, args, { env: { ...MEMORY_ENV, ...process.env } });
  await waitReady(l, name, pid, () => httpOk(svc.health(l)), 60_000);
}
