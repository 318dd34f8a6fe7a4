// RTP parsing and building: round trips, CSRC/extension/padding handling, malformed input
// (never a throw), RTCP demultiplexing, and the stream's 16/32-bit wrap-around.
import { describe, expect, it } from 'vitest';
import { RtpStream, buildRtp, isRtcp, parseRtp } from '../src/media/rtp.ts';

const payload = Buffer.from('0123456789abcdef');

/** A hand-made packet: header fields as given, then optional CSRCs, extension and padding. */
function rawPacket(o: { csrc?: number[]; extensionWords?: number; paddingBytes?: number; firstByte?: number }): Buffer {
  const csrc = o.csrc ?? [];
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header[0] =
    o.firstByte ??
    0x80 | (o.paddingBytes !== undefined ? 0x20 : 0) | (o.extensionWords !== undefined ? 0x10 : 0) | csrc.length;
  header[1] = 0x80 | 8;
  header.writeUInt16BE(4711, 2);
  header.writeUInt32BE(123456789, 4);
  header.writeUInt32BE(0xdeadbeef, 8);
  parts.push(header);
  for (const c of csrc) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(c);
    parts.push(b);
  }
  if (o.extensionWords !== undefined) {
    const ext = Buffer.alloc(4 + 4 * o.extensionWords, 0xee);
    ext.writeUInt16BE(0xbede, 0);
    ext.writeUInt16BE(o.extensionWords, 2);
    parts.push(ext);
  }
  parts.push(payload);
  if (o.paddingBytes !== undefined) {
    const pad = Buffer.alloc(o.paddingBytes);
    pad[o.paddingBytes - 1] = o.paddingBytes;
    parts.push(pad);
  }
  return Buffer.concat(parts);
}

describe('parseRtp / buildRtp', () => {
  it('round-trips the header fields and payload', () => {
    const buf = buildRtp({
      payloadType: 0,
      sequence: 65535,
      timestamp: 0xffffffff,
      ssrc: 0x80000001,
      marker: true,
      payload,
    });
    expect(buf.length).toBe(12 + payload.length);
    const p = parseRtp(buf);
    expect(p).toEqual({
      version: 2,
      padding: false,
      extension: false,
      marker: true,
      payloadType: 0,
      sequence: 65535,
      timestamp: 0xffffffff,
      ssrc: 0x80000001,
      csrc: [],
      payload,
    });
    expect(parseRtp(buildRtp({ payloadType: 101, sequence: 1, timestamp: 2, ssrc: 3, payload }))?.marker).toBe(false);
  });

  it('masks out-of-range header values instead of writing garbage', () => {
    const p = parseRtp(
      buildRtp({ payloadType: 0x80 | 8, sequence: 0x10001, timestamp: 2 ** 32 + 5, ssrc: -1, payload }),
    );
    expect(p).toMatchObject({ payloadType: 8, sequence: 1, timestamp: 5, ssrc: 0xffffffff, marker: false });
  });

  it('skips CSRCs and header extensions and strips padding', () => {
    const p = parseRtp(rawPacket({ csrc: [1, 2], extensionWords: 2, paddingBytes: 4 }));
    expect(p).toMatchObject({ padding: true, extension: true, marker: true, payloadType: 8, csrc: [1, 2] });
    expect(p?.sequence).toBe(4711);
    expect(p?.timestamp).toBe(123456789);
    expect(p?.ssrc).toBe(0xdeadbeef);
    expect(p?.payload).toEqual(payload);
    expect(parseRtp(rawPacket({ extensionWords: 0 }))?.payload).toEqual(payload);
  });

  it('accepts an empty payload', () => {
    expect(
      parseRtp(buildRtp({ payloadType: 0, sequence: 0, timestamp: 0, ssrc: 0, payload: Buffer.alloc(0) }))?.payload
        .length,
    ).toBe(0);
  });

  it('returns undefined for malformed packets, never throwing', () => {
    const good = rawPacket({});
    expect(parseRtp(Buffer.alloc(0))).toBeUndefined();
    expect(parseRtp(good.subarray(0, 11))).toBeUndefined();
    expect(parseRtp(rawPacket({ firstByte: 0x40 }))).toBeUndefined(); // version 1
    expect(parseRtp(rawPacket({ firstByte: 0xc0 }))).toBeUndefined(); // version 3
    // 28 bytes hold the header and at most 4 CSRCs.
    expect(parseRtp(rawPacket({ firstByte: 0x84 }))?.csrc.length).toBe(4);
    expect(parseRtp(rawPacket({ firstByte: 0x85 }))).toBeUndefined();
    const extensionTooLong = rawPacket({ extensionWords: 1 });
    extensionTooLong.writeUInt16BE(100, 14);
    expect(parseRtp(extensionTooLong)).toBeUndefined();
    expect(parseRtp(rawPacket({ extensionWords: 0 }).subarray(0, 14))).toBeUndefined(); // extension header cut
    const paddingTooLong = rawPacket({ paddingBytes: 4 });
    paddingTooLong[paddingTooLong.length - 1] = 200;
    expect(parseRtp(paddingTooLong)).toBeUndefined();
    const zeroPadding = rawPacket({ paddingBytes: 4 });
    zeroPadding[zeroPadding.length - 1] = 0;
    expect(parseRtp(zeroPadding)).toBeUndefined();
    // Padding that eats exactly the payload is fine; one byte more reaches into the header.
    expect(parseRtp(rawPacket({ paddingBytes: 4 }).subarray(0, 12))).toBeUndefined();
    const allPadding = Buffer.concat([rawPacket({ firstByte: 0xa0 }).subarray(0, 12), Buffer.from([0, 0, 3])]);
    expect(parseRtp(allPadding)?.payload.length).toBe(0);
    allPadding[14] = 4;
    expect(parseRtp(allPadding)).toBeUndefined();

    for (let n = 0; n < 2000; n++) {
      const junk = Buffer.from(Array.from({ length: n % 40 }, () => Math.floor(Math.random() * 256)));
      expect(() => parseRtp(junk)).not.toThrow();
    }
  });
});

