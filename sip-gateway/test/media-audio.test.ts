// Prompt loading, 20 ms framing (with and without looping), and level/tone measurements on
// synthesised signals.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FRAME_BYTES,
  FramePlayer,
  MIN_LEVEL_DBOV,
  goertzel,
  levelDbov,
  loadUlawFile,
  rms,
  toneRatio,
} from '../src/media/audio.ts';
import { ULAW_SILENCE } from '../src/media/g711.ts';

const RATE = 8000;
const dir = mkdtempSync(join(tmpdir(), 'foyer-media-audio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sine(freqHz: number, amplitude: number, seconds: number, phase = 0): Int16Array {
  return Int16Array.from({ length: Math.round(RATE * seconds) }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * i) / RATE + phase)),
  );
}

function mix(...signals: Int16Array[]): Int16Array {
  return Int16Array.from({ length: signals[0]!.length }, (_, i) => signals.reduce((sum, s) => sum + s[i]!, 0));
}

/** Audio whose bytes count up, so frames show where they came from. */
const ramp = (length: number) => Buffer.from(Array.from({ length }, (_, i) => i % 251));

function drain(player: FramePlayer, limit = 1000): Buffer[] {
  const frames: Buffer[] = [];
  for (let frame = player.next(); frame && frames.length < limit; frame = player.next())
    frames.push(Buffer.from(frame));
  return frames;
}

describe('loadUlawFile', () => {
  it('reads a file', () => {
    const path = join(dir, 'ok.ul');
    writeFileSync(path, Buffer.from([1, 2, 3]));
    expect([...loadUlawFile(path)]).toEqual([1, 2, 3]);
  });

  it('names the file when it is missing or empty', () => {
    const missing = join(dir, 'missing.ul');
    expect(() => loadUlawFile(missing)).toThrow(`audio file ${missing} is missing`);
    const empty = join(dir, 'empty.ul');
    writeFileSync(empty, Buffer.alloc(0));
    expect(() => loadUlawFile(empty)).toThrow(`audio file ${empty} is empty`);
    expect(() => loadUlawFile(dir)).toThrow(`audio file ${dir} is unreadable (EISDIR)`);
  });
});

describe('FramePlayer', () => {
  it('plays whole frames and pads the last one with silence', () => {
    const audio = ramp(400);
    const player = new FramePlayer(audio, { loop: false });
    const frames = drain(player);
    expect(frames.map((f) => f.length)).toEqual([FRAME_BYTES, FRAME_BYTES, FRAME_BYTES]);
    expect(Buffer.concat(frames).subarray(0, 400)).toEqual(audio);
    expect(frames[2]!.subarray(80).every((b) => b === ULAW_SILENCE)).toBe(true);
    expect(player.done).toBe(true);
    expect(player.next()).toBeUndefined();
  });

  it('is done right after the last frame when the audio fills whole frames', () => {
    const player = new FramePlayer(ramp(320), { loop: false });
    player.next();
    expect(player.done).toBe(false);
    player.next();
    expect(player.done).toBe(true);
  });

  it('rewinds', () => {
    const audio = ramp(200);
    const player = new FramePlayer(audio, { loop: false });
    const first = drain(player);
    player.rewind();
    expect(player.done).toBe(false);
    expect(drain(player)).toEqual(first);
  });

  it('loops seamlessly, also across the frame boundary', () => {
    const audio = ramp(250);
    const player = new FramePlayer(audio, { loop: true });
    const frames = drain(player, 10);
    expect(player.done).toBe(false);
    const played = Buffer.concat(frames);
    const expected = Buffer.concat(Array.from({ length: 7 }, () => audio)).subarray(0, played.length);
    expect(played).toEqual(expected);
  });

  it('loops audio shorter than one frame', () => {
    const player = new FramePlayer(Buffer.from([1, 2, 3]), { loop: true });
    const frames = drain(player, 3);
    expect(Buffer.concat(frames)).toEqual(Buffer.from(Array.from({ length: 480 }, (_, i) => (i % 3) + 1)));
  });

  it('is done at once for empty audio, even when looping', () => {
    expect(new FramePlayer(Buffer.alloc(0), { loop: true }).next()).toBeUndefined();
    expect(new FramePlayer(Buffer.alloc(0), { loop: false }).done).toBe(true);
  });
});

describe('levels', () => {
  it('measures RMS and dBov', () => {
    const fullScaleSine = sine(1000, 32767, 1);
    expect(rms(fullScaleSine)).toBeCloseTo(32767 / Math.SQRT2, -1);
    expect(levelDbov(fullScaleSine)).toBeCloseTo(-3.01, 1);
    expect(levelDbov(sine(1000, 3277, 1))).toBeCloseTo(-23.01, 1);
    expect(levelDbov(Int16Array.from({ length: 160 }, () => -32768))).toBe(0);
    expect(levelDbov(new Int16Array(160))).toBe(MIN_LEVEL_DBOV);
    expect(levelDbov(new Int16Array(0))).toBe(MIN_LEVEL_DBOV);
    expect(rms(new Int16Array(0))).toBe(0);
    const barelyThere = new Int16Array(100_000); // one LSB in 12.5 s: about -140 dBov, clamped
    barelyThere[0] = 1;
    expect(levelDbov(barelyThere)).toBe(MIN_LEVEL_DBOV);
  });

  it('finds the power of a tone with Goertzel', () => {
    const tone = sine(440, 10000, 1, 0.3);
    expect(goertzel(tone, 440, RATE)).toBeCloseTo(10000 ** 2 / 2, -5); // within ±50000 of 5e7
    expect(goertzel(tone, 1000, RATE) / goertzel(tone, 440, RATE)).toBeLessThan(1e-4);
    expect(goertzel(new Int16Array(0), 440, RATE)).toBe(0);
  });

  it('tells a 440 Hz test tone from a chord that has no 440 Hz in it', () => {
    const tone = sine(440, 8000, 1);
    const chord = mix(sine(262, 3000, 1), sine(330, 3000, 1, 1), sine(392, 3000, 1, 2));
    expect(toneRatio(tone, 440, RATE)).toBeGreaterThan(0.95);
    expect(toneRatio(chord, 440, RATE)).toBeLessThan(0.01);
    expect(toneRatio(chord, 330, RATE)).toBeGreaterThan(0.25);
    expect(toneRatio(mix(tone, chord), 440, RATE)).toBeGreaterThan(0.3);
    // A 20 ms frame is short, but a tone still dominates it.
    expect(toneRatio(tone.subarray(0, 160), 440, RATE)).toBeGreaterThan(0.8);
    expect(toneRatio(new Int16Array(160), 440, RATE)).toBe(0);
  });
});
