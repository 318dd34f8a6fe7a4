// The SIP server of the gateway: listens on UDP/TCP (and TLS when configured) through the
// patched sip package, lets in calls from configured trunks only, and hands each accepted
// INVITE to the application as an IncomingCall. Everything from the network is validated;
// a malformed message or a broken peer is logged and dropped, never allowed to throw out.
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { createSecureContext } from 'node:tls';
import { maskNumber, type Logger } from '@foyer/common';
import {
  ACCEPT,
  ALLOW,
  Call,
  DEFAULT_TIMERS,
  sendByeFor,
  type DialogHost,
  type DialogSnapshot,
  type SipTimers,
} from './dialog.ts';
import {
  callIdOf,
  contactUriOf,
  controlCharacterIn,
  cseqOf,
  displayNameOf,
  headerText,
  makeResponse,
  nameAddrOf,
  param,
  recordRouteOf,
  topBranchOf,
  userOf,
  type CSeq,
  type NameAddr,
} from './message.ts';
import { parseOffer, sdpFromBody } from './sdp.ts';
import {
  ConnectionGuard,
  flowKey,
  RateLimitedNotice,
  sip,
  type ConnectionLimits,
  type Flow,
  type SipMessage,
  type SipStack,
  type StackOptions,
} from './stack.ts';
import { TrunkGate, type TrunkConfig } from './trunks.ts';
import type { SipServerEvents } from './types.ts';

export interface SipServerOptions {
  bind: string;
  port: number;
  transports: ('udp' | 'tcp')[];
  /** Address put into Contact and Via (NAT); default: the bind address. */
  publicAddress?: string;
  tls?: { port: number; certFile: string; keyFile: string };
  trunks: TrunkConfig[];
  log: Logger;
  /** Digest realm; default "foyer". */
  realm?: string;
  /** Protocol timers in ms (tests shorten them). */
  timers?: Partial<SipTimers>;
  /** Concurrent calls beyond this get 503. Default 1000. */
  maxCalls?: number;
  /** Connection and message limits (DEFAULT_LIMITS for what is left out). */
  limits?: Partial<SipLimits>;
}

export interface SipLimits extends ConnectionLimits {
  /** A message (header block and body) beyond this is dropped (UDP) or ends its TCP/TLS connection. */
  maxMessageBytes: number;
  /** A message with more header lines is dropped (UDP) or ends its TCP/TLS connection. */
  maxHeaders: number;
}

/** The defaults of gateway.sip.limits (config/src/schema.ts; seconds there, ms here). */
export const DEFAULT_LIMITS: SipLimits = {
  maxConnections: 500,
  maxConnectionsPerSource: 20,
  idleMs: 30_000,
  idleAfterMessageMs: 300_000,
  maxMessageBytes: 32 * 1024,
  maxHeaders: 100,
};

/** One log line per this interval at most about refused connections. */
const REFUSED_NOTICE_MS = 10_000;

export interface SipServer extends EventEmitter<SipServerEvents> {
  readonly port: number;
  /** Ends every call (BYE or 503), waits briefly for the BYEs, then closes the sockets. */
  close(): Promise<void>;
  /** End a dialog this process no longer holds (a call from before a restart); the final status. */
  byeFromSnapshot(d: DialogSnapshot): Promise<number>;
}

