// Who may call: trunks by source address (IP or CIDR) and/or HTTP digest credentials
// (RFC 2617 as used by RFC 3261 22). A trunk with both needs both. Nonces are random, single
// use and short-lived; a correct answer to an expired nonce gets a fresh challenge (stale=true).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

export interface TrunkConfig {
  name: string;
  sourceAddresses: string[];
  username?: string;
  password?: string;
}

export type TrunkDecision =
  | { kind: 'accept'; trunk: string }
  /** WWW-Authenticate parameters, values already quoted where needed. */
  | { kind: 'challenge'; params: Record<string, string> }
  | { kind: 'refuse'; reason: 'source-not-allowed' | 'bad-credentials' | 'unknown-user' | 'bad-authorization' };

interface Trunk {
  name: string;
  sources: BlockList | null;
  credentials: { username: string; password: string } | null;
}

const MAX_NONCES = 10_000;

/** "10.0.0.0/8", "192.0.2.7", "2001:db8::/32" → added to the list; throws on anything else. */
function addSource(list: BlockList, entry: string, trunk: string): void {
  const [address = '', prefix, extra] = entry.trim().split('/');
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  if (family === 0 || extra !== undefined || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
    throw new Error(`trunk "${trunk}": "${entry}" is not an IP address or CIDR range`);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefix === undefined) list.addAddress(address, type);
  else if (Number(prefix) <= bits) list.addSubnet(address, Number(prefix), type);
  else throw new Error(`trunk "${trunk}": prefix length of "${entry}" is out of range`);
}

/** IPv4 peers on a dual-stack socket show up as ::ffff:a.b.c.d. */
function normalize(address: string): { address: string; type: 'ipv4' | 'ipv6' } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const a = mapped?.[1] ?? address;
  const family = isIP(a);
  return family === 0 ? null : { address: a, type: family === 4 ? 'ipv4' : 'ipv6' };
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Parameters of a Digest Authorization header as the sip package parsed them (values quoted). */
function digestParams(v: unknown): Map<string, string> | null {
  if (typeof v !== 'object' || v === null) return null;
  const out = new Map<string, string>();
  for (const [k, raw] of Object.entries(v)) {
    if (typeof raw !== 'string') continue;
    const value =
      raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    out.set(k.toLowerCase(), value);
  }
  return out.get('scheme')?.toLowerCase() === 'digest' ? out : null;
}

export interface AuthRequest {
  method: string;
  source: string;
  /** The parsed Authorization header(s), from the network. */
  authorization: unknown;
}

export class TrunkGate {
  readonly realm: string;
  private readonly trunks: Trunk[];
  private readonly nonceTtlMs: number;
  private readonly opaque = randomBytes(8).toString('hex');
  /** Outstanding nonces and when they expire; insertion order is age order. */
  private readonly nonces = new Map<string, number>();

