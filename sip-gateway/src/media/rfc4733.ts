// DTMF as RTP telephone-events (RFC 4733 §2.3, formerly RFC 2833). One key press is one event;
// the sender repeats its packets with growing duration and sends the final (E bit) packet three
// times, all with the RTP timestamp of the event's start. The timestamp therefore identifies the
// event: the receiver reports a digit once per new timestamp.
import { buildRtp } from './rtp.ts';
import type { RtpPacket } from './rtp.ts';

export interface TelephoneEvent {
  /** 0-9 digits, 10 '*', 11 '#', 12-15 'A'-'D'; other values are non-DTMF events. */
  event: number;
  /** The E bit: this is (a repetition of) the event's final packet. */
  end: boolean;
  /** Power level in -dBm0 (0..63). */
  volume: number;
  /** Duration so far in timestamp units (samples at 8 kHz). */
  duration: number;
}

const DIGITS = '0123456789*#ABCD';
const SAMPLES_PER_MS = 8; // telephone-event/8000
const UPDATE_INTERVAL_MS = 20;
const FINAL_PACKET_COPIES = 3; // RFC 4733 §2.5.1.4
const DEFAULT_VOLUME = 10; // -10 dBm0, what common phones send
const MAX_DURATION = 0xffff;
// Slack when recognising the next segment of a long event: senders may cut a segment a little
// before the 16-bit limit, and the next one starts where the previous one ended.
const SEGMENT_SLACK = 1000 * SAMPLES_PER_MS;
// A finished event's packets arriving again after this long are a new press of the same key.
const REPRESS_GAP_MS = 120;
const RECENT_EVENTS = 32;
// Packets of an event arriving this long after its last packet belong to a new press.
const LATE_PACKET_MS = 300;

/** Parses the first event of a telephone-event payload; undefined when it is too short. */
export function parseTelephoneEvent(payload: Buffer): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  const flags = payload[1]!;
  return {
    event: payload[0]!,
    end: (flags & 0x80) !== 0,
    volume: flags & 0x3f,
    duration: payload.readUInt16BE(2),
  };
}

/** The DTMF key of an event code, or undefined for codes that are not keys. */
export function eventToDigit(event: number): string | undefined {
  return Number.isInteger(event) && event >= 0 && event < DIGITS.length ? DIGITS[event] : undefined;
}

/** The event code of a DTMF key (0-9, *, #, A-D; lower-case a-d accepted), or undefined. */
export function digitToEvent(digit: string): number | undefined {
  if (digit.length !== 1) return undefined;
  const index = DIGITS.indexOf(digit.toUpperCase());
  return index < 0 ? undefined : index;
}

/**
 * Turns a stream of telephone-event packets (one payload type, already demultiplexed) into digits.
 * A digit is reported on the first packet of an event that arrives, whichever that is, so losing
 * the leading packets costs nothing. Packets of the current event and late packets of recently
 * reported events are ignored. Timestamps need not grow: recorded presses replayed by test tools
 * carry their original ones.
 */
export class DtmfReceiver {
  #ssrc: number | undefined;
  #timestamp = 0;
  #event = -1;
  #ended = false;
  #endedAt = 0;
  #maxDuration = 0;
  /** Reported events (timestamp:code) → when a packet of theirs last arrived. */
  readonly #recent = new Map<string, number>();

