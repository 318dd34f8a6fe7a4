// The signed-in session, kept in localStorage so a reload keeps the person signed in.

export interface StoredSession {
  homeserverUrl: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

export const SESSION_KEY = 'foyer.session';

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function loadSession(storage: KeyValueStore): StoredSession | null {
  let data: unknown;
  try {
    data = JSON.parse(storage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const { homeserverUrl, userId, accessToken, deviceId } = data as Record<string, unknown>;
  if (
    typeof homeserverUrl !== 'string' ||
    typeof userId !== 'string' ||
    typeof accessToken !== 'string' ||
    typeof deviceId !== 'string'
  )
    return null;
  return { homeserverUrl, userId, accessToken, deviceId };
}

export function saveSession(storage: KeyValueStore, session: StoredSession): void {
  storage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(storage: KeyValueStore): void {
  storage.removeItem(SESSION_KEY);
}

/** "https://matrix.example.org/" or "matrix.example.org" → "https://matrix.example.org"; null if not a URL. */
export function normaliseHomeserver(input: string): string | null {
  const text = input.trim();
  if (text === '') return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  try {
    const url = new URL(withScheme);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  } catch {
    return null;
  }
}
