// RTP (RFC 3550) packet parsing and building, and the sending side's sequence/timestamp state.
// Parsing faces the network, so it validates every length and never throws.
import { randomBytes } from 'node:crypto';

export interface RtpPacket {
  version: number;
  padding: boolean;
  extension: boolean;
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  csrc: number[];
  /** A view into the parsed datagram (no copy): valid while that buffer is. */
  payload: Buffer;
}

export interface RtpHeaderFields {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  payload: Buffer;
}

const HEADER_BYTES = 12;
const NO_CSRC: number[] = []; // shared so the common case allocates no array; callers must not push to it

/** Parses an RTP datagram; undefined for anything that is not well-formed RTP version 2. */
export function parseRtp(buf: Buffer): RtpPacket | undefined {
  if (buf.length < HEADER_BYTES) return undefined;
  const first = buf[0]!;
  const second = buf[1]!;
  if (first >> 6 !== 2) return undefined;
  const padding = (first & 0x20) !== 0;
  const extension = (first & 0x10) !== 0;
  const csrcCount = first & 0x0f;

  let headerEnd = HEADER_BYTES + 4 * csrcCount;
  if (headerEnd > buf.length) return undefined;
  if (extension) {
    // Extension header: 16-bit profile-defined id, 16-bit length in 32-bit words, then the words.
    if (headerEnd + 4 > buf.length) return undefined;
    headerEnd += 4 + 4 * buf.readUInt16BE(headerEnd + 2);
    if (headerEnd > buf.length) return undefined;
  }
  let payloadEnd = buf.length;
  if (padding) {
    // The last byte counts the padding bytes including itself, so 0 is invalid.
    const paddingBytes = buf[buf.length - 1]!;
    if (paddingBytes === 0 || headerEnd + paddingBytes > buf.length) return undefined;
    payloadEnd -= paddingBytes;
  }

  let csrc = NO_CSRC;
  if (csrcCount > 0) {
    csrc = new Array<number>(csrcCount);
    for (let i = 0; i < csrcCount; i++) csrc[i] = buf.readUInt32BE(HEADER_BYTES + 4 * i);
  }
  return {
    version: 2,
    padding,
    extension,
    marker: (second & 0x80) !== 0,
    payloadType: second & 0x7f,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrc,
    payload: buf.subarray(headerEnd, payloadEnd),
  };
}

/** Builds an RTP version 2 packet without CSRCs, extension or padding (one allocation). */
export function buildRtp(p: RtpHeaderFields): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + p.payload.length);
  buf[0] = 0x80;
  buf[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  buf.writeUInt16BE(p.sequence & 0xffff, 2);
  buf.writeUInt32BE(p.timestamp >>> 0, 4);
  buf.writeUInt32BE(p.ssrc >>> 0, 8);
  p.payload.copy(buf, HEADER_BYTES);
  return buf;
}

/**
 * True when a datagram on a muxed RTP/RTCP port is RTCP (RFC 5761 §4): the second byte of RTCP is
 * its packet type, 192..223 (SR 200, RR 201, SDES 202, BYE 203, APP 204, feedback, XR); RTP payload
 * types 64..95 are avoided precisely so that these values never occur in RTP.
 */
export function isRtcp(buf: Buffer): boolean {
  if (buf.length < 8 || buf[0]! >> 6 !== 2) return false;
  const packetType = buf[1]!;
  return packetType >= 192 && packetType <= 223;
}

/**
 * One outgoing RTP stream (one SSRC): numbers packets and advances the media clock. Sequence and
 * timestamp start at random values as RFC 3550 §5.1 asks, which also makes them hard to guess.
 */
export class RtpStream {
  readonly payloadType: number;
  readonly ssrc: number;
  #sequence: number;
  #timestamp: number;

  constructor(payloadType: number, ssrc?: number) {
    const random = randomBytes(10);
    this.payloadType = payloadType;
    this.ssrc = ssrc === undefined ? random.readUInt32BE(0) : ssrc >>> 0;
    this.#sequence = random.readUInt16BE(4);
    this.#timestamp = random.readUInt32BE(6);
  }

  /** Sequence number the next packet will carry. */
  get sequence(): number {
    return this.#sequence;
  }

  /** RTP timestamp the next packet will carry. */
  get timestamp(): number {
    return this.#timestamp;
  }

  /** Builds the next packet; `samples` is how far its payload advances the clock (160 for 20 ms at 8 kHz). */
  next(payload: Buffer, samples: number, marker = false): Buffer {
    const packet = buildRtp({
      payloadType: this.payloadType,
      sequence: this.#sequence,
      timestamp: this.#timestamp,
      ssrc: this.ssrc,
      marker,
      payload,
    });
    this.advance(1, samples);
    return packet;
  }

  /**
   * Accounts for packets sent on this SSRC by other means (e.g. RFC 4733 events from dtmfPackets
   * with startSeq = sequence), so the sequence stays gap-free for the receiver.
   */
  advance(packets: number, samples: number): void {
    this.#sequence = (this.#sequence + packets) & 0xffff;
    this.#timestamp = (this.#timestamp + samples) >>> 0;
  }
}
