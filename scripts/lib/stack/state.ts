// Generated once per stack folder: secrets from the CSPRNG and the choices made at first start.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomToken } from '@foyer/config';
import { DEFAULT_BOT_LOCALPART, LOCALPART_PATTERN } from '@foyer/common/matrix-ids';
import { StackError } from './errors.ts';
import type { DbMode, MediaMode, StackLayout } from './layout.ts';

export interface StackState {
  db: DbMode;
  /** The media plane (`up --media`); absent: one LiveKit node. */
  media?: MediaMode;
  serverName: string;
  /** The bridge's bot (`appservice.botLocalpart`), chosen at the first start; absent: the default. */
  botLocalpart?: string;
  dialInNumber: string;
  secrets: {
    registrationShared: string;
    macaroon: string;
    form: string;
    internalApi: string;
    postgres: string;
  } & MediaSecrets;
  accounts: {
    admin?: { userId: string; password: string; accessToken: string };
    demo?: { userId: string; password: string };
  };
  /** Partner mode (`up --partner`): a second homeserver federating with ours over loopback. */
  partner?: PartnerState;
}

/** LiveKit's API key and secret (tokens and its room service) and the cluster Redis's password. */
export interface MediaSecrets {
  livekitKey: string;
  livekitSecret: string;
  redis: string;
}

/** New media secrets from the CSPRNG (the LiveKit secret: 43 characters; LiveKit wants ≥ 32). */
export function newMediaSecrets(): MediaSecrets {
  return { livekitKey: `API${randomToken(9)}`, livekitSecret: randomToken(32), redis: randomToken(24) };
}

export interface PartnerState {
  serverName: string;
  secrets: { registrationShared: string; macaroon: string; form: string };
  accounts: { demo?: { userId: string; password: string } };
}

/**
 * Server names in partner mode carry their federation port, so Synapse connects straight to
 * host:port (HTTPS) instead of looking up .well-known, SRV records or port 8448. Both use the
 * host name "localhost": Synapse 1.163 refuses an IP-literal server name such as
 * 127.0.0.1:port in its IP blocklist even when ip_range_whitelist allows it (the whitelist only
 * applies to addresses a host name resolves to).
 */
export function partnerServerNames(l: StackLayout): { main: string; partner: string } {
  return { main: `localhost:${l.ports.synapseFederation}`, partner: `localhost:${l.ports.partnerFederation}` };
}

const stateFile = (l: StackLayout) => join(l.dir, 'state.json');

export function loadState(l: StackLayout): StackState | undefined {
  const f = stateFile(l);
  if (!existsSync(f)) return undefined;
  // A stack created while Janus ran also has `plane`, `callers` and Janus's secrets: unread now.
  const s = JSON.parse(readFileSync(f, 'utf8')) as StackState;
  // A stack created before LiveKit joined it gets its media secrets now.
  if (!s.secrets.livekitKey || !s.secrets.livekitSecret || !s.secrets.redis) {
    s.secrets = { ...s.secrets, ...newMediaSecrets() };
    saveState(l, s);
  }
  return s;
}

export function saveState(l: StackLayout, s: StackState): void {
  mkdirSync(l.dir, { recursive: true }); // traversable: Postgres may run as another user
  writeFileSync(stateFile(l), `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
}

/** The bot localpart a new stack gets: FOYER_BOT_LOCALPART, or Foyer's default. */
const chosenBotLocalpart = (env: NodeJS.ProcessEnv) => env.FOYER_BOT_LOCALPART || DEFAULT_BOT_LOCALPART;

/**
 * This stack's bot localpart: the one it was created with, or for a stack not created yet the
 * one it will get. Everything the stack writes (registration, foyer.yaml, stack.json) uses it.
 */
export function stackBotLocalpart(l: StackLayout, env: NodeJS.ProcessEnv = process.env): string {
  const s = loadState(l);
  return s ? (s.botLocalpart ?? DEFAULT_BOT_LOCALPART) : chosenBotLocalpart(env);
}

/** In partner mode the server names carry ports: the port base cannot change afterwards. */
export function assertPortsMatch(l: StackLayout, s: StackState): void {
  if (!s.partner) return;
  const names = partnerServerNames(l);
  if (s.serverName !== names.main || s.partner.serverName !== names.partner) {
    throw new StackError(
      `the partner-mode stack in ${l.dir} has the server names ${s.serverName} and ${s.partner.serverName}, which belong to another FOYER_PORT_BASE than ${l.portBase}; use that base or run "scripts/stack reset"`,
    );
  }
}

/**
 * The stack's state, created on first start. Database mode, partner mode and the bot localpart
 * (FOYER_BOT_LOCALPART) are fixed then (the server name depends on the partner mode, and Synapse
 * cannot change either later); a later `up` without the options keeps them.
 */
export function initState(l: StackLayout, db: DbMode | undefined, partner = false): StackState {
  const existing = loadState(l);
  if (existing) {
    if (db && db !== existing.db) {
      throw new StackError(
        `the stack in ${l.dir} was created with --db ${existing.db}; run "scripts/stack reset" first to switch to --db ${db}`,
      );
    }
    if (partner && !existing.partner) {
      throw new StackError(
        `the stack in ${l.dir} was created without --partner (server name ${existing.serverName}); run "scripts/stack reset" first to add the partner homeserver`,
      );
    }
    assertPortsMatch(l, existing);
    const kept = existing.botLocalpart ?? DEFAULT_BOT_LOCALPART;
    if (process.env.FOYER_BOT_LOCALPART && process.env.FOYER_BOT_LOCALPART !== kept) {
      throw new StackError(
        `the stack in ${l.dir} was created with the bot localpart "${kept}"; run "scripts/stack reset" first to switch to FOYER_BOT_LOCALPART=${process.env.FOYER_BOT_LOCALPART}`,
      );
    }
    return existing;
  }
  const botLocalpart = chosenBotLocalpart(process.env);
  if (!LOCALPART_PATTERN.test(botLocalpart))
    throw new StackError(`FOYER_BOT_LOCALPART must be a Matrix localpart (a-z 0-9 . _ = / + -), got "${botLocalpart}"`);
  const names = partnerServerNames(l);
  const state: StackState = {
    db: db ?? 'embedded',
    serverName: partner ? names.main : 'localhost',
    botLocalpart,
    dialInNumber: '+49 991 1234 166',
    secrets: {
      registrationShared: randomToken(),
      macaroon: randomToken(),
      form: randomToken(),
      internalApi: randomToken(),
      postgres: randomToken(24),
      ...newMediaSecrets(),
    },
    accounts: {},
  };
  if (partner) {
    state.partner = {
      serverName: names.partner,
      secrets: { registrationShared: randomToken(), macaroon: randomToken(), form: randomToken() },
      accounts: {},
    };
  }
  saveState(l, state);
  return state;
}