/** Methods we know but do not take (405), as opposed to ones we have never heard of (501). */
const NOT_ALLOWED = new Set(['REGISTER', 'SUBSCRIBE', 'NOTIFY', 'MESSAGE', 'REFER', 'PUBLISH', 'PRACK', 'UPDATE']);
const SUPPORTED = new Set(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO']);

/** Start listening; rejects (the process keeps running) when a port is busy or a file is missing. */
export async function createSipServer(opts: SipServerOptions): Promise<SipServer> {
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw new Error(`bad SIP port ${opts.port}`);
  if (opts.transports.length === 0 && !opts.tls) throw new Error('no SIP transport configured');
  let tls: StackOptions['tls'];
  if (opts.tls) {
    const [key, cert] = await Promise.all([readFile(opts.tls.keyFile), readFile(opts.tls.certFile)]);
    // Checked here: the package would throw on a bad key only after opening the other ports.
    createSecureContext({ key, cert });
    tls = { key, cert };
  }
  const server = new Server(opts, tls);
  await server.ready;
  return server;
}

function defaultPublicAddress(bind: string, log: Logger): string {
  if (bind !== '0.0.0.0' && bind !== '::') return bind;
  const ipv4 = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  log.warn({ bind, using: ipv4 ?? '127.0.0.1' }, 'gateway.sip.publicAddress not set: guessing it for Contact/Via');
  return ipv4 ?? '127.0.0.1';
}

const key = (...parts: string[]): string => parts.join('\n');

class Server extends EventEmitter<SipServerEvents> implements SipServer, DialogHost {
  readonly port: number;
  readonly timers: SipTimers;
  readonly stack: SipStack;
  readonly ready: Promise<void>;
  private readonly log: Logger;
  private readonly gate: TrunkGate;
  private readonly hostname: string;
  private readonly tlsPort: number | undefined;
  private readonly maxCalls: number;
  private readonly guard: ConnectionGuard | null;
  /** Dialogs by Call-ID and our tag. */
  private readonly dialogs = new Map<string, Call>();
  /** Calls by the INVITE's Call-ID, branch and CSeq, for CANCEL. */
  private readonly byInvite = new Map<string, Call>();
  private readonly inviteKeys = new Map<Call, string>();
  /** Our requests (BYEs) still waiting for a final response. */
  private readonly pending = new Set<Promise<void>>();
  private closing: Promise<void> | null = null;

  constructor(opts: SipServerOptions, tls: StackOptions['tls']) {
    super();
    this.log = opts.log.child({ component: 'sip' });
    this.port = opts.port;
    this.timers = { ...DEFAULT_TIMERS, ...opts.timers };
    this.maxCalls = opts.maxCalls ?? 1000;
    this.gate = new TrunkGate(opts.trunks, { realm: opts.realm ?? 'foyer', nonceTtlMs: this.timers.nonceTtl });
    this.hostname = opts.publicAddress ?? defaultPublicAddress(opts.bind, this.log);
    this.tlsPort = opts.tls?.port;
    const limits = { ...DEFAULT_LIMITS, ...opts.limits };

    const expected = new Set<string>();
    if (opts.transports.includes('udp')) expected.add('UDP');
    if (opts.transports.includes('tcp')) expected.add('TCP');
    if (tls) expected.add('TLS');
    let settled = false;
    let resolveReady: () => void = () => {};
    let rejectReady: (err: Error) => void = () => {};
    this.ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    const listening = new Set<string>();
    const log = this.log;
    const trace = log.isLevelEnabled('trace');
    const refusedNotice = new RateLimitedNotice(REFUSED_NOTICE_MS);
    this.guard =
      expected.has('TCP') || expected.has('TLS')
        ? new ConnectionGuard(limits, {
            listed: (address) => this.gate.sourceListed(address),
            flowsInUse: () => new Set([...this.dialogs.values()].map((c) => flowKey(c.signallingFlow))),
            onRefused: (remote, reason) => {
              const suppressed = refusedNotice.hit(Date.now());
              if (suppressed === null) return;
              log.warn(
                {
                  event: 'sip_connection_refused',
                  source: remote.address,
                  transport: remote.protocol,
                  reason,
                  open: this.guard?.size,
                  limit: reason === 'total' ? limits.maxConnections : limits.maxConnectionsPerSource,
                  refusedSinceLastLine: suppressed,
                },
                `SIP connection refused: ${reason === 'total' ? 'too many connections' : 'too many connections from this source'} (one line per ${REFUSED_NOTICE_MS / 1000} s)`,
              );
            },
          })
        : null;

    this.stack = sip.create(
      {
        address: opts.bind,
        port: opts.port,
        udp: expected.has('UDP'),
        tcp: expected.has('TCP'),
        ...(tls && opts.tls ? { tls, tls_port: opts.tls.port } : {}),
        publicAddress: this.hostname,
        hostname: this.hostname,
        maxBytesHeaders: limits.maxMessageBytes,
        maxContentLength: limits.maxMessageBytes,
        maxMessageBytes: limits.maxMessageBytes,
        maxHeaders: limits.maxHeaders,
        ...(this.guard ? { connections: this.guard } : {}),
        logger: {
          error: (err: unknown) =>
            log.warn({ err: err instanceof Error ? err.message : String(err) }, 'sip stack error'),
          ...(trace
            ? {
                recv: (m: SipMessage, remote: Flow) =>
                  log.trace(
                    { method: m.method, status: m.status, callId: callIdOf(m), from: remote.address },
                    'sip recv',
                  ),
                send: (m: SipMessage) =>
                  log.trace({ method: m.method, status: m.status, callId: callIdOf(m) }, 'sip send'),
              }
            : {}),
        },
        onListening: (protocol) => {
          listening.add(protocol);
          if (!settled && [...expected].every((p) => listening.has(p))) {
            settled = true;
            resolveReady();
          }
        },
        onTransportError: (err, protocol) => {
          if (settled) {
            log.warn({ err: err.message, protocol }, 'SIP transport error');
            return;
          }
          settled = true;
          const address = protocol === 'TLS' ? `${opts.bind}:${opts.tls?.port}` : `${opts.bind}:${opts.port}`;
          const error = new Error(`SIP cannot listen on ${protocol} ${address}: ${err.message}`, { cause: err });
          // Free whatever did start before reporting.
          setImmediate(() => this.stack.destroy(() => rejectReady(error)));
        },
      },
      (m, remote) => this.onMessage(m, remote),
    );
  }

  // --- DialogHost ---

  contact(flow: Flow): string {
    const host = isIP(this.hostname) === 6 ? `[${this.hostname}]` : this.hostname;
    const protocol = flow.protocol.toUpperCase();
    if (protocol === 'TLS') return `<sip:${host}:${this.tlsPort ?? 5061};transport=tls>`;
    if (protocol === 'TCP') return `<sip:${host}:${this.port};transport=tcp>`;
    return `<sip:${host}:${this.port}>`;
  }

  send(m: SipMessage): void {
    try {
      this.stack.send(m);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, status: m.status }, 'could not send SIP response');
    }
  }

  /** A final response without retransmissions: for refusals of sources we do not know. */
  private sendOnce(m: SipMessage): void {
    try {
      this.stack.sendStateless(m);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, status: m.status }, 'could not send SIP response');
    }
  }

  request(m: SipMessage, onFinal: (rs: SipMessage) => void): void {
    let done = (): void => {};
    const p = new Promise<void>((resolve) => (done = resolve));
    this.pending.add(p);
    void p.then(() => this.pending.delete(p));
    try {
      this.stack.send(m, (rs) => {
        try {
          if ((rs.status ?? 0) < 200) return;
          done();
          onFinal(rs);
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'SIP response handling failed');
        }
      });
    } catch (err) {
      done();
      this.log.warn({ err: (err as Error).message, method: m.method }, 'could not send SIP request');
    }
  }

  forget(call: Call): void {
    this.dialogs.delete(key(call.callId, call.localTag));
    const k = this.inviteKeys.get(call);
    if (k !== undefined) this.byInvite.delete(k);
    this.inviteKeys.delete(call);
  }

  // --- lifecycle ---

  byeFromSnapshot(d: DialogSnapshot): Promise<number> {
    return sendByeFor(this, d, this.log);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.guard?.stop();
      for (const call of [...this.dialogs.values()]) call.shutdown();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.timers.closeGrace)));
      await Promise.race([Promise.all([...this.pending]), grace]);
      clearTimeout(timer);
      await new Promise<void>((resolve) => {
        const fallback = setTimeout(resolve, 2000);
        try {
          this.stack.destroy(() => {
            clearTimeout(fallback);
            resolve();
          });
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'SIP stack close failed');
          clearTimeout(fallback);
          resolve();
        }
      });
    })();
    return this.closing;
  }

  // --- incoming requests ---

  private onMessage(m: SipMessage, remote: Flow): void {
    try {
      this.dispatch(m, remote);
    } catch (err) {
      this.log.error(
        { err: (err as Error).message, method: m.method, source: remote.address },
        'SIP request handling failed',
      );
      // An INVITE that became a call gets its final response from the call; anything else here.
      const invite = m.method === 'INVITE' && [...this.dialogs.values()].some((c) => c.callId === callIdOf(m));
      if (m.method && m.method !== 'ACK' && !invite) this.send(makeResponse(m, 500));
    }
  }

  private dispatch(m: SipMessage, remote: Flow): void {
    const method = m.method;
    if (!method) return; // responses go to client transactions inside the stack
    const callId = callIdOf(m);
    const cseq = cseqOf(m);
    const from = nameAddrOf(m, 'from');
    const to = nameAddrOf(m, 'to');
    if (!callId || !cseq || !from || !to || cseq.method !== method || typeof m.uri !== 'string') {
      if (method !== 'ACK') this.sendOnce(makeResponse(m, 400));
      return;
    }
    const toTag = param(to.params, 'tag');
    const fromTag = param(from.params, 'tag') ?? '';

    if (toTag) {
      const call = this.dialogs.get(key(callId, toTag));
      const inDialog = call && call.remoteTag === fromTag ? call : undefined;
      if (method === 'ACK') {
        if (inDialog) {
          inDialog.noteFlow(remote);
          inDialog.onAck(m);
        }
        return;
      }
      if (!SUPPORTED.has(method)) return this.refuseMethod(m, method);
      if (method === 'CANCEL') return this.onCancel(m, callId, cseq);
      if (!inDialog) return this.send(makeResponse(m, 481));
      inDialog.noteFlow(remote);
      if (method === 'INVITE') inDialog.onReinvite(m);
      else if (method === 'BYE') inDialog.onBye(m);
      else if (method === 'INFO') inDialog.onInfo(m);
      else inDialog.onOptions(m);
      return;
    }

    // Outside a dialog. ACKs for our error responses are absorbed by the stack's transactions.
    if (method === 'ACK') return;
    if (!this.gate.sourceAllowed(remote.address)) return this.refuse(m, remote, 'source-not-allowed');
    // A NUL in a display name would reach the dialog snapshot (active_calls) and the logs.
    const bad = controlCharacterIn(m);
    if (bad !== null) {
      this.log.info(
        { source: remote.address, method, header: bad },
        'SIP request refused: control character in a header',
      );
      return this.sendOnce(makeResponse(m, 400, 'Invalid Character In Header'));
    }
    if (!SUPPORTED.has(method)) return this.refuseMethod(m, method);
    if (method === 'INVITE') return this.onInvite(m, remote, { callId, cseq, from, fromTag, to });
    if (method === 'CANCEL') return this.onCancel(m, callId, cseq);
    if (method === 'OPTIONS')
      return this.send(makeResponse(m, 200, undefined, { headers: { allow: ALLOW, accept: ACCEPT } }));
    this.send(makeResponse(m, 481)); // BYE or INFO for no dialog
  }

  private refuseMethod(m: SipMessage, method: string): void {
    this.send(makeResponse(m, NOT_ALLOWED.has(method) ? 405 : 501, undefined, { headers: { allow: ALLOW } }));
  }

  /** A 403, logged as one line for fail2ban-style tools. */
  private refuse(m: SipMessage, remote: Flow, reason: string): void {
    this.log.warn(
      {
        event: 'sip_refused',
        source: remote.address,
        port: remote.port,
        transport: remote.protocol,
        method: m.method,
        reason,
      },
      'SIP request refused',
    );
    // Once, statelessly: the source may be forged, and a retransmitted 403 would amplify.
    this.sendOnce(makeResponse(m, 403));
  }

  private onCancel(m: SipMessage, callId: string, cseq: CSeq): void {
    const call = this.byInvite.get(key(callId, topBranchOf(m) ?? '', String(cseq.seq)));
    if (call) call.onCancel(m);
    else this.send(makeResponse(m, 481));
  }

  private onInvite(
    m: SipMessage,
    remote: Flow,
    d: { callId: string; cseq: CSeq; from: NameAddr; fromTag: string; to: NameAddr },
  ): void {
    const uri = m.uri as string;
    const decision = this.gate.authorize({
      method: 'INVITE',
      source: remote.address,
      authorization: m.headers.authorization,
    });
    if (decision.kind === 'challenge') {
      this.log.debug({ source: remote.address, callId: d.callId }, 'INVITE challenged');
      // Stateless like the 403 (RFC 3261 8.2.7): a retransmitted INVITE gets a fresh challenge.
      return this.sendOnce(makeResponse(m, 401, undefined, { headers: { 'www-authenticate': [decision.params] } }));
    }
    if (decision.kind === 'refuse') return this.refuse(m, remote, decision.reason);

    if (this.closing || this.dialogs.size >= this.maxCalls || this.listenerCount('call') === 0) {
      return this.send(makeResponse(m, 503, undefined, { headers: { 'retry-after': '30' } }));
    }
    const require = headerText(m, 'require');
    if (require?.trim())
      return this.send(makeResponse(m, 420, undefined, { headers: { unsupported: require.trim() } }));

    const sdp = sdpFromBody(headerText(m, 'content-type'), m.content);
    const parsed = sdp ? parseOffer(sdp) : { error: 'no SDP offer' };
    if ('error' in parsed) {
      this.log.info(
        { callId: d.callId, source: remote.address, reason: parsed.error },
        'INVITE refused: no usable audio',
      );
      const warning = `305 ${this.hostname} "${parsed.error}"`;
      return this.send(makeResponse(m, 488, undefined, { headers: { warning } }));
    }

    const host = isIP(remote.address) === 6 ? `[${remote.address}]` : remote.address;
    const call = new Call({
      host: this,
      log: this.log,
      invite: m,
      flow: remote,
      callId: d.callId,
      from: d.from,
      fromTag: d.fromTag,
      to: d.to,
      cseq: d.cseq.seq,
      remoteTarget: contactUriOf(m) ?? `sip:${host}:${remote.port}`,
      routeSet: recordRouteOf(m),
      parsed,
      trunk: decision.trunk,
      caller: userOf(d.from.uri),
      callerDisplayName: displayNameOf(d.from.name),
      dialled: userOf(uri),
    });
    const inviteKey = key(d.callId, topBranchOf(m) ?? '', String(d.cseq.seq));
    this.dialogs.set(key(d.callId, call.localTag), call);
    this.byInvite.set(inviteKey, call);
    this.inviteKeys.set(call, inviteKey);
    this.send(makeResponse(m, 100));
    this.log.info(
      // The caller's number masked, as the rooms show it: logs are no phone book.
      {
        callId: d.callId,
        trunk: decision.trunk,
        caller: call.caller && maskNumber(call.caller),
        dialled: call.dialled,
        source: remote.address,
      },
      'incoming call',
    );
    try {
      this.emit('call', call);
    } catch (err) {
      this.log.error({ err: (err as Error).message, callId: d.callId }, "'call' listener threw");
      if (call.state === 'offered' || call.state === 'ringing' || call.state === 'early') call.reject(500);
    }
  }
}
