// How people are named in the staff client: display names, virtual users of the bridge (guests
// and phone callers), and members of other homeservers, who carry their server in brackets.

export type UserKind = 'staff' | 'guest' | 'phone';

/** The bridge's virtual users: `@foyer_guest_<id>` for web guests, `@foyer_phone_<id>` for callers. */
export function userKind(userId: string): UserKind {
  if (/^@foyer_guest_/.test(userId)) return 'guest';
  if (/^@foyer_phone_/.test(userId)) return 'phone';
  return 'staff';
}

/** The server part of a Matrix ID (`@bob:other.org` → `other.org`), or '' when there is none. */
export function serverOf(userId: string): string {
  const at = userId.indexOf(':');
  return at < 0 ? '' : userId.slice(at + 1);
}

/** The localpart of a Matrix ID (`@bob:other.org` → `bob`). */
export function localpartOf(userId: string): string {
  const at = userId.indexOf(':');
  return (at < 0 ? userId : userId.slice(0, at)).replace(/^@/, '');
}

/**
 * What the list and the timeline show for a person: their display name (or, without one, the
 * localpart with a capital), followed by their server when it is not ours:
 * `@bob:other.org` → "Bob (other.org)".
 */
export function personName(userId: string, displayName: string | null | undefined, ownServer: string): string {
  const name = displayName?.trim() || capitalise(localpartOf(userId));
  const server = serverOf(userId);
  return server && server !== ownServer ? `${name} (${server})` : name;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One or two letters for an avatar without a picture: "Anna Berg" → "AB", "#team" → "T". */
export function initials(name: string): string {
  const words = name
    .replace(/\([^)]*\)/g, ' ')
    .split(/[\s._-]+/)
    .map((w) => w.replace(/^[^\p{L}\p{N}]+/u, ''))
    .filter((w) => w !== '');
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0]?.toUpperCase() ?? '');
  return letters.join('') || '?';
}
