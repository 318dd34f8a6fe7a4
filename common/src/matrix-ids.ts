// Matrix identities in Foyer, from the ID alone: the bot, the bridge's puppets (web guests and
// phone callers), our server's staff and federated members. The one place that builds and takes
// apart Matrix user IDs. Importable in the browser (no Node APIs): `@foyer/common/matrix-ids`.
//
// A user ID is `@<localpart>:<server name>`; the server name may carry a port
// (`localhost:18048`), so the localpart ends at the first ':'. Comparisons are exact: Matrix IDs
// are case-sensitive, and the puppet namespace (`@foyer_.*`) is lowercase.
import {
  DEFAULT_BOT_LOCALPART,
  LOCALPART_PATTERN,
  PUPPET_PREFIX,
  localpartOf,
  serverOf,
  userIdOf,
} from '@foyer/config/matrix-namespace';

// The basics live beside the namespace in config (which cannot import common); this module is
// where everyone else takes them from.
export { DEFAULT_BOT_LOCALPART, LOCALPART_PATTERN, PUPPET_PREFIX, localpartOf, serverOf, userIdOf };

export const PUPPET_KINDS = ['guest', 'phone'] as const;
/** A puppet stands for a web guest or a phone caller in a group. */
export type PuppetKind = (typeof PUPPET_KINDS)[number];
/** Who a member of a group is: our bot, one of our puppets, our server's staff, or someone else's. */
export type MemberKind = 'bot' | PuppetKind | 'staff' | 'federated';

/** A puppet's user ID taken apart. */
export interface PuppetId {
  kind: PuppetKind;
  /** The participant ID (lowercase letters and digits). */
  id: string;
  serverName: string;
}

/** The bot's user ID, from `appservice.botLocalpart` and the homeserver's server name. */
export function botUserIdOf(botLocalpart: string, serverName: string): string {
  return userIdOf(botLocalpart, serverName);
}

/** Shaped like a user ID: '@', a localpart, ':' and a server name. */
export function isUserId(value: string): boolean {
  return value.startsWith('@') && localpartOf(value) !== '' && serverOf(value) !== '';
}

/** A user of our homeserver (bot and puppets included). */
export function isLocalUser(userId: string, serverName: string): boolean {
  return serverOf(userId) === serverName;
}

/** A user of another homeserver (an ID without a server is neither local nor federated). */
export function isFederatedUser(userId: string, serverName: string): boolean {
  const server = serverOf(userId);
  return server !== '' && server !== serverName;
}

const PARTICIPANT_ID = /^[a-z0-9]+$/;

/** A puppet's localpart: `foyer_guest_<id>` or `foyer_phone_<id>`. */
export function puppetLocalpart(kind: PuppetKind, participantId: string): string {
  if (!PARTICIPANT_ID.test(participantId)) throw new Error(`not a participant ID: ${JSON.stringify(participantId)}`);
  return `${PUPPET_PREFIX}${kind}_${participantId}`;
}

/** A puppet's user ID on our server: `@foyer_<kind>_<id>:<serverName>`. */
export function makePuppetUserId(kind: PuppetKind, participantId: string, serverName: string): string {
  return userIdOf(puppetLocalpart(kind, participantId), serverName);
}

const PUPPET_LOCALPART = new RegExp(`^${PUPPET_PREFIX}(${PUPPET_KINDS.join('|')})_([a-z0-9]+)$`);

/**
 * A puppet's user ID taken apart, on whatever server it is; undefined for anything else. Only
 * puppets of our server are ours: pass the server name to accept those alone.
 */
export function parsePuppetUserId(userId: string, serverName?: string): PuppetId | undefined {
  if (!isUserId(userId)) return undefined;
  const server = serverOf(userId);
  if (serverName !== undefined && server !== serverName) return undefined;
  const m = PUPPET_LOCALPART.exec(localpartOf(userId));
  return m ? { kind: m[1] as PuppetKind, id: m[2]!, serverName: server } : undefined;
}

/** A web guest's puppet: `@foyer_guest_<id>:<serverName>`. */
export function makeGuestUserId(participantId: string, serverName: string): string {
  return makePuppetUserId('guest', participantId, serverName);
}

/** The participant ID behind one of our web guests' puppets, or undefined. */
export function parseGuestUserId(userId: string, serverName: string): string | undefined {
  const p = parsePuppetUserId(userId, serverName);
  return p?.kind === 'guest' ? p.id : undefined;
}

/** A phone caller's puppet: `@foyer_phone_<id>:<serverName>`. */
export function makePhoneUserId(participantId: string, serverName: string): string {
  return makePuppetUserId('phone', participantId, serverName);
}

/** The participant ID behind one of our phone callers' puppets, or undefined. */
export function parsePhoneUserId(userId: string, serverName: string): string | undefined {
  const p = parsePuppetUserId(userId, serverName);
  return p?.kind === 'phone' ? p.id : undefined;
}

/**
 * Whose ID this is, in a group of ours: see MemberKind. Any local ID in a puppet kind's namespace
 * counts as that kind, well-formed or not: the namespace is the bridge's alone, so no person
 * holds one.
 */
export function memberKindOf(userId: string, ours: { botUserId: string; serverName: string }): MemberKind {
  if (userId === ours.botUserId) return 'bot';
  if (!isLocalUser(userId, ours.serverName)) return 'federated';
  const localpart = localpartOf(userId);
  return PUPPET_KINDS.find((kind) => localpart.startsWith(`${PUPPET_PREFIX}${kind}_`)) ?? 'staff';
}
