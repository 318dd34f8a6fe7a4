// What integration tests know about the running test stack: its stack.json and config.
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { loadConfig, loadRegistration, type FoyerConfig, type Registration } from '@foyer/config';

export const ROOT = resolve(import.meta.dirname, '..', '..');
/** The test stack's licence: 2 web guests at once, so the conference tests can reach the cap. */
export const TEST_MAX_GUESTS = 2;
/** The test stack's bot is not called foyer: every integration test runs with a configured bot localpart. */
export const TEST_BOT_LOCALPART = 'lobby';

export interface StackInfo {
  homeserverUrl: string;
  serverName: string;
  registrationSharedSecret: string;
  botUserId: string;
  webUrl: string;
  sip: { host: string; port: number };
  dialInNumber: string;
  db: 'postgres' | 'embedded';
  configFile: string;
  registrationFile: string;
  logs: string;
  appserviceUrl: string;
  bridgeApiUrl: string;
  gatewayUrl: string;
  internalApiSecret: string;
  livekit: LivekitInfo;
  postgres: { adminUrl: string } | null;
  accounts: { demo: { userId: string; password: string }; admin: { userId: string; password: string } };
  /** Partner mode (`scripts/stack up --partner`, as the test stack runs): our federation endpoint. */
  federationUrl?: string;
  /** Partner mode: the stack's own CA, which signed both homeservers' federation certificates. */
  caFile?: string;
  /** Partner mode: a second homeserver federating with ours over loopback (HTTPS, the stack's CA). */
  partner?: PartnerInfo;
}

/** The media plane: LiveKit's client URL (node A), its API key and secret, and every node. */
export interface LivekitInfo {
  url: string;
  apiKey: string;
  apiSecret: string;
  mode: 'single' | 'cluster';
  nodes: { service: 'livekit' | 'livekit-2'; url: string; rtcTcpPort: number; udpPort: number }[];
  /** Cluster mode: the Redis the nodes share. */
  redis: { host: string; port: number; password: string } | null;
}

export interface PartnerInfo {
  /** Client-server API, plain HTTP on loopback. */
  homeserverUrl: string;
  /** Federation and OpenID API: https://<serverName>. */
  federationUrl: string;
  serverName: string;
  registrationSharedSecret: string;
  caFile: string;
  /** For trying federation by hand; tests make their own users (newPartnerUser). */
  accounts?: { demo?: { userId: string; password: string } };
}

declare module 'vitest' {
  export interface ProvidedContext {
    stackDir: string;
    stackPortBase: string;
  }
}

export function testStack(): {
  info: StackInfo;
  config: FoyerConfig;
  registration: Registration;
  env: NodeJS.ProcessEnv;
} {
  const dir = inject('stackDir');
  const info = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as StackInfo;
  return {
    info,
    config: loadConfig(info.configFile).config,
    registration: loadRegistration(info.registrationFile),
    env: {
      ...process.env,
      FOYER_STACK_DIR: dir,
      FOYER_PORT_BASE: inject('stackPortBase'),
      FOYER_MAX_GUESTS: String(TEST_MAX_GUESTS),
      FOYER_BOT_LOCALPART: TEST_BOT_LOCALPART,
    },
  };
}

const execFileAsync = promisify(execFile);

/** Run scripts/stack with the given environment; resolves with its output and exit code. */
export async function runStack(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(join(ROOT, 'scripts', 'stack'), args, { env, timeout: 300_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
