// One 20 ms clock for every call's relay. A timer per call drifts on its own and, when the event
// loop lags, simply fires late: prompts stretch and the mix gets gaps. This clock keeps a
// timeline instead: after a lag it runs the frames that fell due (up to a bound) so a caller's
// audio stays on time, and beyond the bound it skips ahead rather than play a long burst.
import { performance } from 'node:perf_hooks';

export interface TickPlan {
  /** Frames to run now. */
  ticks: number;
  /** When the next frame is due (same clock as `now`). */
  next: number;
  /** Frames that fell due but were given up (the loop lagged beyond the catch-up bound). */
  skipped: number;
}

/** How many frames are due at `now`, given the frame that was due at `due`. Pure, for tests. */
export function planTicks(now: number, due: number, frameMs: number, maxCatchUp: number): TickPlan {
  if (now < due) return { ticks: 0, next: due, skipped: 0 };
  const owed = Math.floor((now - due) / frameMs) + 1;
  if (owed <= maxCatchUp) return { ticks: owed, next: due + owed * frameMs, skipped: 0 };
  // Too far behind: run the bound, then pick the timeline up from now.
  return { ticks: maxCatchUp, next: now + frameMs, skipped: owed - maxCatchUp };
}

export interface MediaClockOptions {
  frameMs?: number;
  /** Frames run back to back after a lag before the clock skips ahead (5 × 20 ms = 100 ms). */
  maxCatchUp?: number;
  now?: () => number;
}

export class MediaClock {
  readonly frameMs: number;
  private readonly maxCatchUp: number;
  private readonly now: () => number;
  /** Read by the metrics at scrape time: wake-ups, those a frame or more late, frames given up. */
  readonly stats = { wakes: 0, lateWakes: 0, skippedFrames: 0 };
  private readonly subscribers = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private due = 0;

  constructor(o: MediaClockOptions = {}) {
    this.frameMs = o.frameMs ?? 20;
    this.maxCatchUp = o.maxCatchUp ?? 5;
    this.now = o.now ?? (() => performance.now());
  }

  /** Calls `fn` once per frame until the returned function is called. */
  add(fn: () => void): () => void {
    this.subscribers.add(fn);
    if (!this.timer) {
      this.due = this.now() + this.frameMs;
      this.schedule();
    }
    return () => {
      this.subscribers.delete(fn);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  get size(): number {
    return this.subscribers.size;
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.wake(), Math.max(0, this.due - this.now()));
  }

  private wake(): void {
    const now = this.now();
    const plan = planTicks(now, this.due, this.frameMs, this.maxCatchUp);
    this.stats.wakes++;
    if (now - this.due >= this.frameMs) this.stats.lateWakes++;
    this.stats.skippedFrames += plan.skipped;
    for (let i = 0; i < plan.ticks; i++) {
      // A subscriber that throws must not stop the others (each relay guards itself too).
      for (const fn of this.subscribers) {
        try {
          fn();
        } catch {
          /* the relay counts its own failures */
        }
      }
    }
    this.due = plan.next;
    if (this.subscribers.size > 0) this.schedule();
    else this.timer = undefined;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The gateway's one clock (tests may give a relay their own). */
export const mediaClock = new MediaClock();
