// Typed access to the npm `sip` package (transactions and transports only; patched by
// patches/sip+0.0.6.patch). It ships no types, so the shapes we rely on are declared here.
// Messages come from the network: every field beyond what the package itself checks
// (method or status, Via, Call-ID, To, From, CSeq present) is `unknown` until validated.
import { createRequire } from 'node:module';
import { isIP } from 'node:net';

export interface SipUri {
  schema: string;
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: Record<string, string | null>;
  headers: Record<string, string>;
}

/** Where a message came from, as the package reports it; also usable as a send target. */
export interface Flow {
  protocol: string;
  address: string;
  port: number;
  local: { address: string; port: number };
}

export interface SipMessage {
  method?: string;
  uri?: string | SipUri;
  status?: number;
  reason?: string;
  version?: string;
  headers: Record<string, unknown>;
  content?: string;
}

export interface StackOptions {
  address: string;
  port: number;
  udp: boolean;
  tcp: boolean;
  tls?: { key: Buffer; cert: Buffer };
  tls_port?: number;
  publicAddress: string;
  hostname: string;
  maxBytesHeaders: number;
  maxContentLength: number;
  /** Added by our patch: a message (header block and body) beyond this is dropped (UDP) or ends its connection. */
  maxMessageBytes: number;
  /** Added by our patch: a message with more header lines is dropped (UDP) or ends its connection. */
  maxHeaders: number;
  /** Added by our patch: admission and idle watch of accepted TCP/TLS connections. */
  connections?: ConnectionHooks;
  logger: {
    error: (err: unknown) => void;
    recv?: (m: SipMessage, remote: Flow) => void;
    send?: (m: SipMessage, target: unknown) => void;
  };
  /** Added by our patch: a socket or server error (busy port, failed send). */
  onTransportError: (err: Error, protocol: string) => void;
  /** Added by our patch: a transport is listening. */
  onListening: (protocol: string) => void;
}

/** Where an accepted TCP/TLS connection comes from (the patch's view, before any TLS handshake). */
export interface StreamRemote {
  protocol: string;
  address: string;
  port: number;
}

/** Called by the patched stream transports; none of them may throw. */
export interface ConnectionHooks {
  /** A new connection: false closes it at once (then no close() follows). */
  open(remote: StreamRemote, close: () => void): boolean;
  /** A complete SIP message arrived on a connection (also on ones we opened). */
  message(remote: StreamRemote): void;
  /** An admitted connection is gone. */
  close(remote: StreamRemote): void;
}

export interface SipStack {
  /** Responses go to their server transaction; requests are routed (Route, then Request-URI). */
  send(m: SipMessage, onResponse?: (rs: SipMessage) => void): void;
  /** Added by our patch: a final response sent once, without keeping its transaction (no retransmission). */
  sendStateless(m: SipMessage): void;
  encodeFlowUri(flow: Flow): SipUri;
  hostname(): string;
  /** The callback (added by our patch) runs once the sockets are closed. */
  destroy(done?: () => void): void;
}

interface SipModule {
  create(options: StackOptions, handler: (m: SipMessage, remote: Flow) => void): SipStack;
  parseUri(s: string): SipUri | undefined;
  stringifyUri(uri: SipUri): string;
}

const require = createRequire(import.meta.url);
export const sip = require('sip') as SipModule;

// --- TCP/TLS connection limits (decided here, enforced through the patch's hooks) ---

export interface ConnectionLimits {
  /** Accepted connections at once; beyond it new ones are closed (trunk sources are exempt). */
  maxConnections: number;
  /** Accepted connections at once from one source (an IPv4 address, an IPv6 /64). */
  maxConnectionsPerSource: number;
  /** A connection that has carried no complete SIP message for this long is closed. */
  idleMs: number;
  /** The same once it has carried one; connections of a live dialog stay while the dialog lasts. */
  idleAfterMessageMs: number;
}

/** Per-source accounting: an IPv4 address (also when IPv4-mapped), or the /64 of an IPv6 address. */
export function sourceKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

export type Admission = 'accept' | 'total' | 'per-source';

