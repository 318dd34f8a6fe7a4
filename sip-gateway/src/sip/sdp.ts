// The SDP we need: read the audio stream of an offer (RFC 4566/3264) and write an answer with
// one G.711 codec and, when offered, telephone-event (RFC 4733). Only ASCII goes out, because
// the sip package counts Content-Length in characters.
import { isIP } from 'node:net';
import type { AudioOffer, Direction } from './types.ts';

/** One m= line of the offer; the answer must repeat every one, in order (RFC 3264 6). */
export interface MediaLine {
  media: string;
  proto: string;
  fmt: string;
}

export interface ParsedOffer {
  offer: AudioOffer;
  mediaLines: MediaLine[];
  /** Index of the audio stream we use in mediaLines. */
  audioIndex: number;
}

const MAX_SDP_LENGTH = 16 * 1024;
const DIRECTIONS = new Set<string>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

interface Section {
  media?: { media: string; port: number; proto: string; fmts: string[] };
  address?: string;
  direction?: Direction;
  ptime?: number;
  rtpmap: Map<number, string>;
}

/** "IN IP4 192.0.2.1" or "IN IP4 224.2.1.1/127" or "IN IP6 ::1" → the address, if valid. */
function parseConnection(value: string): string | null {
  const m = /^IN\s+IP([46])\s+([^\s/]+)(?:\/\S*)?\s*$/.exec(value);
  if (!m?.[2]) return null;
  const family = isIP(m[2]);
  return family !== 0 && String(family) === m[1] ? m[2] : null;
}

