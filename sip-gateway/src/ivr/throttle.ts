// Attempts counted before they are checked. An attempt (a PIN, a guest link, an OpenID token)
// counts as a failure from the moment it starts until it turns out right: a flood sent in
// parallel meets the limit at once, not seconds later when the first answers come back.
import { isIPv6 } from 'node:net';

export interface WindowLimit {
  maxFailures: number;
  windowSeconds: number;
}

export interface AttemptLimit extends WindowLimit {
  /** Attempts of one key being checked at the same time. */
  maxInFlight?: number;
}

/** One attempt, settled once: `fail` keeps it counted, `release` takes it back (right, or not decided). */
export interface Attempt {
  fail(): void;
  release(): void;
}

interface KeyState {
  /** Start times of failures and of attempts still in flight, oldest first. */
  times: number[];
  inFlight: number;
}

const MAX_TRACKED_KEYS = 10_000;

/** Sliding-window failure counts per key, with attempts in flight counted as failures. */
export class AttemptThrottle {
  private readonly keys = new Map<string, KeyState>();
  private readonly limit: AttemptLimit;
  private readonly now: () => number;

  constructor(limit: AttemptLimit, now: () => number = Date.now) {
    this.limit = limit;
    this.now = now;
  }

  private state(key: string): KeyState {
    const since = this.now() - this.limit.windowSeconds * 1000;
    let s = this.keys.get(key);
    if (!s) s = { times: [], inFlight: 0 };
    else this.keys.delete(key); // re-inserted below: the map's order is the eviction order
    let i = 0;
    while (i < s.times.length && (s.times[i] ?? 0) <= since) i++;
    if (i > 0) s.times = s.times.slice(i);
    this.keys.set(key, s);
    if (this.keys.size > MAX_TRACKED_KEYS) {
      // Forget the quietest key, never one with attempts in flight (their counts must stay).
      for (const [k, v] of this.keys) {
        if (v.inFlight === 0 && k !== key) {
          this.keys.delete(k);
          break;
        }
      }
    }
    return s;
  }

  /** Failures (and attempts in flight) of this key in the window. */
  count(key: string): number {
    return this.state(key).times.length;
  }

  /** Whether the key has used up its window. */
  full(key: string): boolean {
    return this.count(key) >= this.limit.maxFailures;
  }

  /** Starts an attempt, or refuses it (undefined) when the key's window or in-flight cap is full. */
  begin(key: string): Attempt | undefined {
    const s = this.state(key);
    if (s.times.length >= this.limit.maxFailures) return undefined;
    if (this.limit.maxInFlight !== undefined && s.inFlight >= this.limit.maxInFlight) return undefined;
    return this.start(key, s);
  }

  /** Starts an attempt whatever the counts (it still counts for later ones). */
  force(key: string): Attempt {
    return this.start(key, this.state(key));
  }

  private start(key: string, s: KeyState): Attempt {
    const t = this.now();
    s.times.push(t);
    s.inFlight++;
    let settled = false;
    const settle = (keep: boolean) => {
      if (settled) return;
      settled = true;
      s.inFlight--;
      if (!keep) {
        const i = s.times.lastIndexOf(t);
        if (i >= 0) s.times.splice(i, 1);
      }
      if (s.times.length === 0 && s.inFlight === 0 && this.keys.get(key) === s) this.keys.delete(key);
    };
    return { fail: () => settle(true), release: () => settle(false) };
  }
}

/**
 * Whose attempts count together: an IPv4 address, or an IPv6 /64 (one subscriber's network,
 * where a client may take any of 2^64 addresses).
 */
export function clientKey(address: string): string {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (!isIPv6(a)) return a;
  const [head = '', tail = ''] = a.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = a.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}