describe('isRtcp', () => {
  it('tells RTCP from RTP on a muxed port', () => {
    const rtcp = (packetType: number) => Buffer.from([0x81, packetType, 0, 1, 0, 0, 0, 1]);
    for (const type of [200, 201, 202, 203, 204, 205, 206]) expect(isRtcp(rtcp(type))).toBe(true);
    expect(isRtcp(buildRtp({ payloadType: 0, sequence: 1, timestamp: 1, ssrc: 1, payload }))).toBe(false);
    expect(isRtcp(buildRtp({ payloadType: 8, sequence: 1, timestamp: 1, ssrc: 1, marker: true, payload }))).toBe(false);
    expect(isRtcp(buildRtp({ payloadType: 101, sequence: 1, timestamp: 1, ssrc: 1, marker: true, payload }))).toBe(
      false,
    );
    expect(isRtcp(rtcp(200).subarray(0, 4))).toBe(false);
    expect(isRtcp(Buffer.from([0x01, 200, 0, 1, 0, 0, 0, 1]))).toBe(false); // not version 2
  });
});

describe('RtpStream', () => {
  it('numbers packets and advances the timestamp by the samples sent', () => {
    const stream = new RtpStream(0, 42);
    const first = parseRtp(stream.next(Buffer.alloc(160, 0xff), 160, true))!;
    const second = parseRtp(stream.next(Buffer.alloc(160, 0xff), 160))!;
    expect(first.ssrc).toBe(42);
    expect(first.marker).toBe(true);
    expect(second.marker).toBe(false);
    expect(second.sequence).toBe((first.sequence + 1) & 0xffff);
    expect(second.timestamp).toBe((first.timestamp + 160) >>> 0);
    expect(stream.sequence).toBe((first.sequence + 2) & 0xffff);
    expect(stream.timestamp).toBe((first.timestamp + 320) >>> 0);
  });

  it('starts at random values with a random SSRC', () => {
    const streams = Array.from({ length: 8 }, () => new RtpStream(8));
    expect(new Set(streams.map((s) => s.ssrc)).size).toBeGreaterThan(1);
    expect(new Set(streams.map((s) => s.sequence)).size).toBeGreaterThan(1);
    expect(new Set(streams.map((s) => s.timestamp)).size).toBeGreaterThan(1);
  });

  it('wraps the sequence at 16 bits and the timestamp at 32 bits', () => {
    const stream = new RtpStream(0, 1);
    // Move to just before both wrap points.
    stream.advance((0xffff - stream.sequence) & 0xffff, (0xffffff60 - stream.timestamp) >>> 0);
    expect(stream.sequence).toBe(0xffff);
    expect(stream.timestamp).toBe(0xffffff60);
    const a = parseRtp(stream.next(payload, 160))!;
    const b = parseRtp(stream.next(payload, 160))!;
    expect([a.sequence, b.sequence]).toEqual([0xffff, 0]);
    expect([a.timestamp, b.timestamp]).toEqual([0xffffff60, 0]);
  });
});
