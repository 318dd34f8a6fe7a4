// What arrives from a phone is not always what the mix wants: trunks packetise at 10, 20, 30,
// 40 or 60 ms (a=ptime or not), and a stream may restart (new SSRC, sequence numbers reset, as a
// looping pcap or a re-INVITE to another media server does). These two pieces turn any of that
// into the 20 ms frames the mix takes, in order.

/** G.711 at 8 kHz: one byte per sample, 20 ms = 160 bytes. */
export const MIX_FRAME_BYTES = 160;

/** Cuts a byte stream of G.711 audio into whole 20 ms frames, keeping the remainder for later. */
export class FrameAssembler {
  private pending = Buffer.alloc(0);
  readonly frameBytes: number;

  constructor(frameBytes = MIX_FRAME_BYTES) {
    this.frameBytes = frameBytes;
  }

  /** The whole frames that `payload` completes (none, one or several). */
  push(payload: Buffer): Buffer[] {
    const data = this.pending.length ? Buffer.concat([this.pending, payload]) : payload;
    const frames: Buffer[] = [];
    let at = 0;
    for (; at + this.frameBytes <= data.length; at += this.frameBytes)
      frames.push(Buffer.from(data.subarray(at, at + this.frameBytes)));
    this.pending = Buffer.from(data.subarray(at));
    return frames;
  }

  /** Forget a partial frame (the caller left the mix, was muted, or the stream restarted). */
  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}

/** How far back a packet may be and still count as reordered (late) rather than a restart. */
const MAX_REORDER = 50;

/**
 * Orders one caller's packets: a packet a little behind the newest is late (dropped: the mix's
 * jitter buffer covers the gap), a duplicate is dropped, anything else goes on — a new SSRC or a
 * sequence far off is a restarted stream, not a pile of late packets.
 */
export class InboundSequence {
  private ssrc: number | undefined;
  private last: number | undefined;

  /** 'restart' when the stream started anew (partial frames of the old one are stale). */
  accept(ssrc: number, sequence: number): 'next' | 'restart' | 'late' | 'duplicate' {
    if (this.ssrc !== ssrc || this.last === undefined) {
      const first = this.ssrc === undefined;
      this.ssrc = ssrc;
      this.last = sequence;
      return first ? 'next' : 'restart';
    }
    const ahead = (sequence - this.last) & 0xffff;
    if (ahead === 0) return 'duplicate';
    if (ahead < 0x8000) {
      this.last = sequence;
      return 'next';
    }
    if (0x10000 - ahead <= MAX_REORDER) return 'late';
    this.last = sequence;
    return 'restart';
  }
}
