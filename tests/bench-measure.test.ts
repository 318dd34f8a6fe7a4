// The conference benchmark's judging (bench/lib/measure.ts): a tone is found by its energy in
// 20 ms windows, bursts are paired with their arrival, and percentiles are nearest-rank.
import { describe, expect, it } from 'vitest';
import { inBurst, matchBursts, onsets, percentile, probeFrequencies, toneIn, windows } from '../bench/lib/measure.ts';
import { decodeUlaw, encodeUlaw } from '../sip-gateway/src/media/g711.ts';

const tone = (hz: number, n: number, amplitude = 8000, from = 0) =>
  Int16Array.from({ length: n }, (_, i) =>
    i >= from ? Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000)) : 0,
  );

describe('tone detection', () => {
  it('finds a probe tone through PCMU, and only at its frequency', () => {
    const received = decodeUlaw(encodeUlaw(tone(870, 160)));
    expect(toneIn(received, 870)).toBe(true);
    expect(toneIn(received, 700)).toBe(false);
    expect(toneIn(received, 1040)).toBe(false);
  });

  it('ignores silence and a tone too quiet to be a burst', () => {
    expect(toneIn(new Int16Array(160), 870)).toBe(false);
    expect(toneIn(tone(870, 160, 100), 870)).toBe(false);
  });

  it('takes a burst mixed with the load tones, not the load tones alone', () => {
    const load = tone(300, 160, 3000);
    const mixed = tone(870, 160).map((s, i) => s + load[i]!);
    expect(toneIn(Int16Array.from(mixed), 870)).toBe(true);
    expect(toneIn(load, 870)).toBe(false);
    expect(toneIn(load, 300)).toBe(true);
  });

  it('rejects broadband noise', () => {
    let seed = 1;
    const noise = Int16Array.from({ length: 160 }, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed % 16000) - 8000;
    });
    expect(toneIn(noise, 870)).toBe(false);
  });

  it('judges 30 ms packets in overlapping 20 ms windows, so a burst starting late in one is seen', () => {
    const w = windows(new Int16Array(240));
    expect(w.map((x) => x.length)).toEqual([160, 160]);
    expect(w[1]!.byteOffset / 2).toBe(80);
    expect(windows(new Int16Array(80))).toHaveLength(1);
    expect(windows(new Int16Array(320)).map((x) => x.byteOffset / 2)).toEqual([0, 80, 160]);
    // 30 ms in which the tone fills only the last 10 ms … and half a window of it counts.
    const late = tone(870, 240, 8000, 160);
    expect(windows(late).some((x) => toneIn(x, 870))).toBe(true);
  });
});

describe('bursts and their arrival', () => {
  it('onsets: a detection after a quiet gap starts a new one', () => {
    expect(onsets([100, 120, 140, 1100, 1120, 2100], 300)).toEqual([100, 1100, 2100]);
    expect(onsets([], 300)).toEqual([]);
  });

  it('pairs each burst with the first onset after it, within the window', () => {
    const m = matchBursts([1000, 2000, 3000, 4000], [1030, 2045, 4020], 1000);
    expect(m.latencies).toEqual([30, 45, undefined, 20]);
    expect(m).toMatchObject({ heard: 3, sent: 4 });
  });

  it('does not give one arrival to two bursts, nor take an arrival from before the burst', () => {
    // 1030 belongs to the first burst; the second (at 1500) heard nothing after it.
    expect(matchBursts([1000, 1500], [1030], 1000).latencies).toEqual([30, undefined]);
    expect(matchBursts([1000], [990], 1000).latencies).toEqual([undefined]);
  });

  it('a burst later than the window is not heard, rather than taken for the next', () => {
    const m = matchBursts([1000, 2000], [2100], 1000);
    expect(m.latencies).toEqual([undefined, 100]);
    expect(matchBursts([1000], [2000], 1000).heard).toBe(0);
  });

  it('burst plan: 100 ms each period from the offset on', () => {
    const plan = { periodMs: 1000, offsetMs: 250, burstMs: 100 };
    expect([0, 240, 250, 349, 350, 1250, 1340, 1360].map((t) => inBurst(t, plan))).toEqual([
      false,
      false,
      true,
      true,
      false,
      true,
      true,
      false,
    ]);
  });

  it('probe frequencies are distinct and keep away from the load tones', () => {
    const f = probeFrequencies(8, [300, 470]);
    expect(new Set(f).size).toBe(8);
    for (const x of f) expect(Math.min(Math.abs(x - 300), Math.abs(x - 470))).toBeGreaterThanOrEqual(150);
    expect(() => probeFrequencies(100, [])).toThrow(/at most/);
  });
});

describe('percentile', () => {
  it('nearest rank', () => {
    const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 95)).toBe(10);
    expect(percentile(xs, 99)).toBe(10);
    expect(percentile(xs, 10)).toBe(1);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });
});
