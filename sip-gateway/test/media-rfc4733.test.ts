// RFC 4733 DTMF: payload parsing, digit mapping, the packets we send, and the receiver reporting
// each key press exactly once despite repetitions, loss, reordering and wrap-around; finally the
// RFC 2833 captures that ship with SIPp, read with a small pcap parser.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DtmfReceiver, digitToEvent, dtmfPackets, eventToDigit, parseTelephoneEvent } from '../src/media/rfc4733.ts';
import { buildRtp, parseRtp } from '../src/media/rtp.ts';
import type { RtpPacket } from '../src/media/rtp.ts';

const PT = 101;

function press(digit: string, timestamp: number, o: { startSeq?: number; ssrc?: number; durationMs?: number } = {}) {
  return dtmfPackets(digit, {
    payloadType: PT,
    ssrc: o.ssrc ?? 0x1234,
    startSeq: o.startSeq ?? 100,
    timestamp,
    durationMs: o.durationMs,
  }).map((buf) => parseRtp(buf)!);
}

function receive(packets: RtpPacket[], receiver = new DtmfReceiver()): string {
  let digits = '';
  for (const p of packets) digits += receiver.push(p) ?? '';
  return digits;
}

describe('telephone-event payloads', () => {
  it('parses the fields', () => {
    expect(parseTelephoneEvent(Buffer.from([11, 0x8a, 0x03, 0x20]))).toEqual({
      event: 11,
      end: true,
      volume: 10,
      duration: 800,
    });
    expect(parseTelephoneEvent(Buffer.from([5, 0x7f, 0, 0]))).toEqual({
      event: 5,
      end: false,
      volume: 63,
      duration: 0,
    });
    expect(parseTelephoneEvent(Buffer.from([1, 0, 0]))).toBeUndefined();
  });

  it('maps events to digits and back', () => {
    expect([...Array(16).keys()].map((e) => eventToDigit(e)).join('')).toBe('0123456789*#ABCD');
    for (const digit of '0123456789*#ABCD') expect(eventToDigit(digitToEvent(digit)!)).toBe(digit);
    expect(digitToEvent('d')).toBe(15);
    expect(eventToDigit(16)).toBeUndefined(); // flash
    expect(eventToDigit(-1)).toBeUndefined();
    expect(eventToDigit(1.5)).toBeUndefined();
    expect(digitToEvent('E')).toBeUndefined();
    expect(digitToEvent('12')).toBeUndefined();
    expect(digitToEvent('')).toBeUndefined();
  });
});

