// Whether the homeserver answers like a Matrix server, via the unauthenticated
// GET /_matrix/client/versions that every client calls first.

export type UnreachableReason = 'network' | 'timeout' | 'http' | 'not-matrix';

export type HomeserverCheck =
  | { state: 'checking' }
  | { state: 'reachable'; versions: string[] }
  | { state: 'unreachable'; reason: UnreachableReason; httpStatus?: number };

export interface CheckOptions {
  /** Aborts the check when the page no longer needs the answer. */
  signal?: AbortSignal;
  /** A homeserver that does not answer within this time counts as unreachable. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

function versionsOf(data: unknown): string[] | undefined {
  if (typeof data !== 'object' || data === null || !('versions' in data)) return undefined;
  const { versions } = data;
  if (!Array.isArray(versions)) return undefined;
  const names = versions.filter((v): v is string => typeof v === 'string');
  return names.length > 0 ? names : undefined;
}

/** Never rejects: every failure becomes an `unreachable` result a person can be shown. */
export async function checkHomeserver(homeserverUrl: string, options: CheckOptions = {}): Promise<HomeserverCheck> {
  const { signal, timeoutMs = 10_000, fetch: fetchImpl = fetch } = options;
  const timeout = AbortSignal.timeout(timeoutMs);
  const url = `${homeserverUrl.replace(/\/+$/, '')}/_matrix/client/versions`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      headers: { accept: 'application/json' },
    });
  } catch {
    return { state: 'unreachable', reason: timeout.aborted ? 'timeout' : 'network' };
  }
  if (!response.ok) return { state: 'unreachable', reason: 'http', httpStatus: response.status };
  let versions: string[] | undefined;
  try {
    versions = versionsOf(await response.json());
  } catch {
    versions = undefined;
  }
  return versions
    ? { state: 'reachable', versions: newestFirst(versions) }
    : { state: 'unreachable', reason: 'not-matrix' };
}

/** The numbers in a spec version such as "v1.12" or "r0.6.1", or undefined for other names. */
function versionNumbers(version: string): number[] | undefined {
  const match = /^[rv](\d+(?:\.\d+)*)$/.exec(version);
  return match?.[1]?.split('.').map(Number);
}

function compareNewestFirst(a: string, b: string): number {
  const na = versionNumbers(a);
  const nb = versionNumbers(b);
  if (!na || !nb) return na ? -1 : nb ? 1 : a.localeCompare(b);
  for (let i = 0; i < Math.max(na.length, nb.length); i++) {
    const diff = (nb[i] ?? 0) - (na[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Spec versions sorted newest first; unrecognised names go last. */
export function newestFirst(versions: readonly string[]): string[] {
  return [...versions].sort(compareNewestFirst);
}
