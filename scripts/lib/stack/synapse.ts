// Synapse from the project's venv with a generated homeserver.yaml: one loopback listener for
// the client, federation and OpenID APIs; registration only through the shared secret; our
// appservice registration loaded; rate limits generous (it is a local stack).
// Partner mode (`scripts/stack up --partner`) adds a second Synapse ("partner-synapse") and lets
// the two federate over loopback: server names with explicit ports, a TLS federation listener
// on each with certificates from the stack's own CA (verification on, only that CA trusted),
// and outbound requests to 127.0.0.0/8 allowed — in this mode only. See docs/federation.md.
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { stringify } from 'yaml';
import { StackError } from './errors.ts';
import { MATRIX_RTC_SERVICE_PATH } from '@foyer/common/livekit';
import { gatewayUrl, type StackLayout } from './layout.ts';
import { PG_USER, PARTNER_DATABASE } from './postgres.ts';
import { httpOk, requireBinary, startProcess, waitReady } from './proc.ts';
import type { StackState } from './state.ts';
import { caFile, ensureCertificate } from './tls.ts';

export type SynapseService = 'synapse' | 'partner-synapse';

/** One homeserver of the stack: ours, or the partner of partner mode. */
export interface SynapseInstance {
  service: SynapseService;
  dir: string;
  serverName: string;
  /** Plain HTTP on loopback: the client API (and, for ours, federation and OpenID as before). */
  clientPort: number;
  clientResources: string[];
  /** Partner mode: the HTTPS federation (and OpenID) listener, the port in the server name. */
  federationPort?: number;
  dbName: string;
  secrets: { registrationShared: string; macaroon: string; form: string };
  appservices: string[];
  /** MatrixRTC: the token service this homeserver advertises as its LiveKit transport. */
  rtcServiceUrl?: string;
}

export const homeserverUrl = (l: StackLayout) => `http://${l.host}:${l.ports.synapse}`;
export const partnerHomeserverUrl = (l: StackLayout) => `http://${l.host}:${l.ports.partnerSynapse}`;
/** Where other homeservers (and OpenID verifiers) reach a server of partner mode over HTTPS. */
export const federationUrl = (serverName: string) => `https://${serverName}`;
export const clientUrl = (l: StackLayout, i: SynapseInstance) => `http://${l.host}:${i.clientPort}`;

export function mainSynapse(l: StackLayout, s: StackState): SynapseInstance {
  return {
    service: 'synapse',
    dir: join(l.dir, 'synapse'),
    serverName: s.serverName,
    clientPort: l.ports.synapse,
    clientResources: ['client', 'federation', 'openid'],
    federationPort: s.partner ? l.ports.synapseFederation : undefined,
    dbName: 'synapse',
    secrets: { registrationShared: s.secrets.registrationShared, macaroon: s.secrets.macaroon, form: s.secrets.form },
    appservices: [l.registrationFile],
    rtcServiceUrl: `${gatewayUrl(l)}${MATRIX_RTC_SERVICE_PATH}`,
  };
}

export function partnerSynapse(l: StackLayout, s: StackState): SynapseInstance {
  if (!s.partner) throw new StackError('partner-synapse: this stack was not started with --partner');
  return {
    service: 'partner-synapse',
    dir: join(l.dir, 'partner-synapse'),
    serverName: s.partner.serverName,
    clientPort: l.ports.partnerSynapse,
    // Federation reaches the partner over HTTPS only, as a real homeserver elsewhere.
    clientResources: ['client'],
    federationPort: l.ports.partnerFederation,
    dbName: PARTNER_DATABASE,
    secrets: s.partner.secrets,
    appservices: [],
  };
}

export function synapseInstance(l: StackLayout, s: StackState, service: SynapseService): SynapseInstance {
  return service === 'synapse' ? mainSynapse(l, s) : partnerSynapse(l, s);
}

function python(l: StackLayout): string {
  return requireBinary(
    'synapse',
    [join(l.root, '.tools', 'synapse', 'bin', 'python')],
    'run scripts/setup to create the Synapse venv',
  );
}

const generous = { per_second: 1000, burst_count: 1000 };