/** Whether a new connection may stay; `listed` sources (a trunk's own addresses) skip the total cap. */
export function admitConnection(
  counts: { total: number; fromSource: number; listed: boolean },
  limits: Pick<ConnectionLimits, 'maxConnections' | 'maxConnectionsPerSource'>,
): Admission {
  if (counts.fromSource >= limits.maxConnectionsPerSource) return 'per-source';
  if (!counts.listed && counts.total >= limits.maxConnections) return 'total';
  return 'accept';
}

/** Whether a connection has been idle too long at `now` (the caller spares those of live dialogs). */
export function idleExpired(
  conn: { openedAt: number; lastMessageAt: number | null },
  now: number,
  limits: Pick<ConnectionLimits, 'idleMs' | 'idleAfterMessageMs'>,
): boolean {
  if (conn.lastMessageAt === null) return now - conn.openedAt >= limits.idleMs;
  return now - conn.lastMessageAt >= limits.idleAfterMessageMs;
}

/** At most one report per interval; the ones in between are counted into the next. */
export class RateLimitedNotice {
  private last = -Infinity;
  private suppressed = 0;
  private readonly intervalMs: number;
  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** null: stay quiet; otherwise how many were suppressed since the last report. */
  hit(now: number): number | null {
    if (now - this.last < this.intervalMs) {
      this.suppressed++;
      return null;
    }
    const n = this.suppressed;
    this.last = now;
    this.suppressed = 0;
    return n;
  }
}

export const flowKey = (f: StreamRemote): string => `${f.protocol.toUpperCase()} ${f.address} ${f.port}`;

interface Tracked {
  source: string;
  openedAt: number;
  lastMessageAt: number | null;
  close: () => void;
}

/** The patch's ConnectionHooks: caps on accepted connections and the idle timeout. */
export class ConnectionGuard implements ConnectionHooks {
  private readonly conns = new Map<string, Tracked>();
  private readonly perSource = new Map<string, number>();
  private readonly limits: ConnectionLimits;
  private readonly o: {
    /** A trunk's listed address (exempt from the total cap). */
    listed: (address: string) => boolean;
    /** Flow keys (flowKey) of the connections live dialogs use. */
    flowsInUse: () => Set<string>;
    onRefused: (remote: StreamRemote, why: Exclude<Admission, 'accept'>) => void;
    now?: () => number;
  };
  private readonly timer: NodeJS.Timeout;

  constructor(limits: ConnectionLimits, o: ConnectionGuard['o']) {
    this.limits = limits;
    this.o = o;
    const every = Math.min(1000, Math.max(20, Math.min(limits.idleMs, limits.idleAfterMessageMs) / 4));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
  }

  get size(): number {
    return this.conns.size;
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  open(remote: StreamRemote, close: () => void): boolean {
    const source = sourceKey(remote.address);
    const verdict = admitConnection(
      { total: this.conns.size, fromSource: this.perSource.get(source) ?? 0, listed: this.o.listed(remote.address) },
      this.limits,
    );
    if (verdict !== 'accept') {
      this.o.onRefused(remote, verdict);
      return false;
    }
    this.conns.set(flowKey(remote), { source, openedAt: this.now(), lastMessageAt: null, close });
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    return true;
  }

  message(remote: StreamRemote): void {
    const c = this.conns.get(flowKey(remote));
    if (c) c.lastMessageAt = this.now();
  }

  close(remote: StreamRemote): void {
    const k = flowKey(remote);
    const c = this.conns.get(k);
    if (!c) return;
    this.conns.delete(k);
    const n = (this.perSource.get(c.source) ?? 1) - 1;
    if (n > 0) this.perSource.set(c.source, n);
    else this.perSource.delete(c.source);
  }

  /** Close idle connections (runs on a timer; public for tests). */
  sweep(): void {
    const now = this.now();
    let inUse: Set<string> | undefined;
    for (const [k, c] of this.conns) {
      if (!idleExpired(c, now, this.limits)) continue;
      inUse ??= this.o.flowsInUse();
      if (inUse.has(k)) continue;
      c.close();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