  /** `now` is the arrival time in ms (for presses that replay a canned timestamp). */
  push(pkt: RtpPacket, now: number = Date.now()): string | undefined {
    const parsed = parseTelephoneEvent(pkt.payload);
    if (!parsed) return undefined;

    if (pkt.ssrc !== this.#ssrc) {
      // A new source (first packet, or the caller's device restarted its stream): forget the past.
      this.#ssrc = pkt.ssrc;
      this.#recent.clear();
    } else if (pkt.timestamp === this.#timestamp && parsed.event === this.#event) {
      // The same event again — unless it ended a while ago and starts over: test tools (and some
      // gateways) replay recorded presses with their original timestamp.
      const pressedAgain = this.#ended && !parsed.end && now - this.#endedAt > REPRESS_GAP_MS;
      if (!pressedAgain) {
        this.#noteProgress(parsed, now);
        return undefined;
      }
    } else if (this.#continuesLongEvent(pkt.timestamp, parsed.event)) {
      // RFC 4733 §2.5.1.3: an event longer than the 16-bit duration is sent in segments, each with
      // a new timestamp; it is still one key press.
      this.#timestamp = pkt.timestamp;
      this.#maxDuration = 0;
      this.#noteProgress(parsed, now);
      return undefined;
    } else {
      // A late packet of an event already reported arrives within jitter time; the same recorded
      // press replayed later is a new press.
      const key = `${pkt.timestamp}:${parsed.event}`;
      const seen = this.#recent.get(key);
      if (seen !== undefined && now - seen < LATE_PACKET_MS) {
        this.#recent.set(key, now);
        return undefined;
      }
    }

    this.#timestamp = pkt.timestamp;
    this.#event = parsed.event;
    this.#ended = false;
    this.#maxDuration = 0;
    this.#noteProgress(parsed, now);
    return eventToDigit(parsed.event);
  }

  #noteProgress(parsed: TelephoneEvent, now: number): void {
    const key = `${this.#timestamp}:${this.#event}`;
    this.#recent.delete(key); // re-insert: the map's order is the eviction order
    this.#recent.set(key, now);
    if (this.#recent.size > RECENT_EVENTS) this.#recent.delete(this.#recent.keys().next().value ?? '');
    if (parsed.end && !this.#ended) {
      this.#ended = true;
      this.#endedAt = now;
    }
    if (parsed.duration > this.#maxDuration) this.#maxDuration = parsed.duration;
  }

  #continuesLongEvent(timestamp: number, event: number): boolean {
    if (this.#ended || event !== this.#event || this.#maxDuration < MAX_DURATION - SEGMENT_SLACK) return false;
    const gap = (timestamp - this.#timestamp) >>> 0;
    return gap <= MAX_DURATION + SEGMENT_SLACK;
  }
}

export interface DtmfPacketOptions {
  payloadType: number;
  ssrc: number;
  /** Sequence number of the first packet; the result uses one per packet from there. */
  startSeq: number;
  /** RTP timestamp of the event's start, shared by all its packets. */
  timestamp: number;
  /** Key press length; 100 ms by default, at least one 20 ms update. */
  durationMs?: number;
}

/**
 * The packets of one key press per RFC 4733: the first with the marker bit, one update per 20 ms
 * with the duration so far, then the final packet (E bit, full duration) three times. Each is a
 * separate RTP packet, so each has its own sequence number. Send them 20 ms apart.
 */
export function dtmfPackets(digit: string, o: DtmfPacketOptions): Buffer[] {
  const event = digitToEvent(digit);
  if (event === undefined) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  const durationMs = o.durationMs ?? 100;
  const updates = Math.max(1, Math.ceil(durationMs / UPDATE_INTERVAL_MS));
  const totalDuration = Math.min(MAX_DURATION, Math.round(durationMs * SAMPLES_PER_MS));

  const packets: Buffer[] = [];
  const add = (duration: number, end: boolean) => {
    const payload = Buffer.allocUnsafe(4);
    payload[0] = event;
    payload[1] = (end ? 0x80 : 0) | DEFAULT_VOLUME;
    payload.writeUInt16BE(duration, 2);
    packets.push(
      buildRtp({
        payloadType: o.payloadType,
        sequence: o.startSeq + packets.length,
        timestamp: o.timestamp,
        ssrc: o.ssrc,
        marker: packets.length === 0,
        payload,
      }),
    );
  };
  for (let i = 1; i < updates; i++) add(Math.min(totalDuration, i * UPDATE_INTERVAL_MS * SAMPLES_PER_MS), false);
  for (let i = 0; i < FINAL_PACKET_COPIES; i++) add(totalDuration, true);
  return packets;
}
