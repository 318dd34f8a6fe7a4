// G.711 against its definition: known code points, quantisation error bounds over every 16-bit
// input, sign symmetry, the lookup tables agreeing with the per-sample functions, and the decode
// tables agreeing with an independent implementation (SoX).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  ALAW_SILENCE,
  ULAW_SILENCE,
  alawToLinear,
  alawToUlaw,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  linearToAlaw,
  linearToUlaw,
  ulawToAlaw,
  ulawToLinear,
} from '../src/media/g711.ts';

const ALL_CODES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const ALL_SAMPLES = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

describe('G.711 μ-law', () => {
  it('maps known code points', () => {
    expect(linearToUlaw(0)).toBe(0xff);
    expect(ULAW_SILENCE).toBe(0xff);
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0x7f)).toBe(0); // negative zero
    expect(ulawToLinear(0x80)).toBe(32124); // largest positive
    expect(ulawToLinear(0x00)).toBe(-32124);
    expect(ulawToLinear(0xfe)).toBe(8); // smallest step of segment 0
    expect(ulawToLinear(0xef)).toBe(132); // first level of segment 1
    expect(linearToUlaw(32767)).toBe(0x80);
    expect(linearToUlaw(-32768)).toBe(0x00);
    expect(linearToUlaw(100000)).toBe(0x80); // clamped, not wrapped
  });

  it('round-trips every sample within the quantisation error', () => {
    for (const x of ALL_SAMPLES) {
      const error = Math.abs(ulawToLinear(linearToUlaw(x)) - x);
      // Half a step: 4 << segment, and the segment's start is at least (128 << segment) - 132.
      // Above 32635 the input is clipped, which costs up to another 132.
      const bound = (Math.abs(x) + 132) / 32 + 1;
      if (error > bound) expect.fail(`μ-law error ${error} for ${x} exceeds ${bound}`);
    }
  });

  it('re-encodes every decoded level to its own code (except negative zero)', () => {
    for (let code = 0; code < 256; code++) {
      expect(linearToUlaw(ulawToLinear(code))).toBe(code === 0x7f ? 0xff : code);
    }
  });

  it('is symmetric: ~x encodes with only the sign bit flipped, codes decode to ±', () => {
    for (let x = 0; x < 32768; x++) expect(linearToUlaw(~x)).toBe(linearToUlaw(x) ^ 0x80);
    for (let code = 0; code < 128; code++) expect(ulawToLinear(code)).toBe(0 - ulawToLinear(code | 0x80));
  });

  it('is monotonic', () => {
    let previous = -Infinity;
    for (const x of ALL_SAMPLES) {
      const decoded = ulawToLinear(linearToUlaw(x));
      if (decoded < previous) expect.fail(`decoded value drops at ${x}`);
      previous = decoded;
    }
  });
});

describe('G.711 A-law', () => {
  it('maps known code points', () => {
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(ALAW_SILENCE).toBe(0xd5);
    expect(alawToLinear(0xd5)).toBe(8);
    expect(alawToLinear(0x55)).toBe(-8);
    expect(alawToLinear(0xaa)).toBe(32256); // largest positive
    expect(alawToLinear(0x2a)).toBe(-32256);
    expect(linearToAlaw(32767)).toBe(0xaa);
    expect(linearToAlaw(-32768)).toBe(0x2a);
    expect(linearToAlaw(-100000)).toBe(0x2a);
  });

  it('round-trips every sample within the quantisation error', () => {
    for (const x of ALL_SAMPLES) {
      const error = Math.abs(alawToLinear(linearToAlaw(x)) - x);
      // Half a step: 8 in segments 0 and 1, else 4 << segment where |x| >= 128 << segment.
      const bound = Math.max(8, Math.abs(x) / 32) + 1;
      if (error > bound) expect.fail(`A-law error ${error} for ${x} exceeds ${bound}`);
    }
  });

  it('re-encodes every decoded level to its own code', () => {
    for (let code = 0; code < 256; code++) expect(linearToAlaw(alawToLinear(code))).toBe(code);
  });

  it('is symmetric: ~x encodes with only the sign bit flipped, codes decode to ±', () => {
    for (let x = 0; x < 32768; x++) expect(linearToAlaw(~x)).toBe(linearToAlaw(x) ^ 0x80);
    for (let code = 0; code < 128; code++) expect(alawToLinear(code)).toBe(-alawToLinear(code | 0x80));
  });
});

describe('G.711 buffers and tables', () => {
  it('decodes and encodes buffers like the per-sample functions', () => {
    const ulaw = decodeUlaw(ALL_CODES);
    const alaw = decodeAlaw(ALL_CODES);
    for (let code = 0; code < 256; code++) {
      expect(ulaw[code]).toBe(ulawToLinear(code));
      expect(alaw[code]).toBe(alawToLinear(code));
    }
    const encodedUlaw = encodeUlaw(ALL_SAMPLES);
    const encodedAlaw = encodeAlaw(ALL_SAMPLES);
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      if (encodedUlaw[i] !== linearToUlaw(ALL_SAMPLES[i]!)) expect.fail(`μ-law table differs at ${ALL_SAMPLES[i]}`);
      if (encodedAlaw[i] !== linearToAlaw(ALL_SAMPLES[i]!)) expect.fail(`A-law table differs at ${ALL_SAMPLES[i]}`);
    }
  });

  it('transcodes with tables that agree with decode + encode', () => {
    const toUlaw = alawToUlaw(ALL_CODES);
    const toAlaw = ulawToAlaw(ALL_CODES);
    for (let code = 0; code < 256; code++) {
      expect(toUlaw[code]).toBe(linearToUlaw(alawToLinear(code)));
      expect(toAlaw[code]).toBe(linearToAlaw(ulawToLinear(code)));
    }
    // A-law has no zero level: its silence is +8, the smallest positive μ-law step.
    expect(ulawToLinear(alawToUlaw(Buffer.from([ALAW_SILENCE]))[0]!)).toBe(8);
    expect(ulawToAlaw(Buffer.from([ULAW_SILENCE]))[0]).toBe(ALAW_SILENCE);
  });

  it('writes into a caller-provided output and returns exactly the converted part', () => {
    const out = Buffer.alloc(10, 0x11);
    const result = ulawToAlaw(Buffer.from([0xff, 0xff]), out);
    expect(result.length).toBe(2);
    expect(result.buffer).toBe(out.buffer);
    expect([...out.subarray(0, 3)]).toEqual([0xd5, 0xd5, 0x11]);
    const samples = new Int16Array(160);
    expect(decodeUlaw(Buffer.alloc(160, 0x80), samples)).toBe(samples);
    expect(samples[159]).toBe(32124);
    expect(() => encodeUlaw(new Int16Array(4), Buffer.alloc(3))).toThrow(RangeError);
  });

  it('decodes every code like SoX does', () => {
    for (const [encoding, decode] of [
      ['u-law', decodeUlaw],
      ['a-law', decodeAlaw],
    ] as const) {
      const pcm = execFileSync(
        'sox',
        [
          ...['-t', 'raw', '-r', '8000', '-c', '1', '-e', encoding, '-'],
          ...['-t', 'raw', '-e', 'signed', '-b', '16', '-L', '-'],
        ],
        { input: ALL_CODES },
      );
      const ours = decode(ALL_CODES);
      for (let code = 0; code < 256; code++) expect(ours[code], `${encoding} ${code}`).toBe(pcm.readInt16LE(2 * code));
    }
  });
});
