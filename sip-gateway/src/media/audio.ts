// Prompt playback in 20 ms frames and simple level/tone measurements on linear samples.
import { readFileSync } from 'node:fs';
import { ULAW_SILENCE } from './g711.ts';

/** 20 ms of 8 kHz G.711: one byte per sample. */
export const FRAME_BYTES = 160;

/** Reads a raw 8 kHz μ-law prompt (as scripts/prompts writes them). Throws naming the file. */
export function loadUlawFile(path: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'missing (run scripts/prompts)' : `unreadable (${code ?? String(err)})`;
    throw new Error(`audio file ${path} is ${reason}`, { cause: err });
  }
  if (data.length === 0) throw new Error(`audio file ${path} is empty`);
  return data;
}

/**
 * Cuts μ-law audio into 160-byte frames. A frame that lies wholly inside the audio is a view into
 * it (no copy); the final partial frame, and frames that wrap around when looping, are assembled
 * in one scratch buffer that the next call overwrites, so send (copy) a frame before asking for the
 * next one. Looping is seamless: after the end comes the start, without a gap of silence.
 */
export class FramePlayer {
  readonly #audio: Buffer;
  readonly #loop: boolean;
  readonly #scratch = Buffer.alloc(FRAME_BYTES);
  #position = 0;
  #done: boolean;

  constructor(ulaw: Buffer, o: { loop: boolean }) {
    this.#audio = ulaw;
    this.#loop = o.loop;
    this.#done = ulaw.length === 0; // nothing to play, also when looping
  }

  /** True once a non-looping player has handed out its last frame. */
  get done(): boolean {
    return this.#done;
  }

  /** The next 20 ms frame, or undefined when done. */
  next(): Buffer | undefined {
    if (this.#done) return undefined;
    const audio = this.#audio;
    const end = this.#position + FRAME_BYTES;
    if (end <= audio.length) {
      const frame = audio.subarray(this.#position, end);
      this.#position = end;
      if (this.#position === audio.length) this.#finishPass();
      return frame;
    }
    // Crosses the end: copy what is left, then either silence or the start again (repeatedly, for
    // audio shorter than a frame).
    let filled = audio.copy(this.#scratch, 0, this.#position);
    if (!this.#loop) {
      this.#scratch.fill(ULAW_SILENCE, filled);
      this.#done = true;
      return this.#scratch;
    }
    this.#position = 0;
    while (filled < FRAME_BYTES) {
      const taken = audio.copy(this.#scratch, filled, 0, Math.min(audio.length, FRAME_BYTES - filled));
      filled += taken;
      this.#position = taken === audio.length ? 0 : taken;
    }
    return this.#scratch;
  }

  /** Starts again from the beginning. */
  rewind(): void {
    this.#position = 0;
    this.#done = this.#audio.length === 0;
  }

  #finishPass(): void {
    if (this.#loop) this.#position = 0;
    else this.#done = true;
  }
}

/** Root mean square of the samples (0 for none). */
export function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let sumOfSquares = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    sumOfSquares += s * s;
  }
  return Math.sqrt(sumOfSquares / samples.length);
}

/** The lowest level reported; RFC 6464 audio levels also stop at -127 dBov. */
export const MIN_LEVEL_DBOV = -127;

/** Level relative to full scale (a full-scale square wave is 0 dBov), clamped to -127..0. */
export function levelDbov(samples: Int16Array): number {
  const value = rms(samples);
  if (value === 0) return MIN_LEVEL_DBOV;
  const db = 20 * Math.log10(value / 32768);
  return db < MIN_LEVEL_DBOV ? MIN_LEVEL_DBOV : db > 0 ? 0 : db;
}

/**
 * Power of one frequency component (Goertzel algorithm), normalised to the mean square of that
 * component: a sine of amplitude A at exactly `freqHz` gives about A²/2, comparable with rms()².
 * The window is the whole array, so it should hold many periods of the frequency; frequencies
 * between DFT bins are fine (generalised Goertzel), with some leakage from short windows.
 */
export function goertzel(samples: Int16Array, freqHz: number, sampleRate: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coefficient = 2 * Math.cos((2 * Math.PI * freqHz) / sampleRate);
  let previous = 0;
  let beforePrevious = 0;
  for (let i = 0; i < n; i++) {
    const current = samples[i]! + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }
  // |X(f)|² from the last two states; |X| = A·n/2 for a matching sine, hence the 2/n² scaling.
  const magnitudeSquared =
    previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
  return (2 * Math.max(0, magnitudeSquared)) / (n * n);
}

/**
 * Share of the signal's energy at `freqHz`, 0..1: close to 1 for a pure tone at that frequency,
 * small for speech or music. 0 for silence.
 */
export function toneRatio(samples: Int16Array, freqHz: number, sampleRate: number): number {
  const total = rms(samples);
  if (total === 0) return 0;
  const ratio = goertzel(samples, freqHz, sampleRate) / (total * total);
  return ratio > 1 ? 1 : ratio;
}
