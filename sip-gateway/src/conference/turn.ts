// Short-lived TURN credentials for browsers, in the scheme coturn's `use-auth-secret` checks
// (the "TURN REST API"): the user name is the expiry time (and a label), the password the
// base64 HMAC-SHA1 of the user name under the shared secret. Nothing is stored per user.
import { createHmac } from 'node:crypto';
import type { IceServer } from '@foyer/common/conference-protocol';

export interface TurnConfig {
  uris: string[];
  sharedSecret: string;
  ttlSeconds: number;
}

export function turnServers(turn: TurnConfig | undefined, label: string, now = Date.now()): IceServer[] {
  if (!turn) return [];
  const username = `${Math.floor(now / 1000) + turn.ttlSeconds}:${label}`;
  const credential = createHmac('sha1', turn.sharedSecret).update(username).digest('base64');
  return [{ urls: turn.uris, username, credential }];
}
