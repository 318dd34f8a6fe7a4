// Generated once per stack folder: secrets from the CSPRNG and the choices made at first start.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomToken } from '@foyer/config';
import { StackError } from './errors.ts';
import type { DbMode, StackLayout } from './layout.ts';

export interface StackState {
  db: DbMode;
  serverName: string;
  dialInNumber: string;
  secrets: {
    registrationShared: string;
    macaroon: string;
    form: string;
    internalApi: string;
    janusApi: string;
    janusAdmin: string;
    roomAdminKey: string;
    postgres: string;
  };
  accounts: {
    admin?: { userId: string; password: string; accessToken: string };
    demo?: { userId: string; password: string };
  };
}

const stateFile = (l: StackLayout) => join(l.dir, 'state.json');

export function loadState(l: StackLayout): StackState | undefined {
  const f = stateFile(l);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as StackState) : undefined;
}

export function saveState(l: StackLayout, s: StackState): void {
  mkdirSync(l.dir, { recursive: true }); // traversable: Postgres may run as another user
  writeFileSync(stateFile(l), `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
}

export function initState(l: StackLayout, db: DbMode | undefined): StackState {
  const existing = loadState(l);
  if (existing) {
    if (db && db !== existing.db) {
      throw new StackError(
        `the stack in ${l.dir} was created with --db ${existing.db}; run "scripts/stack reset" first to switch to --db ${db}`,
      );
    }
    return existing;
  }
  const state: StackState = {
    db: db ?? 'embedded',
    serverName: 'localhost',
    dialInNumber: '+49 991 1234 166',
    secrets: {
      registrationShared: randomToken(),
      macaroon: randomToken(),
      form: randomToken(),
      internalApi: randomToken(),
      janusApi: randomToken(),
      janusAdmin: randomToken(),
      roomAdminKey: randomToken(),
      postgres: randomToken(24),
    },
    accounts: {},
  };
  saveState(l, state);
  return state;
}
