// Validated reads from parsed SIP messages and the building of responses. The sip package
// parses leniently and drops headers it cannot parse, so every accessor checks shapes and
// returns null for anything unexpected instead of trusting it.
import { randomBytes } from 'node:crypto';
import { sip, type SipMessage, type SipUri } from './stack.ts';

export interface NameAddr {
  name?: string;
  uri: string;
  params: Record<string, string | null>;
}

export interface RouteEntry {
  name?: string;
  uri: SipUri;
  params: Record<string, string | null>;
}

export interface CSeq {
  seq: number;
  method: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function stringParams(v: unknown): Record<string, string | null> | null {
  if (!isRecord(v)) return null;
  // A null-prototype copy: parameter names come from the network ("__proto__", "constructor").
  const out: Record<string, string | null> = Object.create(null) as Record<string, string | null>;
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string' || val === null) out[k] = val;
  }
  return out;
}

export function param(params: Record<string, string | null>, name: string): string | null {
  const v = Object.hasOwn(params, name) ? params[name] : undefined;
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** A generic header as text (the package joins repeated ones with commas). */
export function headerText(m: SipMessage, name: string): string | null {
  const v = Object.hasOwn(m.headers, name) ? m.headers[name] : undefined;
  return typeof v === 'string' ? v : null;
}

export function callIdOf(m: SipMessage): string | null {
  const v = headerText(m, 'call-id');
  return v && v.length <= 256 && /^[\x21-\x7e]+$/.test(v) ? v : null;
}

export function cseqOf(m: SipMessage): CSeq | null {
  const v = m.headers.cseq;
  if (!isRecord(v) || typeof v.seq !== 'number' || typeof v.method !== 'string') return null;
  if (!Number.isInteger(v.seq) || v.seq < 0 || v.seq > 0xffffffff) return null;
  return { seq: v.seq, method: v.method };
}

export function nameAddrOf(m: SipMessage, header: 'from' | 'to'): NameAddr | null {
  const v = m.headers[header];
  if (!isRecord(v) || typeof v.uri !== 'string' || v.uri.length === 0) return null;
  const params = stringParams(v.params);
  if (!params) return null;
  return { ...(typeof v.name === 'string' ? { name: v.name } : {}), uri: v.uri, params };
}

export function topBranchOf(m: SipMessage): string | null {
  const via = m.headers.via;
  if (!Array.isArray(via) || via.length === 0) return null;
  const top: unknown = via[0];
  if (!isRecord(top)) return null;
  const params = stringParams(top.params);
  return params ? param(params, 'branch') : null;
}

/** C0 controls other than HTAB, CR and LF (folding), and DEL: never valid in SIP header text (RFC 3261 25.1). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

function hasControl(v: unknown, depth: number): boolean {
  if (typeof v === 'string') return CONTROL.test(v);
  if (depth > 6 || typeof v !== 'object' || v === null) return false;
  for (const [k, x] of Object.entries(v)) if (CONTROL.test(k) || hasControl(x, depth + 1)) return true;
  return false;
}

/** The first header (or "request-uri") whose parsed text holds a control character such as NUL; null when clean. */
export function controlCharacterIn(m: SipMessage): string | null {
  if (hasControl(m.uri, 0)) return 'request-uri';
  for (const [name, v] of Object.entries(m.headers)) if (CONTROL.test(name) || hasControl(v, 0)) return name;
  return null;
}

/** A SIP(S) URI we are willing to put into a request line: parseable, no spaces or quotes. */
export function parseSipUri(s: string): SipUri | null {
  if (s.length > 512 || !/^[\x21-\x7e]+$/.test(s) || /["<>]/.test(s)) return null;
  const u = sip.parseUri(s);
  return u && typeof u.host === 'string' && u.host.length > 0 ? u : null;
}

/** The first Contact URI, if usable as a remote target. */
export function contactUriOf(m: SipMessage): string | null {
  const v = m.headers.contact;
  if (!Array.isArray(v) || v.length === 0) return null;
  const first: unknown = v[0];
  if (!isRecord(first) || typeof first.uri !== 'string') return null;
  return parseSipUri(first.uri) ? first.uri : null;
}

/** Record-Route entries in order; entries the package could not parse are left out. */
export function recordRouteOf(m: SipMessage): RouteEntry[] {
  const v = m.headers['record-route'];
  if (!Array.isArray(v)) return [];
  const out: RouteEntry[] = [];
  for (const e of v as unknown[]) {
    if (!isRecord(e) || !isRecord(e.uri) || typeof e.uri.host !== 'string') continue;
    const uri = parseSipUri(sip.stringifyUri(e.uri as unknown as SipUri));
    const params = stringParams(e.params);
    if (uri && params) out.push({ uri, params });
  }
  return out;
}

/** Media type of the body, lower case without parameters. */
export function contentTypeOf(m: SipMessage): string | null {
  const v = headerText(m, 'content-type');
  if (!v) return null;
  return v.split(';')[0]?.trim().toLowerCase() ?? null;
}

export const randomTag = (): string => randomBytes(8).toString('hex');

/** The package reads bytes as latin1; SIP text is UTF-8. Control characters are dropped. */
function cleanText(s: string, max: number): string {
  return Buffer.from(s, 'latin1')
    .toString('utf8')
    .replace(/[\p{C}\uFFFD]/gu, '')
    .trim()
    .slice(0, max);
}

const ANONYMOUS = new Set(['anonymous', 'restricted', 'unknown', 'unavailable', 'private', 'withheld']);

/** The user part of a sip:, sips: or tel: URI (percent-decoded, without user parameters); null
 *  when there is none or it says "anonymous" (RFC 3323). */
export function userOf(uri: string): string | null {
  let user: string | undefined;
  const tel = /^tel:([^;?]+)/i.exec(uri);
  if (tel) user = tel[1];
  else {
    const u = /^sips?:/i.test(uri) ? sip.parseUri(uri) : undefined;
    if (!u || u.host.toLowerCase() === 'anonymous.invalid') return null;
    user = u.user;
  }
  if (!user) return null;
  // Percent-decoding to bytes (still one char per byte); cleanText then reads them as UTF-8.
  const bytes = (user.split(';')[0] ?? '').replace(/%([0-9a-fA-F]{2})/g, (_, h: string) =>
    String.fromCharCode(parseInt(h, 16)),
  );
  const clean = cleanText(bytes, 64);
  return clean && !ANONYMOUS.has(clean.toLowerCase()) ? clean : null;
}

/** A From display name without quotes and escapes. */
export function displayNameOf(name: string | undefined): string | null {
  if (!name) return null;
  let n = name.trim();
  if (n.length >= 2 && n.startsWith('"') && n.endsWith('"')) n = n.slice(1, -1).replace(/\\(.)/g, '$1');
  return cleanText(n, 100) || null;
}

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  420: 'Bad Extension',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  603: 'Decline',
};

/** A reason phrase that is safe to send: printable ASCII, short. */
export function reasonPhrase(status: number, reason?: string): string {
  const clean = reason
    ?.replace(/[^\x20-\x7e]/g, '')
    .trim()
    .slice(0, 64);
  return clean || REASONS[status] || (status < 300 ? 'OK' : 'Error');
}

export interface ResponseInit {
  /** Our To-tag; when the request had none, a random one is added (RFC 3261 8.2.6.2). */
  toTag?: string;
  headers?: Record<string, unknown>;
  content?: string;
}

/** A response that matches its request's server transaction (same Via, CSeq, Call-ID). */
export function makeResponse(rq: SipMessage, status: number, reason?: string, init: ResponseInit = {}): SipMessage {
  const to = nameAddrOf(rq, 'to');
  let toHeader: unknown = rq.headers.to;
  if (to && status > 100 && !param(to.params, 'tag')) {
    const params = { ...to.params, tag: init.toTag ?? randomTag() };
    toHeader = { ...(to.name !== undefined ? { name: to.name } : {}), uri: to.uri, params };
  }
  const headers: Record<string, unknown> = {
    via: rq.headers.via,
    to: toHeader,
    from: rq.headers.from,
    'call-id': rq.headers['call-id'],
    cseq: rq.headers.cseq,
    ...init.headers,
  };
  return {
    status,
    reason: reasonPhrase(status, reason),
    version: '2.0',
    headers,
    ...(init.content ? { content: init.content } : {}),
  };
}