  constructor(trunks: TrunkConfig[], opts: { realm: string; nonceTtlMs: number }) {
    if (!/^[\x20-\x7e]{1,64}$/.test(opts.realm) || /["\\]/.test(opts.realm)) throw new Error('invalid SIP realm');
    this.realm = opts.realm;
    this.nonceTtlMs = opts.nonceTtlMs;
    if (trunks.length === 0) throw new Error('no SIP trunks configured: no call could be accepted');
    this.trunks = trunks.map((t) => {
      let sources: BlockList | null = null;
      if (t.sourceAddresses.length > 0) {
        sources = new BlockList();
        for (const entry of t.sourceAddresses) addSource(sources, entry, t.name);
      }
      const credentials = t.username && t.password ? { username: t.username, password: t.password } : null;
      if (!sources && !credentials)
        throw new Error(`trunk "${t.name}" needs sourceAddresses, or username and password`);
      return { name: t.name, sources, credentials };
    });
  }

  /** Trunks that may send from this address (those without address lists always may). */
  private bySource(source: string): Trunk[] {
    const n = normalize(source);
    if (!n) return [];
    return this.trunks.filter((t) => !t.sources || t.sources.check(n.address, n.type));
  }

  /** Whether any trunk could accept a request from this address (checked for every request outside a dialog). */
  sourceAllowed(source: string): boolean {
    return this.bySource(source).length > 0;
  }

  /** Whether a trunk lists this address among its sources (not merely: any source may try digest). */
  sourceListed(source: string): boolean {
    const n = normalize(source);
    return n !== null && this.trunks.some((t) => t.sources?.check(n.address, n.type));
  }

  /** Decide on a new call (INVITE). */
  authorize(rq: AuthRequest): TrunkDecision {
    const candidates = this.bySource(rq.source);
    if (candidates.length === 0) return { kind: 'refuse', reason: 'source-not-allowed' };
    const open = candidates.find((t) => !t.credentials);
    if (open) return { kind: 'accept', trunk: open.name };

    const list = Array.isArray(rq.authorization) ? (rq.authorization as unknown[]) : [];
    const digest = list.map(digestParams).find((d) => d?.get('realm') === this.realm);
    if (!digest) return this.challenge(false);

    const username = digest.get('username') ?? '';
    const nonce = digest.get('nonce') ?? '';
    const uri = digest.get('uri') ?? '';
    const response = (digest.get('response') ?? '').toLowerCase();
    const qop = digest.get('qop');
    const algorithm = digest.get('algorithm');
    if (!nonce || !uri || !/^[0-9a-f]{32}$/.test(response)) return { kind: 'refuse', reason: 'bad-authorization' };
    if (algorithm !== undefined && algorithm.toLowerCase() !== 'md5') return this.challenge(false);
    if (qop !== undefined && qop !== 'auth') return this.challenge(false);

    const trunk = candidates.find((t) => t.credentials?.username === username);
    if (!trunk?.credentials) return { kind: 'refuse', reason: 'unknown-user' };

    const ha1 = md5(`${username}:${this.realm}:${trunk.credentials.password}`);
    const ha2 = md5(`${rq.method}:${uri}`);
    let expected: string;
    if (qop === 'auth') {
      const nc = digest.get('nc') ?? '';
      const cnonce = digest.get('cnonce') ?? '';
      if (!/^[0-9a-fA-F]{8}$/.test(nc) || !cnonce) return { kind: 'refuse', reason: 'bad-authorization' };
      expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
    } else {
      expected = md5(`${ha1}:${nonce}:${ha2}`);
    }
    if (!sameSecret(expected, response)) return { kind: 'refuse', reason: 'bad-credentials' };
    const opaque = digest.get('opaque');
    // Knows the password but answers an old, used or foreign nonce: ask again.
    // The digest-uri is not compared with the Request-URI: clients differ there (SIPp leaves out
    // the user part), and a nonce is good for one request only, so a captured answer is no use.
    if (!this.takeNonce(nonce) || (opaque !== undefined && opaque !== this.opaque)) return this.challenge(true);
    return { kind: 'accept', trunk: trunk.name };
  }

  private challenge(stale: boolean): TrunkDecision {
    const nonce = randomBytes(16).toString('hex');
    const now = Date.now();
    for (const [n, expires] of this.nonces) {
      if (expires > now && this.nonces.size < MAX_NONCES) break;
      this.nonces.delete(n);
    }
    this.nonces.set(nonce, now + this.nonceTtlMs);
    const params: Record<string, string> = {
      scheme: 'Digest',
      realm: `"${this.realm}"`,
      nonce: `"${nonce}"`,
      opaque: `"${this.opaque}"`,
      algorithm: 'MD5',
      qop: '"auth"',
      ...(stale ? { stale: 'true' } : {}),
    };
    return { kind: 'challenge', params };
  }

  /** A nonce is good once, and only until it expires. */
  private takeNonce(nonce: string): boolean {
    const expires = this.nonces.get(nonce);
    if (expires === undefined) return false;
    this.nonces.delete(nonce);
    return expires > Date.now();
  }
}