/** The SDP out of a message body: application/sdp, or the SDP part of multipart/mixed (SIP-I). */
export function sdpFromBody(contentTypeHeader: string | null, body: string | undefined): string | null {
  if (!body || !contentTypeHeader) return null;
  const type = contentTypeHeader.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/sdp') return body;
  if (type !== 'multipart/mixed' && type !== 'multipart/alternative') return null;
  const boundary = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentTypeHeader);
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return null;
  for (const part of body.split(`--${b}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = part.slice(0, split);
    if (/^content-type\s*:\s*application\/sdp\b/im.test(head)) return part.slice(split + 4).replace(/\r\n$/, '');
  }
  return null;
}

/** Parse an SDP offer; an error text when it has no audio stream we can use with G.711. */
export function parseOffer(sdp: string): ParsedOffer | { error: string } {
  if (sdp.length > MAX_SDP_LENGTH) return { error: 'SDP too large' };
  const session: Section = { rtpmap: new Map() };
  const sections: Section[] = [];
  let current = session;
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^([a-z])=(.*)$/.exec(line.trimEnd());
    if (!m?.[1] || m[2] === undefined) continue;
    const [, type, value] = m;
    if (type === 'm') {
      const mm = /^(\S+)\s+(\d{1,5})(?:\/\d+)?\s+(\S+)((?:\s+\S+)*)\s*$/.exec(value);
      current = { rtpmap: new Map() };
      sections.push(current);
      if (mm?.[1] && mm[2] && mm[3]) {
        const fmts = (mm[4] ?? '').trim().split(/\s+/).filter(Boolean);
        current.media = { media: mm[1], port: Number(mm[2]), proto: mm[3], fmts };
      }
    } else if (type === 'c') {
      const address = parseConnection(value);
      if (address) current.address = address;
    } else if (type === 'a') {
      const [attr = '', arg] = splitAttribute(value);
      if (DIRECTIONS.has(attr) && arg === undefined) current.direction = attr as Direction;
      else if (attr === 'ptime' && arg && /^\d{1,4}$/.test(arg.trim())) current.ptime = Number(arg.trim());
      else if (attr === 'rtpmap' && arg) {
        const r = /^(\d{1,3})\s+(\S+)/.exec(arg);
        if (r?.[1] && r[2]) current.rtpmap.set(Number(r[1]), r[2].toLowerCase());
      }
    }
  }

  const audioIndex = sections.findIndex(
    (s) => s.media?.media.toLowerCase() === 'audio' && s.media.port > 0 && s.media.proto.toUpperCase() === 'RTP/AVP',
  );
  const audio = sections[audioIndex];
  if (!audio?.media) return { error: 'no RTP/AVP audio stream' };
  if (audio.media.port > 65535) return { error: 'bad media port' };
  const address = audio.address ?? session.address;
  if (!address) return { error: 'no connection address' };

  const payloadTypes = audio.media.fmts.filter((f) => /^\d{1,3}$/.test(f) && Number(f) <= 127).map(Number);
  const g711: (0 | 8)[] = [];
  let telephoneEvent: number | undefined;
  for (const pt of payloadTypes) {
    const map = audio.rtpmap.get(pt);
    // Static types count unless an rtpmap says otherwise.
    if (pt === 0 && (!map || map === 'pcmu/8000' || map === 'pcmu/8000/1') && !g711.includes(0)) g711.push(0);
    if (pt === 8 && (!map || map === 'pcma/8000' || map === 'pcma/8000/1') && !g711.includes(8)) g711.push(8);
    if (telephoneEvent === undefined && pt >= 96 && map === 'telephone-event/8000') telephoneEvent = pt;
  }
  if (g711.length === 0) return { error: 'neither PCMU nor PCMA offered' };

  const ptime = audio.ptime ?? session.ptime;
  const offer: AudioOffer = {
    address,
    port: audio.media.port,
    payloadTypes,
    g711,
    direction: audio.direction ?? session.direction ?? 'sendrecv',
    ...(telephoneEvent !== undefined ? { telephoneEvent } : {}),
    ...(ptime !== undefined && ptime > 0 ? { ptime } : {}),
  };
  const mediaLines = sections.map((s) => ({
    media: s.media?.media ?? 'audio',
    proto: s.media?.proto ?? 'RTP/AVP',
    fmt: s.media?.fmts[0] ?? '0',
  }));
  return { offer, mediaLines, audioIndex };
}

function splitAttribute(value: string): [string, string | undefined] {
  const i = value.indexOf(':');
  return i < 0 ? [value.trim(), undefined] : [value.slice(0, i).trim(), value.slice(i + 1)];
}

const isNullAddress = (a: string): boolean => a === '0.0.0.0' || a === '::';

/** Our direction in the answer (RFC 3264 6.1); c=0.0.0.0 is the old (RFC 2543) way of saying
 *  "do not send to me", i.e. hold. */
export function answerDirection(offer: AudioOffer): Direction {
  let d = offer.direction;
  if (isNullAddress(offer.address)) d = d === 'sendrecv' ? 'sendonly' : d === 'recvonly' ? 'inactive' : d;
  if (d === 'sendonly') return 'recvonly';
  if (d === 'recvonly') return 'sendonly';
  return d;
}

export interface AnswerParams {
  address: string;
  port: number;
  payloadType: 0 | 8;
  telephoneEvent?: number;
  direction: Direction;
  sessionId: string;
  sessionVersion: number;
  /** The offer's m= lines; all but the audio one are refused with port 0. */
  mediaLines: MediaLine[];
  audioIndex: number;
}

export function buildAnswer(p: AnswerParams): string {
  const ipv = isIP(p.address) === 6 ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=foyer ${p.sessionId} ${p.sessionVersion} IN ${ipv} ${p.address}`,
    's=Foyer',
    `c=IN ${ipv} ${p.address}`,
    't=0 0',
  ];
  p.mediaLines.forEach((m, i) => {
    if (i !== p.audioIndex) {
      lines.push(`m=${ascii(m.media)} 0 ${ascii(m.proto)} ${ascii(m.fmt)}`);
      return;
    }
    const te = p.telephoneEvent;
    lines.push(`m=audio ${p.port} RTP/AVP ${p.payloadType}${te !== undefined ? ` ${te}` : ''}`);
    lines.push(`a=rtpmap:${p.payloadType} ${p.payloadType === 0 ? 'PCMU' : 'PCMA'}/8000`);
    if (te !== undefined) lines.push(`a=rtpmap:${te} telephone-event/8000`, `a=fmtp:${te} 0-16`);
    lines.push('a=ptime:20', `a=${p.direction}`);
  });
  return lines.join('\r\n') + '\r\n';
}

/** Tokens copied from an offer into our answer: keep them to safe ASCII. */
const ascii = (s: string): string => s.replace(/[^\x21-\x7e]/g, '').slice(0, 32) || '0';
