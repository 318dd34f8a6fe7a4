// Failed PIN entries in sliding windows, per caller ID and in total. While a window is full,
// new calls are refused: guessing a 10-digit PIN by phone stays hopeless.

export interface WindowLimit {
  maxFailures: number;
  windowSeconds: number;
}

const MAX_TRACKED_CALLERS = 10_000;

export class FailureThrottle {
  private readonly perCaller = new Map<string, number[]>();
  private total: number[] = [];
  private readonly limits: { perCaller: WindowLimit; total: WindowLimit };
  private readonly now: () => number;

  constructor(limits: { perCaller: WindowLimit; total: WindowLimit }, now: () => number = Date.now) {
    this.limits = limits;
    this.now = now;
  }

  private static prune(times: number[], since: number): number[] {
    let i = 0;
    while (i < times.length && (times[i] ?? 0) <= since) i++;
    return i === 0 ? times : times.slice(i);
  }

  private callerKey(caller: string | null): string {
    return caller ?? 'anonymous';
  }

  record(caller: string | null): void {
    const now = this.now();
    const key = this.callerKey(caller);
    const times = FailureThrottle.prune(
      this.perCaller.get(key) ?? [],
      now - this.limits.perCaller.windowSeconds * 1000,
    );
    times.push(now);
    this.perCaller.delete(key); // re-insert: the map's order is the eviction order
    this.perCaller.set(key, times);
    if (this.perCaller.size > MAX_TRACKED_CALLERS) {
      const oldest = this.perCaller.keys().next().value;
      if (oldest !== undefined) this.perCaller.delete(oldest);
    }
    this.total = FailureThrottle.prune(this.total, now - this.limits.total.windowSeconds * 1000);
    this.total.push(now);
  }

  /** Why calls from this caller are refused now, or undefined. */
  check(caller: string | null): 'caller' | 'total' | undefined {
    const now = this.now();
    this.total = FailureThrottle.prune(this.total, now - this.limits.total.windowSeconds * 1000);
    if (this.total.length >= this.limits.total.maxFailures) return 'total';
    const key = this.callerKey(caller);
    const times = this.perCaller.get(key);
    if (!times) return undefined;
    const recent = FailureThrottle.prune(times, now - this.limits.perCaller.windowSeconds * 1000);
    if (recent.length === 0) this.perCaller.delete(key);
    else this.perCaller.set(key, recent);
    return recent.length >= this.limits.perCaller.maxFailures ? 'caller' : undefined;
  }
}
