// The contact list as plain data: what each entry shows, its order, the search filter, and the
// total of unread messages. Built from the Matrix client in matrix-contacts.ts; pure here.

export type ContactKind = 'direct' | 'group';
export type ConferenceStatus = 'idle' | 'waiting' | 'running' | 'on_hold';
export type SortMode = 'activity' | 'name';

export interface Contact {
  roomId: string;
  kind: ContactKind;
  name: string;
  /** An http(s) URL of the avatar thumbnail, or null for initials. */
  avatarUrl: string | null;
  /** Notifications not yet read (the homeserver's count from sync). */
  unread: number;
  /** Timestamp (ms) of the newest event in the room, 0 when unknown. */
  lastActivity: number;
  /** From the group's `org.foyer.conference` state; null in a direct chat or without one. */
  conference: ConferenceStatus | null;
  /** Direct chats: the other person's Matrix ID. */
  userId?: string;
  /** Direct chats: online, offline, unavailable, when the server shares presence. */
  presence?: string;
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** By activity: newest first, then by name; by name: alphabetically (the newest first among equals). */
export function sortContacts(contacts: readonly Contact[], mode: SortMode): Contact[] {
  return [...contacts].sort((a, b) => {
    if (mode === 'activity') {
      const byTime = b.lastActivity - a.lastActivity;
      if (byTime !== 0) return byTime;
    }
    const byName = collator.compare(a.name, b.name);
    if (byName !== 0) return byName;
    return b.lastActivity - a.lastActivity || a.roomId.localeCompare(b.roomId);
  });
}

/** Contacts whose name (or, for a direct chat, Matrix ID) contains every word of the query. */
export function filterContacts(contacts: readonly Contact[], query: string): Contact[] {
  const words = query.trim().toLocaleLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...contacts];
  return contacts.filter((c) => {
    const haystack = `${c.name} ${c.userId ?? ''}`.toLocaleLowerCase();
    return words.every((w) => haystack.includes(w));
  });
}

/** The number on the user's own picture: all unread messages together. */
export function totalUnread(contacts: readonly Contact[]): number {
  return contacts.reduce((sum, c) => sum + Math.max(0, c.unread), 0);
}

/** "99+" beyond 99, nothing for 0. */
export function badgeText(count: number): string {
  if (count <= 0) return '';
  return count > 99 ? '99+' : String(count);
}

const statuses = new Set<string>(['idle', 'waiting', 'running', 'on_hold']);

/** The `status` of an `org.foyer.conference` state event's content, if it is a known one. */
export function conferenceStatus(content: unknown): ConferenceStatus | null {
  if (typeof content !== 'object' || content === null) return null;
  const status = (content as { status?: unknown }).status;
  return typeof status === 'string' && statuses.has(status) ? (status as ConferenceStatus) : null;
}

/** The rooms `m.direct` account data lists (user ID → room IDs), with the other person. */
export function directRooms(content: unknown): Map<string, string> {
  const rooms = new Map<string, string>();
  if (typeof content !== 'object' || content === null) return rooms;
  for (const [userId, ids] of Object.entries(content as Record<string, unknown>)) {
    if (!Array.isArray(ids)) continue;
    for (const id of ids) if (typeof id === 'string' && !rooms.has(id)) rooms.set(id, userId);
  }
  return rooms;
}