describe('dtmfPackets', () => {
  it('follows RFC 4733: marker first, one timestamp, growing duration, three end packets', () => {
    const packets = press('#', 80000, { startSeq: 65534 });
    expect(packets).toHaveLength(7); // 100 ms: updates at 20, 40, 60, 80 ms, then the end three times
    expect(packets.map((p) => p.sequence)).toEqual([65534, 65535, 0, 1, 2, 3, 4]);
    expect(packets.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    expect(new Set(packets.map((p) => p.timestamp))).toEqual(new Set([80000]));
    expect(new Set(packets.map((p) => p.payloadType))).toEqual(new Set([PT]));
    const events = packets.map((p) => parseTelephoneEvent(p.payload)!);
    expect(events.map((e) => e.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(events.map((e) => e.end)).toEqual([false, false, false, false, true, true, true]);
    expect(new Set(events.map((e) => e.event))).toEqual(new Set([11]));
    expect(events[0]!.volume).toBe(10);
  });

  it('makes at least the end packets for very short presses', () => {
    const events = press('1', 0, { durationMs: 5 }).map((p) => parseTelephoneEvent(p.payload)!);
    expect(events.map((e) => [e.end, e.duration])).toEqual([
      [true, 40],
      [true, 40],
      [true, 40],
    ]);
  });

  it('refuses what is not a digit', () => {
    expect(() => dtmfPackets('x', { payloadType: PT, ssrc: 1, startSeq: 0, timestamp: 0 })).toThrow(/not a DTMF digit/);
  });
});

describe('DtmfReceiver', () => {
  it('reports a press once despite repeated and end packets', () => {
    const packets = press('5', 1000);
    expect(receive([...packets, ...packets])).toBe('5');
  });

  it('reports two presses of the same digit (different timestamps) twice', () => {
    expect(receive([...press('7', 1000), ...press('7', 2600, { startSeq: 107 })])).toBe('77');
  });

  it('reports a sequence of digits in order', () => {
    let timestamp = 5000;
    let startSeq = 0;
    const packets: RtpPacket[] = [];
    for (const digit of '0123456789*#ABCD') {
      packets.push(...press(digit, timestamp, { startSeq }));
      timestamp += 2400;
      startSeq += 7;
    }
    expect(receive(packets)).toBe('0123456789*#ABCD');
  });

  it('survives loss of the first packets, and of all but one end packet', () => {
    expect(receive(press('3', 1000).slice(3))).toBe('3');
    expect(receive(press('3', 1000).slice(6))).toBe('3');
  });

  it('survives reordering within a press and stragglers of an earlier press', () => {
    const first = press('1', 1000);
    const second = press('2', 2600, { startSeq: 107 });
    const reordered = [
      first[1]!,
      first[0]!,
      first[3]!,
      first[2]!,
      ...second.slice(0, 2),
      first[4]!,
      first[6]!,
      ...second.slice(2),
    ];
    expect(receive(reordered)).toBe('12');
  });

  it('handles the RTP timestamp wrapping around', () => {
    expect(receive([...press('4', 0xfffffe00), ...press('4', 0x100, { startSeq: 107 })])).toBe('44');
  });

  it('follows a sender that restarts its clock backwards with the same SSRC', () => {
    expect(receive([...press('2', 3_000_000), ...press('5', 1000, { startSeq: 7 })])).toBe('25');
  });

  it('starts afresh for a new SSRC', () => {
    expect(receive([...press('8', 1000), ...press('9', 1000, { ssrc: 99 })])).toBe('89');
  });

  it('ignores packets with a payload too short to be an event', () => {
    const junk = parseRtp(
      buildRtp({ payloadType: PT, sequence: 1, timestamp: 1, ssrc: 1, payload: Buffer.from([1, 2]) }),
    )!;
    expect(receive([junk])).toBe('');
  });

  it('treats the segments of an over-long press as one press (RFC 4733 §2.5.1.3)', () => {
    const event = (timestamp: number, duration: number, end: boolean) => {
      const payload = Buffer.from([6, end ? 0x8a : 0x0a, 0, 0]);
      payload.writeUInt16BE(duration, 2);
      return parseRtp(buildRtp({ payloadType: PT, sequence: 1, timestamp, ssrc: 5, payload }))!;
    };
    const segments = [event(1000, 32000, false), event(1000, 0xffff, false), event(1000 + 0xffff, 4000, false)];
    segments.push(event(1000 + 0xffff, 8000, true));
    expect(receive(segments)).toBe('6');
    // The same digit again after the first press ended is a new press, even right after it.
    expect(receive([event(1000, 800, true), event(1800, 800, true)])).toBe('66');
  });
});

/** UDP payloads of an Ethernet/IPv4 capture in classic pcap format (either byte order). */
function udpPayloads(file: string): Buffer[] {
  const data = readFileSync(file);
  const magic = data.readUInt32LE(0);
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d; // µs or ns timestamps
  if (!littleEndian && data.readUInt32BE(0) !== 0xa1b2c3d4 && data.readUInt32BE(0) !== 0xa1b23c4d) {
    throw new Error(`${file}: not a pcap file`);
  }
  const u32 = (at: number) => (littleEndian ? data.readUInt32LE(at) : data.readUInt32BE(at));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`${file}: link type ${linkType}, expected Ethernet`);

  const payloads: Buffer[] = [];
  for (let at = 24; at + 16 <= data.length;) {
    const capturedLength = u32(at + 8);
    const frame = data.subarray(at + 16, at + 16 + capturedLength);
    at += 16 + capturedLength;
    let ip = 14;
    let etherType = frame.readUInt16BE(12);
    if (etherType === 0x8100) {
      etherType = frame.readUInt16BE(16); // 802.1Q VLAN tag
      ip += 4;
    }
    if (etherType !== 0x0800 || frame[ip]! >> 4 !== 4 || frame[ip + 9] !== 17) continue; // IPv4 + UDP only
    const udp = ip + (frame[ip]! & 0x0f) * 4;
    const udpLength = frame.readUInt16BE(udp + 4);
    payloads.push(frame.subarray(udp + 8, udp + udpLength));
  }
  return payloads;
}

describe('SIPp RFC 2833 captures', () => {
  const files: [string, string][] = [...'0123456789'].map((d) => [d, d]);
  files.push(['star', '*'], ['pound', '#']);

  it.each(files)('dtmf_2833_%s.pcap yields exactly its digit', (name, digit) => {
    const payloads = udpPayloads(`/usr/share/sip-tester/dtmf_2833_${name}.pcap`);
    const packets = payloads.map((p) => parseRtp(p));
    expect(packets.length).toBeGreaterThan(3);
    expect(packets.every((p) => p?.payloadType === PT)).toBe(true);
    expect(receive(packets as RtpPacket[])).toBe(digit);
  });
});

describe('DtmfReceiver with replayed recordings', () => {
  const press = (r: DtmfReceiver, digit: string, timestamp: number, at: number) => {
    const got: string[] = [];
    const packets = dtmfPackets(digit, { payloadType: 101, ssrc: 7, startSeq: 1, timestamp });
    packets.forEach((buf, i) => {
      const pkt = parseRtp(buf);
      const d = pkt && r.push(pkt, at + i * 20);
      if (d) got.push(d);
    });
    return got;
  };

  it('takes presses whose timestamps do not grow (canned pcaps played in PIN order)', () => {
    const r = new DtmfReceiver();
    expect([...press(r, '5', 50_000, 0), ...press(r, '3', 30_000, 1000), ...press(r, '#', 90_000, 2000)]).toEqual([
      '5',
      '3',
      '#',
    ]);
  });

  it('takes the same recorded press twice when it is played twice', () => {
    const r = new DtmfReceiver();
    expect([...press(r, '1', 13_280, 0), ...press(r, '1', 13_280, 1000)]).toEqual(['1', '1']);
  });
});

describe('DtmfReceiver: a PIN of recorded presses', () => {
  it('takes a digit again when its recording plays again later in the PIN (5 0 5 #)', () => {
    const r = new DtmfReceiver();
    const ts = { '5': 50_000, '0': 10_000, '#': 90_000 } as Record<string, number>;
    const got: string[] = [];
    let at = 0;
    for (const k of '505#') {
      for (const buf of dtmfPackets(k, { payloadType: 101, ssrc: 7, startSeq: 1, timestamp: ts[k] ?? 0 })) {
        const pkt = parseRtp(buf);
        const d = pkt && r.push(pkt, at);
        if (d) got.push(d);
        at += 20;
      }
      at += 350;
    }
    expect(got).toEqual(['5', '0', '5', '#']);
  });
});
