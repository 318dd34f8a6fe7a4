import { describe, expect, it } from 'vitest';
import { MediaClock, planTicks } from '../src/media/clock.ts';

describe('planTicks', () => {
  it('runs nothing before the frame is due', () => {
    expect(planTicks(99, 100, 20, 5)).toEqual({ ticks: 0, next: 100, skipped: 0 });
  });
  it('runs one frame when on time and keeps the timeline (no drift)', () => {
    expect(planTicks(103, 100, 20, 5)).toEqual({ ticks: 1, next: 120, skipped: 0 });
  });
  it('catches up the frames a short lag owed', () => {
    expect(planTicks(165, 100, 20, 5)).toEqual({ ticks: 4, next: 180, skipped: 0 });
  });
  it('skips ahead after a long lag instead of sending a burst', () => {
    expect(planTicks(800, 100, 20, 5)).toEqual({ ticks: 5, next: 820, skipped: 31 });
  });
});

describe('MediaClock', () => {
  it('ticks every subscriber once per frame on one timer, keeps time, and stops when empty', async () => {
    // A generous catch-up bound: however loaded the test machine, no frame is given up.
    const clock = new MediaClock({ frameMs: 20, maxCatchUp: 1000 });
    const counts = [0, 0];
    let lastTick = 0;
    const start = performance.now();
    const removeA = clock.add(() => {
      counts[0]!++;
      lastTick = performance.now();
    });
    const removeB = clock.add(() => {
      counts[1]!++;
      throw new Error('a broken subscriber does not stop the others');
    });
    await new Promise((r) => setTimeout(r, 400));
    // The timeline is kept: every frame due by the last wake-up ran, none lost to timer drift.
    const due = Math.floor((lastTick - start) / 20);
    expect(counts[0]).toBeGreaterThanOrEqual(due - 1);
    expect(counts[0]).toBeLessThanOrEqual(due + 1);
    expect(counts[1]).toBe(counts[0]);
    removeA();
    removeB();
    expect(clock.size).toBe(0);
    const frozen = counts[0];
    await new Promise((r) => setTimeout(r, 60));
    expect(counts[0]).toBe(frozen);
  });

  it('runs the frames a blocked event loop owed once it is free', async () => {
    const clock = new MediaClock({ frameMs: 20, maxCatchUp: 10 });
    let n = 0;
    const remove = clock.add(() => n++);
    await new Promise((r) => setTimeout(r, 30));
    const before = n;
    const until = performance.now() + 120;
    while (performance.now() < until) {
      /* block the loop for 6 frames */
    }
    await new Promise((r) => setTimeout(r, 5));
    remove();
    expect(n - before).toBeGreaterThanOrEqual(6);
  });
});

describe('MediaClock stats', () => {
  it('counts late wake-ups and the frames given up after a long block', async () => {
    const clock = new MediaClock({ frameMs: 20, maxCatchUp: 2 });
    const remove = clock.add(() => undefined);
    await new Promise((r) => setTimeout(r, 30));
    const until = performance.now() + 150;
    while (performance.now() < until) {
      /* block the loop for more than the catch-up bound */
    }
    await new Promise((r) => setTimeout(r, 5));
    remove();
    expect(clock.stats.lateWakes).toBeGreaterThanOrEqual(1);
    expect(clock.stats.skippedFrames).toBeGreaterThanOrEqual(3);
  });
});
