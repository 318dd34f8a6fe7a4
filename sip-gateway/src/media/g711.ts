// G.711 μ-law and A-law (ITU-T G.711), written from the segment/mantissa description of the
// standard. Linear samples are 16-bit; μ-law uses the top 14 bits and A-law the top 13.
// Negative inputs are folded with one's complement (~x, as the ITU-T G.191 reference does), so
// the quantiser is symmetric around -0.5 and -32768 needs no special case.
//
// The per-sample functions are the definition; the buffer helpers and transcoders use
// tables built from them once at load, because they run for every 20 ms packet of every call.

/** μ-law code of linear 0 (positive zero); fills silence and pads short frames. */
export const ULAW_SILENCE = 0xff;
/** A-law code of linear 0 (positive zero, 0x80 with the even bits inverted). */
export const ALAW_SILENCE = 0xd5;

const ULAW_BIAS = 0x84; // 33 in 14-bit units: makes segment boundaries powers of two
const ULAW_CLIP = 32635; // largest magnitude that still fits after adding the bias
const ALAW_EVEN_BITS = 0x55; // A-law inverts every other bit on the line

/** Decodes one μ-law byte to a 16-bit linear sample (-32124..32124). */
export function ulawToLinear(byte: number): number {
  const code = ~byte & 0xff;
  const exponent = (code >> 4) & 0x07;
  const mantissa = code & 0x0f;
  // Mid-point of the quantisation interval: (mantissa + 16.5) << (exponent + 3), minus the bias.
  const magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  return code & 0x80 ? 0 - magnitude : magnitude; // 0 - 0 is +0: negative zero decodes to plain 0
}

/** Encodes one 16-bit linear sample (clamped to the int16 range) to μ-law. */
export function linearToUlaw(sample: number): number {
  const value = clampInt16(sample);
  const sign = value < 0 ? 0x80 : 0;
  let magnitude = value < 0 ? ~value : value;
  if (magnitude > ULAW_CLIP) magnitude = ULAW_CLIP;
  magnitude += ULAW_BIAS;
  // Segment = position of the highest set bit among bits 7..14 of the biased magnitude.
  let exponent = 7;
  while (exponent > 0 && (magnitude & (0x80 << exponent)) === 0) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Decodes one A-law byte to a 16-bit linear sample (-32256..32256). */
export function alawToLinear(byte: number): number {
  const code = (byte ^ ALAW_EVEN_BITS) & 0xff;
  const segment = (code >> 4) & 0x07;
  const mantissa = code & 0x0f;
  // Mid-points in 12-bit magnitude units: segment 0 is linear with step 2, segment s >= 1 covers
  // [16 << s, 32 << s) with step 1 << s. Shift by 3 to return to 16-bit.
  const magnitude = segment === 0 ? (mantissa << 1) + 1 : ((mantissa << 1) + 33) << (segment - 1);
  return code & 0x80 ? magnitude << 3 : -(magnitude << 3);
}

/** Encodes one 16-bit linear sample (clamped to the int16 range) to A-law. */
export function linearToAlaw(sample: number): number {
  const value = clampInt16(sample);
  const sign = value < 0 ? 0 : 0x80; // A-law: sign bit set means positive
  const magnitude = (value < 0 ? ~value : value) >> 3; // 12-bit magnitude, 0..4095
  let segment = 7;
  while (segment > 0 && (magnitude & (0x10 << segment)) === 0) segment--;
  const mantissa = (magnitude >> (segment === 0 ? 1 : segment)) & 0x0f;
  return (sign | (segment << 4) | mantissa) ^ ALAW_EVEN_BITS;
}

function clampInt16(sample: number): number {
  const value = Math.round(sample);
  return value > 32767 ? 32767 : value < -32768 ? -32768 : value;
}

// Lookup tables. Encoding is indexed by the sample's 16-bit two's complement pattern (64 KiB
// each), which keeps the per-sample cost of the packet loop to one load.
const ULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);
const ULAW_ENCODE = new Uint8Array(65536);
const ALAW_ENCODE = new Uint8Array(65536);
const ALAW_TO_ULAW = new Uint8Array(256);
const ULAW_TO_ALAW = new Uint8Array(256);

for (let code = 0; code < 256; code++) {
  ULAW_DECODE[code] = ulawToLinear(code);
  ALAW_DECODE[code] = alawToLinear(code);
}
for (let pattern = 0; pattern < 65536; pattern++) {
  const sample = (pattern << 16) >> 16; // reinterpret as int16
  ULAW_ENCODE[pattern] = linearToUlaw(sample);
  ALAW_ENCODE[pattern] = linearToAlaw(sample);
}
for (let code = 0; code < 256; code++) {
  ALAW_TO_ULAW[code] = linearToUlaw(alawToLinear(code));
  ULAW_TO_ALAW[code] = linearToAlaw(ulawToLinear(code));
}

/** Decodes μ-law bytes. Pass `out` (at least buf.length long) to reuse an array per call. */
export function decodeUlaw(buf: Buffer, out: Int16Array = new Int16Array(buf.length)): Int16Array {
  return mapDecode(buf, ULAW_DECODE, out);
}

/** Decodes A-law bytes. Pass `out` (at least buf.length long) to reuse an array per call. */
export function decodeAlaw(buf: Buffer, out: Int16Array = new Int16Array(buf.length)): Int16Array {
  return mapDecode(buf, ALAW_DECODE, out);
}

/** Encodes linear samples to μ-law. Pass `out` (at least samples.length long) to reuse a buffer. */
export function encodeUlaw(samples: Int16Array, out: Buffer = Buffer.allocUnsafe(samples.length)): Buffer {
  return mapEncode(samples, ULAW_ENCODE, out);
}

/** Encodes linear samples to A-law. Pass `out` (at least samples.length long) to reuse a buffer. */
export function encodeAlaw(samples: Int16Array, out: Buffer = Buffer.allocUnsafe(samples.length)): Buffer {
  return mapEncode(samples, ALAW_ENCODE, out);
}

/** Transcodes A-law to μ-law byte by byte (decode + re-encode, precomputed). */
export function alawToUlaw(buf: Buffer, out: Buffer = Buffer.allocUnsafe(buf.length)): Buffer {
  return mapBytes(buf, ALAW_TO_ULAW, out);
}

/** Transcodes μ-law to A-law byte by byte (decode + re-encode, precomputed). */
export function ulawToAlaw(buf: Buffer, out: Buffer = Buffer.allocUnsafe(buf.length)): Buffer {
  return mapBytes(buf, ULAW_TO_ALAW, out);
}

function mapDecode(buf: Buffer, table: Int16Array, out: Int16Array): Int16Array {
  checkOutput(out.length, buf.length);
  // Indexes are bytes (0..255) into 256-entry tables, so the `!` cannot hide an undefined.
  for (let i = 0; i < buf.length; i++) out[i] = table[buf[i]!]!;
  return out.length === buf.length ? out : out.subarray(0, buf.length);
}

function mapEncode(samples: Int16Array, table: Uint8Array, out: Buffer): Buffer {
  checkOutput(out.length, samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = table[samples[i]! & 0xffff]!;
  return out.length === samples.length ? out : out.subarray(0, samples.length);
}

function mapBytes(buf: Buffer, table: Uint8Array, out: Buffer): Buffer {
  checkOutput(out.length, buf.length);
  for (let i = 0; i < buf.length; i++) out[i] = table[buf[i]!]!;
  return out.length === buf.length ? out : out.subarray(0, buf.length);
}

function checkOutput(have: number, need: number): void {
  if (have < need) throw new RangeError(`G.711 output holds ${have} samples, ${need} needed`);
}