function homeserverYaml(l: StackLayout, s: StackState, i: SynapseInstance): Record<string, unknown> {
  const dir = i.dir;
  const database =
    s.db === 'postgres'
      ? {
          name: 'psycopg2',
          args: {
            user: PG_USER,
            password: s.secrets.postgres,
            dbname: i.dbName,
            host: l.host,
            port: l.ports.postgres,
            cp_min: 1,
            cp_max: 5,
          },
        }
      : { name: 'sqlite3', args: { database: join(dir, 'homeserver.db') } };
  const listeners: Record<string, unknown>[] = [
    {
      port: i.clientPort,
      bind_addresses: [l.host],
      type: 'http',
      tls: false,
      x_forwarded: false,
      resources: [{ names: i.clientResources, compress: false }],
    },
  ];
  let federation: Record<string, unknown> = {};
  if (i.federationPort !== undefined) {
    const tls = ensureCertificate(l, i.service);
    listeners.push({
      port: i.federationPort,
      bind_addresses: [l.host],
      type: 'http',
      tls: true,
      x_forwarded: false,
      // The gateway verifies federated users' OpenID tokens here, as it would on the internet.
      resources: [{ names: ['federation', 'openid'], compress: false }],
    });
    federation = {
      tls_certificate_path: tls.cert,
      tls_private_key_path: tls.key,
      // Verification stays on; the only trusted CA is the stack's own.
      federation_verify_certificates: true,
      federation_custom_ca_list: [caFile(l)],
      // Synapse refuses outbound requests to private addresses by default. Both homeservers of
      // partner mode live on loopback, so (only here) loopback is allowed; see docs/federation.md.
      ip_range_whitelist: ['127.0.0.0/8'],
      rc_federation: { window_size: 1000, sleep_limit: 1000, sleep_delay: 100, reject_limit: 1000, concurrent: 100 },
    };
  }
  return {
    server_name: i.serverName,
    public_baseurl: `${clientUrl(l, i)}/`,
    pid_file: join(dir, 'homeserver.pid'),
    listeners,
    database,
    log_config: join(dir, 'log.config'),
    media_store_path: join(dir, 'media_store'),
    signing_key_path: join(dir, 'signing.key'),
    registration_shared_secret: i.secrets.registrationShared,
    macaroon_secret_key: i.secrets.macaroon,
    form_secret: i.secrets.form,
    enable_registration: false,
    report_stats: false,
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    url_preview_enabled: false,
    presence: { enabled: true },
    // MSC4222 (state_after in /sync), which matrix-js-sdk asks for: without it a client computes
    // room state from the state at the start of each timeline, and two events sent at once fork
    // the room's graph so that a later sync reports the state before the fork (a rename seen, then
    // undone in the client). Element's clients rely on it the same way.
    // MatrixRTC (Element Call): the transports endpoint (MSC4143), sticky events (MSC4354) for
    // Matrix 2.0 memberships; delayed events (MSC4140) are on with max_event_delay_duration.
    experimental_features: {
      msc4222_enabled: true,
      ...(i.rtcServiceUrl ? { msc4143_enabled: true, msc4354_enabled: true } : {}),
    },
    ...(i.rtcServiceUrl
      ? {
          matrix_rtc: { transports: [{ type: 'livekit', livekit_service_url: i.rtcServiceUrl }] },
          max_event_delay_duration: '24h',
        }
      : {}),
    // Staff find each other by name when they start a chat or a group (the Foyer client's search).
    user_directory: { enabled: true, search_all_users: true, prefer_local_users: true },
    bcrypt_rounds: 4, // loopback development/test stack: fast logins
    ...(i.appservices.length ? { app_service_config_files: i.appservices } : {}),
    rc_message: generous,
    rc_registration: generous,
    rc_login: { address: generous, account: generous, failed_attempts: generous },
    rc_joins: { local: generous, remote: generous },
    rc_joins_per_room: generous,
    rc_invites: { per_room: generous, per_user: generous, per_issuer: generous },
    rc_admin_redaction: generous,
    rc_3pid_validation: generous,
    rc_room_creation: generous,
    rc_presence: { per_user: generous },
    rc_delayed_event_mgmt: generous,
    federation_rr_transactions_per_room_per_second: 1000,
    ...federation,
  };
}

const LOG_CONFIG = `version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: precise
loggers:
  synapse.storage.SQL:
    level: WARN
root:
  level: INFO
  handlers: [console]
disable_existing_loggers: false
`;

