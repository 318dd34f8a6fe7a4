// Minimal client-server calls for tests, with plain fetch: tests should speak the wire protocol
// a foreign client would, not share our bridge's code.
import { randomBytes } from 'node:crypto';
import { registerUser } from '../../scripts/lib/stack/synapse.ts';
import type { StackInfo } from './stack.ts';

export interface TestUser {
  userId: string;
  accessToken: string;
}

export async function newUser(info: StackInfo, prefix = 'user'): Promise<TestUser> {
  const name = `${prefix}${randomBytes(4).toString('hex')}`;
  const r = await registerUser(
    info.homeserverUrl,
    info.registrationSharedSecret,
    name,
    randomBytes(12).toString('hex'),
  );
  return { userId: r.user_id, accessToken: r.access_token };
}

/**
 * The partner homeserver seen as a StackInfo, so newUser, cs, stateOf, timeline… act on it:
 * `newUser(partnerView(info))`. Fails when the stack runs without --partner.
 */
export function partnerView(info: StackInfo): StackInfo {
  const p = info.partner;
  if (!p) throw new Error('the test stack runs without a partner homeserver (scripts/stack up --partner)');
  return {
    ...info,
    homeserverUrl: p.homeserverUrl,
    serverName: p.serverName,
    registrationSharedSecret: p.registrationSharedSecret,
    federationUrl: p.federationUrl,
    partner: undefined,
  };
}

/** A new user on the partner homeserver (partner mode of the test stack). */
export function newPartnerUser(info: StackInfo, prefix = 'partner'): Promise<TestUser> {
  return newUser(partnerView(info), prefix);
}

export interface OpenIdToken {
  access_token: string;
  matrix_server_name: string;
  expires_in: number;
}

/** An OpenID token for `user` from their homeserver (what a widget host hands the conference page). */
export function openIdToken(info: StackInfo, user: TestUser): Promise<OpenIdToken> {
  return cs<OpenIdToken>(info, user, 'POST', `/user/${enc(user.userId)}/openid/request_token`, {});
}

export async function cs<T = Record<string, unknown>>(
  info: StackInfo,
  user: TestUser,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${info.homeserverUrl}/_matrix/client/v3${path}`, {
    method,
    headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T & { errcode?: string; error?: string };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.errcode ?? ''} ${json.error ?? ''}`);
  return json;
}

export async function joinedMembers(info: StackInfo, user: TestUser, roomId: string): Promise<string[]> {
  const r = await cs<{ joined: Record<string, unknown> }>(
    info,
    user,
    'GET',
    `/rooms/${encodeURIComponent(roomId)}/joined_members`,
  );
  return Object.keys(r.joined);
}

/** Poll until `check` returns a value (not undefined/false), within a bounded time. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Read one sample from a Prometheus text exposition (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelPart = line.slice(name.length).match(/^\{([^}]*)\}/)?.[1] ?? '';
    const have = labelPart ? labelPart.split(',') : [];
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(line.split(' ').pop());
  }
  return 0;
}

export const enc = encodeURIComponent;

export async function stateOf<T = Record<string, unknown>>(
  info: StackInfo,
  user: TestUser,
  roomId: string,
  type: string,
  key = '',
): Promise<T | undefined> {
  const res = await fetch(
    `${info.homeserverUrl}/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(key)}`,
    {
      headers: { authorization: `Bearer ${user.accessToken}` },
    },
  );
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`state ${type}: ${res.status}`);
  return (await res.json()) as T;
}

export interface TimelineEvent {
  type: string;
  sender: string;
  event_id: string;
  state_key?: string;
  content: Record<string, unknown>;
}

/** The newest events of a room (up to `limit`), oldest first. */
export async function timeline(info: StackInfo, user: TestUser, roomId: string, limit = 100): Promise<TimelineEvent[]> {
  const r = await cs<{ chunk: TimelineEvent[] }>(
    info,
    user,
    'GET',
    `/rooms/${enc(roomId)}/messages?dir=b&limit=${limit}`,
  );
  return r.chunk.reverse();
}

export async function login(info: StackInfo, user: string, password: string): Promise<TestUser> {
  const res = await fetch(`${info.homeserverUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password }),
  });
  const body = (await res.json()) as { user_id: string; access_token: string };
  if (!res.ok) throw new Error(`login ${user}: ${res.status}`);
  return { userId: body.user_id, accessToken: body.access_token };
}

/** A group: a room the bot has joined, at power 100. */
export async function newGroup(info: StackInfo, owner: TestUser, name: string): Promise<string> {
  const { room_id: roomId } = await cs<{ room_id: string }>(info, owner, 'POST', '/createRoom', {
    name,
    preset: 'private_chat',
    power_level_content_override: { users: { [info.botUserId]: 100 } },
  });
  await cs(info, owner, 'POST', `/rooms/${enc(roomId)}/invite`, { user_id: info.botUserId });
  await eventually(async () => (await joinedMembers(info, owner, roomId)).includes(info.botUserId), 'the bot');
  return roomId;
}

/** A group (room with the bot at power 100) with guest access on; resolves with its PIN. */
/** The token of a group's guest link (`join_url` in `org.foyer.conference`, …/join/<token>). */
export async function guestLinkToken(info: StackInfo, user: TestUser, roomId: string): Promise<string> {
  const conf = await stateOf<{ join_url?: string | null }>(info, user, roomId, 'org.foyer.conference');
  const token = /\/join\/([^/?#]+)/.exec(conf?.join_url ?? '')?.[1];
  if (!token) throw new Error(`${roomId} has no guest link`);
  return token;
}

export async function groupWithGuestAccess(
  info: StackInfo,
  owner: TestUser,
  name: string,
): Promise<{ roomId: string; pin: string }> {
  const roomId = await newGroup(info, owner, name);
  await cs(info, owner, 'PUT', `/rooms/${enc(roomId)}/state/org.foyer.guest_access/`, { enabled: true });
  const pin = await eventually(
    async () =>
      (await stateOf<{ dial_in: { pin: string } | null }>(info, owner, roomId, 'org.foyer.conference'))?.dial_in?.pin,
    'a PIN',
  );
  return { roomId, pin };
}
