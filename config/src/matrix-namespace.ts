// The appservice's user namespace, claimed by the registration and relied on by every service:
// the bot's default localpart and the prefix of every puppet (@foyer_guest_…, @foyer_phone_…).
// and taking a user ID apart. No imports, so browsers can load it; code uses it through
// `@foyer/common/matrix-ids` (config's own checks use it directly: config cannot import common).

/** The localpart of every puppet starts with this; the registration claims `@foyer_.*`. */
export const PUPPET_PREFIX = 'foyer_';

/** What a localpart of ours may hold (the Matrix grammar for new user IDs). */
export const LOCALPART_PATTERN = /^[a-z0-9._=/+-]+$/;

/** `appservice.botLocalpart` when the config does not set it. */
export const DEFAULT_BOT_LOCALPART = 'foyer';

/** `@<localpart>:<serverName>`. */
export function userIdOf(localpart: string, serverName: string): string {
  return `@${localpart}:${serverName}`;
}

/** The server part (`@bob:other.org:8448` → `other.org:8448`), or '' when there is none. */
export function serverOf(userId: string): string {
  const colon = userId.indexOf(':');
  return colon < 0 ? '' : userId.slice(colon + 1);
}

/** The localpart (`@bob:other.org` → `bob`; without a server, the ID without its '@'). */
export function localpartOf(userId: string): string {
  const colon = userId.indexOf(':');
  return (colon < 0 ? userId : userId.slice(0, colon)).replace(/^@/, '');
}
