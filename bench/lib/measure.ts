// The pure parts of the conference benchmark: is a tone in a window of received audio, which
// burst did a detection belong to (mouth-to-ear latency), and percentiles. No I/O here, so
// tests/bench-measure.test.ts checks them without a stack.
import { goertzel, toneRatio } from '../../sip-gateway/src/media/audio.ts';

export const SAMPLE_RATE = 8000;
/** 20 ms at 8 kHz: the window a tone is judged in. */
export const WINDOW_SAMPLES = 160;

export interface ToneCriteria {
  /** The tone's own power (goertzel, ≈ A²/2) at least this: well above quantisation noise and leakage. */
  minPower: number;
  /** And at least this share of the window's energy, so speech, music or noise is not taken for it. */
  minRatio: number;
}

/**
 * A probe tone at amplitude 8000 has power 3.2e7; half a window of it (a frame boundary inside
 * the burst) a quarter of that; the mix may attenuate. 1e5 is ≈ amplitude 450 (−37 dBov).
 */
export const DEFAULT_CRITERIA: ToneCriteria = { minPower: 1e5, minRatio: 0.25 };

export function toneIn(samples: Int16Array, freqHz: number, c: ToneCriteria = DEFAULT_CRITERIA): boolean {
  if (samples.length === 0) return false;
  return goertzel(samples, freqHz, SAMPLE_RATE) >= c.minPower && toneRatio(samples, freqHz, SAMPLE_RATE) >= c.minRatio;
}

/**
 * The 20 ms windows to judge in one received packet's samples: every 160 samples stepping by 80
 * (so a tone that starts mid-window is caught in the next), the last one ending at the packet's
 * end; a packet shorter than 20 ms is one window.
 */
export function windows(samples: Int16Array): Int16Array[] {
  if (samples.length <= WINDOW_SAMPLES) return [samples];
  const out: Int16Array[] = [];
  for (let start = 0; start + WINDOW_SAMPLES <= samples.length; start += WINDOW_SAMPLES / 2) {
    out.push(samples.subarray(start, start + WINDOW_SAMPLES));
  }
  const lastStart = samples.length - WINDOW_SAMPLES;
  if (lastStart % (WINDOW_SAMPLES / 2) !== 0) out.push(samples.subarray(lastStart));
  return out;
}

/**
 * Onsets of a tone from the arrival times of the packets in which it was detected (ascending):
 * a detection after at least `gapMs` without one starts a new onset.
 */
export function onsets(detections: readonly number[], gapMs: number): number[] {
  const out: number[] = [];
  let last = -Infinity;
  for (const t of detections) {
    if (t - last >= gapMs) out.push(t);
    last = t;
  }
  return out;
}

export interface BurstMatch {
  /** Per burst sent: the mouth-to-ear latency in ms, or undefined when it was not heard. */
  latencies: (number | undefined)[];
  heard: number;
  sent: number;
}

/**
 * Pairs each burst (its send time at the sender) with the first onset heard at the receiver in
 * [sent, sent + windowMs) that no earlier burst took. windowMs is at most the period between
 * bursts, so a burst arriving later than that counts as not heard rather than as the next one.
 */
export function matchBursts(sends: readonly number[], heardOnsets: readonly number[], windowMs: number): BurstMatch {
  const latencies: (number | undefined)[] = [];
  let j = 0;
  for (const t of sends) {
    while (j < heardOnsets.length && heardOnsets[j]! < t) j++;
    const a = heardOnsets[j];
    if (a !== undefined && a < t + windowMs) {
      latencies.push(a - t);
      j++;
    } else {
      latencies.push(undefined);
    }
  }
  const heard = latencies.filter((x) => x !== undefined).length;
  return { latencies, heard, sent: sends.length };
}

/** Nearest-rank percentile (p in 0..100); NaN for no values. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

/**
 * Whether audio time `tMs` of a probe's stream lies in one of its bursts: bursts of `burstMs`
 * every `periodMs`, the first at `offsetMs`.
 */
export function inBurst(tMs: number, o: { periodMs: number; offsetMs: number; burstMs: number }): boolean {
  if (tMs < o.offsetMs) return false;
  return (tMs - o.offsetMs) % o.periodMs < o.burstMs;
}

/** Distinct probe frequencies, away from each other (Goertzel over 20 ms resolves ~50 Hz) and from the load tones. */
export function probeFrequencies(n: number, loadHz: readonly number[]): number[] {
  const out: number[] = [];
  for (let f = 700; out.length < n && f < 3400; f += 170) {
    if (loadHz.every((l) => Math.abs(l - f) >= 150)) out.push(f);
  }
  if (out.length < n) throw new Error(`at most ${out.length} probe frequencies fit in the telephone band`);
  return out;
}
