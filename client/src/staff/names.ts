// How people are named in the staff client: display names, virtual users of the bridge (guests
// and phone callers), and members of other homeservers, who carry their server in brackets.
import { isFederatedUser, localpartOf, parsePuppetUserId, serverOf, type PuppetKind } from '@foyer/common/matrix-ids';

export type UserKind = 'staff' | PuppetKind;

/**
 * The bridge's virtual users on our server (`@foyer_guest_<id>` for web guests,
 * `@foyer_phone_<id>` for callers); everyone else is a person.
 */
export function userKind(userId: string, ownServer: string): UserKind {
  return parsePuppetUserId(userId, ownServer)?.kind ?? 'staff';
}

/**
 * What the list and the timeline show for a person: their display name (or, without one, the
 * localpart with a capital), followed by their server when it is not ours:
 * `@bob:other.org` → "Bob (other.org)".
 */
export function personName(userId: string, displayName: string | null | undefined, ownServer: string): string {
  const name = displayName?.trim() || capitalise(localpartOf(userId));
  return isFederatedUser(userId, ownServer) ? `${name} (${serverOf(userId)})` : name;
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
