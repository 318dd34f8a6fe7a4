// Writes RTP audio into a pcap file for sipp's play_pcap_audio, so a test can send exactly the
// stream it wants to judge: any packet time, and restarts (a new SSRC with sequence numbers and
// timestamps that jump), as real trunks and looping recordings produce.
import { writeFileSync } from 'node:fs';
import { encodeUlaw } from '../../sip-gateway/src/media/g711.ts';
import { buildRtp } from '../../sip-gateway/src/media/rtp.ts';

export interface RtpSegment {
  ssrc: number;
  /** First sequence number and timestamp of the segment (so a segment can jump). */
  sequence: number;
  timestamp: number;
  /** Audio length of the segment. */
  ms: number;
}

export interface TonePcapOptions {
  toneHz: number;
  /** Samples per packet / 8: 10, 20, 30, 40 or 60 ms. */
  ptimeMs: number;
  segments: RtpSegment[];
  amplitude?: number;
}

const RATE = 8000;

/** The tone as PCMU RTP packets, one segment after another, paced at the packet time. */
export function tonePcap(file: string, o: TonePcapOptions): { durationMs: number; packets: number } {
  const samplesPerPacket = (RATE * o.ptimeMs) / 1000;
  const records: Buffer[] = [globalHeader()];
  let atMs = 0;
  let n = 0;
  let phase = 0;
  for (const seg of o.segments) {
    const count = Math.round(seg.ms / o.ptimeMs);
    for (let i = 0; i < count; i++) {
      const pcm = new Int16Array(samplesPerPacket);
      for (let s = 0; s < pcm.length; s++, phase++) {
        pcm[s] = Math.round((o.amplitude ?? 8000) * Math.sin((2 * Math.PI * o.toneHz * phase) / RATE));
      }
      const rtp = buildRtp({
        payloadType: 0,
        marker: i === 0,
        sequence: (seg.sequence + i) & 0xffff,
        timestamp: (seg.timestamp + i * samplesPerPacket) >>> 0,
        ssrc: seg.ssrc,
        payload: encodeUlaw(pcm),
      });
      records.push(record(atMs, udpFrame(rtp)));
      atMs += o.ptimeMs;
      n++;
    }
  }
  writeFileSync(file, Buffer.concat(records));
  return { durationMs: atMs, packets: n };
}

function globalHeader(): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(65535, 16); // snap length
  b.writeUInt32LE(1, 20); // Ethernet
  return b;
}

function record(atMs: number, frame: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(Math.floor(atMs / 1000), 0);
  h.writeUInt32LE(Math.round((atMs % 1000) * 1000), 4);
  h.writeUInt32LE(frame.length, 8);
  h.writeUInt32LE(frame.length, 12);
  return Buffer.concat([h, frame]);
}

/** Ethernet + IPv4 + UDP around an RTP packet; sipp replaces addresses and ports when it plays. */
function udpFrame(payload: Buffer): Buffer {
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 17; // UDP
  ip.writeUInt32BE(0x7f000001, 12);
  ip.writeUInt32BE(0x7f000001, 16);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(6000, 0);
  udp.writeUInt16BE(6002, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([eth, ip, udp, payload]);
}