export function writeSynapseConfig(l: StackLayout, s: StackState, i: SynapseInstance = mainSynapse(l, s)): string {
  const dir = i.dir;
  mkdirSync(join(dir, 'media_store'), { recursive: true });
  const file = join(dir, 'homeserver.yaml');
  writeFileSync(
    file,
    `# Generated by scripts/stack; rewritten at every start.\n${stringify(homeserverYaml(l, s, i))}`,
    {
      mode: 0o600,
    },
  );
  writeFileSync(join(dir, 'log.config'), LOG_CONFIG);
  if (!existsSync(join(dir, 'signing.key'))) {
    try {
      execFileSync(python(l), ['-m', 'synapse.app.homeserver', '-c', file, '--generate-keys'], { stdio: 'pipe' });
    } catch (err) {
      const e = err as { stderr?: Buffer };
      throw new StackError(
        `${i.service}: generating keys failed: ${e.stderr?.toString().trim().split('\n').pop() ?? String(err)}`,
      );
    }
  }
  return file;
}

export async function startSynapse(l: StackLayout, s: StackState, service: SynapseService = 'synapse'): Promise<void> {
  const i = synapseInstance(l, s, service);
  const file = writeSynapseConfig(l, s, i);
  const pid = startProcess(l, service, python(l), ['-m', 'synapse.app.homeserver', '-c', file], {
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  await waitReady(l, service, pid, () => httpOk(`${clientUrl(l, i)}/health`), 180_000);
}

interface RegisterResult {
  user_id: string;
  access_token: string;
}

/** Register a user through the shared-secret admin API (the only registration route we allow). */
export async function registerUser(
  hsUrl: string,
  sharedSecret: string,
  username: string,
  password: string,
  admin = false,
): Promise<RegisterResult> {
  const url = `${hsUrl}/_synapse/admin/v1/register`;
  const nonceRes = await fetch(url);
  if (!nonceRes.ok) throw new Error(`register: nonce request failed with ${nonceRes.status}`);
  const { nonce } = (await nonceRes.json()) as { nonce: string };
  const mac = createHmac('sha1', sharedSecret)
    .update(`${nonce}\0${username}\0${password}\0${admin ? 'admin' : 'notadmin'}`)
    .digest('hex');
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nonce, username, password, admin, mac }),
  });
  const body = (await res.json()) as RegisterResult & { errcode?: string; error?: string };
  if (!res.ok) throw new Error(`register ${username}: ${res.status} ${body.errcode ?? ''} ${body.error ?? ''}`.trim());
  return body;
}

export async function login(hsUrl: string, user: string, password: string): Promise<RegisterResult> {
  const res = await fetch(`${hsUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password }),
  });
  const body = (await res.json()) as RegisterResult & { error?: string };
  if (!res.ok) throw new Error(`login ${user}: ${res.status} ${body.error ?? ''}`);
  return body;
}

/** Make sure the appservice bot exists and is a server admin (room deletion needs the admin API). */
export async function ensureBotAdmin(
  hsUrl: string,
  asToken: string,
  botLocalpart: string,
  botUserId: string,
  adminToken: string,
): Promise<void> {
  const reg = await fetch(`${hsUrl}/_matrix/client/v3/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${asToken}` },
    body: JSON.stringify({ type: 'm.login.application_service', username: botLocalpart, inhibit_login: true }),
  });
  if (!reg.ok) {
    const body = (await reg.json()) as { errcode?: string; error?: string };
    if (body.errcode !== 'M_USER_IN_USE')
      throw new StackError(`synapse: registering the bot failed: ${body.error ?? reg.status}`);
  }
  const res = await fetch(`${hsUrl}/_synapse/admin/v2/users/${encodeURIComponent(botUserId)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ admin: true }),
  });
  if (!res.ok) throw new StackError(`synapse: making the bot an admin failed: ${res.status} ${await res.text()}`);
}

/**
 * Wait until a new homeserver's background updates are done. On a fresh database Synapse
 * rebuilds its user directory in the background, and users registered meanwhile go missing
 * from it (searches for them come back empty) — so "ready" means that work is over.
 */
export async function waitForBackgroundUpdates(
  hsUrl: string,
  adminToken: string,
  timeoutMs = 120_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let idleChecks = 0;
  while (Date.now() < deadline) {
    const res = await fetch(`${hsUrl}/_synapse/admin/v1/background_updates/status`, {
      headers: { authorization: `Bearer ${adminToken}` },
    }).catch(() => undefined);
    const body = (await res?.json().catch(() => undefined)) as
      { current_updates?: Record<string, unknown> } | undefined;
    const running = body?.current_updates ? Object.keys(body.current_updates).length : 1;
    // Updates run in batches with pauses between them: idle twice in a row means done.
    idleChecks = running === 0 ? idleChecks + 1 : 0;
    if (idleChecks >= 2) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}
