// Our dialog layer on top of the sip package's transactions (it has none): one Call per INVITE
// dialog as a UAS. It owns the To-tag, the CSeq counters, the route set and remote target, the
// 2xx retransmission until the ACK (RFC 3261 13.3.1.4), CANCEL/BYE/INFO/re-INVITE in the
// dialog, and guarantees every INVITE a final response (the package would keep an unanswered
// INVITE transaction forever).
import { isIP } from 'node:net';
import { EventEmitter } from 'node:events';
import type { Logger } from '@foyer/common';
import {
  contactUriOf,
  contentTypeOf,
  cseqOf,
  headerText,
  makeResponse,
  randomTag,
  type NameAddr,
  type RouteEntry,
} from './message.ts';
import { answerDirection, buildAnswer, parseOffer, sdpFromBody, type MediaLine, type ParsedOffer } from './sdp.ts';
import type { Flow, SipMessage, SipStack } from './stack.ts';
import type { AudioAnswer, AudioOffer, CallEvents, Direction, IncomingCall } from './types.ts';

export interface SipTimers {
  /** RFC 3261 T1 and T2: the 2xx retransmission interval starts at T1 and doubles up to T2. */
  t1: number;
  t2: number;
  /** An INVITE the application leaves unanswered this long gets 480 and is forgotten. */
  answerTimeout: number;
  /** How long a digest nonce may be used. */
  nonceTtl: number;
  /** On close, how long to wait for answers to our BYEs. */
  closeGrace: number;
}

// The answer timeout is generous: the PIN dialogue may run as early media before the answer.
export const DEFAULT_TIMERS: SipTimers = {
  t1: 500,
  t2: 4000,
  answerTimeout: 180_000,
  nonceTtl: 60_000,
  closeGrace: 1000,
};

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO';
export const ACCEPT = 'application/sdp, application/dtmf-relay, application/dtmf';

/** What a Call needs from the server that owns it. */
export interface DialogHost {
  readonly stack: SipStack;
  readonly timers: SipTimers;
  /** Our Contact header value for dialogs on this flow. */
  contact(flow: Flow): string;
  /** Send a response; failures are logged, never thrown. */
  send(m: SipMessage): void;
  /** Send a request; onFinal gets the final response (or the stack's own 408/503). */
  request(m: SipMessage, onFinal: (rs: SipMessage) => void): void;
  /** The dialog is over. */
  forget(call: Call): void;
}

export interface CallInit {
  host: DialogHost;
  log: Logger;
  invite: SipMessage;
  flow: Flow;
  callId: string;
  from: NameAddr;
  fromTag: string;
  to: NameAddr;
  cseq: number;
  remoteTarget: string;
  routeSet: RouteEntry[];
  parsed: ParsedOffer;
  trunk: string;
  caller: string | null;
  callerDisplayName: string | null;
  dialled: string | null;
}

type State = IncomingCall['state'];

/** Digits of RFC 4733 event codes 0-15, as sent in INFO bodies by some gateways. */
const EVENT_DIGITS = '0123456789*#ABCD';

/** The digit of an INFO body: a digit, null if there is none, 'bad' if the body is not DTMF we know. */
export function infoDigit(contentType: string | null, body: string): string | null | 'bad' {
  let value: string | undefined;
  if (contentType === 'application/dtmf-relay') value = /^\s*signal\s*=\s*(\S+)\s*$/im.exec(body)?.[1];
  else if (contentType === 'application/dtmf') value = body.trim();
  else return 'bad';
  if (value === undefined || value === '') return null;
  const v = value.toUpperCase();
  if (v.length === 1 && EVENT_DIGITS.includes(v)) return v;
  if (/^\d{1,2}$/.test(v) && Number(v) < 16) return EVENT_DIGITS[Number(v)] ?? null;
  return 'bad';
}

export class Call extends EventEmitter<CallEvents> implements IncomingCall {
  readonly callId: string;
  readonly caller: string | null;
  readonly callerDisplayName: string | null;
  readonly dialled: string | null;
  readonly source: IncomingCall['source'];
  readonly trunk: string;
  readonly offer: AudioOffer;
  /** Our tag (To of the INVITE) and theirs (From): with the Call-ID they identify the dialog. */
  readonly localTag = randomTag();
  readonly remoteTag: string;

  private readonly host: DialogHost;
  private readonly log: Logger;
  private readonly invite: SipMessage;
  private readonly from: NameAddr;
  private readonly to: NameAddr;
  private readonly routeSet: RouteEntry[];
  private flow: Flow;
  private remoteTarget: string;
  private remoteCSeq: number;
  private readonly inviteCSeq: number;
  private localCSeq = 0;
  private _state: State = 'offered';
  /** The INVITE still waits for its final response. */
  private inviteOpen = true;
  /** The server has forgotten the dialog. */
  private closed = false;
  private mediaLines: MediaLine[];
  private audioIndex: number;
  private local: (AudioAnswer & { sessionId: string; version: number; lastKey: string }) | null = null;
  private retrans: { response: SipMessage; cseq: number; timer: NodeJS.Timeout; giveUp: NodeJS.Timeout } | null = null;
  /** Our 200 to an offerless re-INVITE carried an offer: the answer comes in the ACK. */
  private answerInAck = false;
  /** hangup() before the ACK: the BYE waits for it (RFC 3261 15). */
  private byeWhenAcked = false;
  private answerTimer: NodeJS.Timeout | null;

  constructor(init: CallInit) {
    super();
    this.host = init.host;
    this.invite = init.invite;
    this.flow = init.flow;
    this.callId = init.callId;
    this.from = init.from;
    this.remoteTag = init.fromTag;
    this.to = init.to;
    this.remoteCSeq = init.cseq;
    this.inviteCSeq = init.cseq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.offer = init.parsed.offer;
    this.mediaLines = init.parsed.mediaLines;
    this.audioIndex = init.parsed.audioIndex;
    this.trunk = init.trunk;
    this.caller = init.caller;
    this.callerDisplayName = init.callerDisplayName;
    this.dialled = init.dialled;
    const protocol = init.flow.protocol.toLowerCase();
    this.source = {
      address: init.flow.address,
      port: init.flow.port,
      transport: protocol === 'tcp' || protocol === 'tls' ? protocol : 'udp',
    };
    this.log = init.log.child({ callId: init.callId });
    this.answerTimer = setTimeout(() => this.onAnswerTimeout(), this.host.timers.answerTimeout);
    this.answerTimer.unref();
  }

  get state(): State {
    return this._state;
  }

  // --- the application's side (IncomingCall) ---

  ringing(): void {
    if (this._state !== 'offered') return;
    this._state = 'ringing';
    this.replyToInvite(180);
  }

  progress(local: AudioAnswer): void {
    if (!this.waiting() || this._state === 'early') {
      this.log.debug({ state: this._state }, 'progress() ignored');
      return;
    }
    const l = this.setLocal(local, 'progress');
    this._state = 'early';
    // Unreliable 183 (no PRACK): the stack repeats it on INVITE retransmissions, and the 200
    // carries the same SDP (RFC 3261 13.2.1).
    this.replyToInvite(183, undefined, this.localSdp(answerDirection(this.offer), l.telephoneEvent));
  }

  answer(local: AudioAnswer): void {
    if (!this.waiting()) {
      this.log.debug({ state: this._state }, 'answer() ignored: call not waiting for an answer');
      return;
    }
    const l = this.setLocal(local, 'answer');
    this._state = 'answered';
    const res = this.replyToInvite(200, undefined, this.localSdp(answerDirection(this.offer), l.telephoneEvent));
    this.startRetransmission(res, this.inviteCSeq);
  }

  reject(status: number, reason?: string): void {
    if (!Number.isInteger(status) || status < 300 || status > 699) throw new RangeError(`reject: bad status ${status}`);
    if (!this.waiting()) {
      this.log.debug({ state: this._state }, 'reject() ignored: call already answered or ended');
      return;
    }
    this.replyToInvite(status, reason);
    this.end(`rejected ${status}`);
    this.forget();
  }

  hangup(reason?: string): void {
    switch (this._state) {
      case 'offered':
      case 'ringing':
      case 'early':
        this.replyToInvite(480);
        this.end(reason ?? 'hangup');
        this.forget();
        return;
      case 'answered':
        this.byeWhenAcked = true;
        this.end(reason ?? 'hangup');
        return;
      case 'confirmed':
        this.sendBye();
        this.end(reason ?? 'hangup');
        this.forget();
        return;
      case 'ended':
        return;
    }
  }

  // --- requests from the peer, dispatched by the server ---

  /** The flow our requests in this dialog take (the one the peer used last). */
  get signallingFlow(): Flow {
    return this.flow;
  }

  /** An in-dialog request (or ACK) came in on this flow: later requests of ours follow it. */
  noteFlow(flow: Flow): void {
    this.flow = flow;
  }

  onAck(m: SipMessage): void {
    const cseq = cseqOf(m);
    if (!this.retrans || cseq?.seq !== this.retrans.cseq) return;
    this.stopRetransmission();
    if (this.answerInAck) {
      this.answerInAck = false;
      this.takeSdpFromAck(m);
    }
    if (this.byeWhenAcked) {
      this.sendBye();
      this.forget();
      return;
    }
    if (this._state === 'answered') {
      this._state = 'confirmed';
      this.fire('ack');
    }
  }

  onCancel(cancel: SipMessage): void {
    // Same To-tag as our answer to the INVITE (RFC 3261 9.2).
    this.host.send(makeResponse(cancel, 200, undefined, { toTag: this.localTag }));
    if (!this.inviteOpen || !this.waiting()) return;
    this.replyToInvite(487);
    this.fire('cancel');
    this.end('cancel');
    this.forget();
  }

  onBye(m: SipMessage): void {
    if (!this.inOrder(m)) return;
    this.host.send(makeResponse(m, 200));
    // A BYE in the early dialog also ends the INVITE (RFC 3261 15.1.2).
    if (this.inviteOpen) this.replyToInvite(487);
    if (this._state !== 'ended') {
      this.fire('bye');
      this.end('bye');
    }
    this.forget();
  }

  onInfo(m: SipMessage): void {
    if (!this.inOrder(m)) return;
    const body = m.content ?? '';
    if (body.trim() === '') {
      this.host.send(makeResponse(m, 200)); // an empty INFO is a keep-alive
      return;
    }
    const digit = infoDigit(contentTypeOf(m), body);
    if (digit === 'bad') {
      this.host.send(
        makeResponse(m, 415, undefined, { headers: { accept: 'application/dtmf-relay, application/dtmf' } }),
      );
      return;
    }
    this.host.send(makeResponse(m, 200));
    if (digit !== null && this._state !== 'ended') this.fire('info', digit);
  }

  onOptions(m: SipMessage): void {
    this.host.send(makeResponse(m, 200, undefined, { headers: { allow: ALLOW, accept: ACCEPT } }));
  }

  onReinvite(m: SipMessage): void {
    if (!this.inOrder(m)) return;
    const seq = cseqOf(m)?.seq ?? 0;
    if (this._state !== 'confirmed' || this.retrans || !this.local) {
      if (this._state === 'ended') {
        this.host.send(makeResponse(m, 481));
        return;
      }
      // The previous INVITE transaction is not complete yet (RFC 3261 14.2).
      const retryAfter = String(Math.floor(Math.random() * 10));
      this.host.send(makeResponse(m, 500, undefined, { headers: { 'retry-after': retryAfter } }));
      return;
    }
    const target = contactUriOf(m);
    if (target) this.remoteTarget = target;

    const sdp = sdpFromBody(headerText(m, 'content-type'), m.content);
    if (!sdp) {
      // No offer (e.g. a session refresh): we offer our current media and read the answer from the ACK.
      const body = this.localSdp('sendrecv', this.local.telephoneEvent);
      this.answerInAck = true;
      this.startRetransmission(this.replyTo(m, 200, body), seq);
      return;
    }
    const parsed = parseOffer(sdp);
    if ('error' in parsed || !parsed.offer.g711.includes(this.local.payloadType)) {
      const text = 'error' in parsed ? parsed.error : 'codec in use not offered';
      this.log.info({ reason: text }, 're-INVITE refused');
      this.host.send(makeResponse(m, 488, undefined, { headers: { warning: `305 foyer "${text}"` } }));
      return;
    }
    this.mediaLines = parsed.mediaLines;
    this.audioIndex = parsed.audioIndex;
    // Keep telephone-event when we accepted it at first, under the number this offer uses.
    const te = this.local.telephoneEvent !== undefined ? parsed.offer.telephoneEvent : undefined;
    const body = this.localSdp(answerDirection(parsed.offer), te);
    this.startRetransmission(this.replyTo(m, 200, body), seq);
    this.fire('reinvite', parsed.offer);
  }

  /** The server is closing: end the call whatever its state. */
  shutdown(): void {
    if (this.waiting()) this.replyToInvite(503, 'Shutting Down');
    else if (this._state !== 'ended' || this.byeWhenAcked) this.sendBye();
    this.end('shutdown');
    this.forget();
  }

  // --- internals ---

  /** Before the final response to the INVITE. */
  private waiting(): boolean {
    return this._state === 'offered' || this._state === 'ringing' || this._state === 'early';
  }

  /** Validate our media (a wrong value is a bug in the application: thrown) and keep it. */
  private setLocal(local: AudioAnswer, what: string): AudioAnswer {
    if (isIP(local.address) === 0) throw new RangeError(`${what}: "${local.address}" is not an IP address`);
    if (!Number.isInteger(local.port) || local.port < 1 || local.port > 65535)
      throw new RangeError(`${what}: bad port`);
    if (!this.offer.g711.includes(local.payloadType)) throw new RangeError(`${what}: payload type was not offered`);
    if (local.telephoneEvent !== undefined && local.telephoneEvent !== this.offer.telephoneEvent) {
      throw new RangeError(`${what}: telephone-event payload type was not offered`);
    }
    const keep = this.local;
    this.local = {
      address: local.address,
      port: local.port,
      payloadType: local.payloadType,
      ...(local.telephoneEvent !== undefined ? { telephoneEvent: local.telephoneEvent } : {}),
      sessionId: keep?.sessionId ?? String(Math.floor(Math.random() * 1e9) + 1),
      version: keep?.version ?? 1,
      lastKey: keep?.lastKey ?? '',
    };
    return this.local;
  }

  private fire<K extends keyof CallEvents>(event: K, ...args: CallEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: CallEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ err: (err as Error).message, event }, 'call event listener threw');
    }
  }

  private end(reason: string): void {
    if (this._state === 'ended') return;
    this._state = 'ended';
    if (this.answerTimer) clearTimeout(this.answerTimer);
    this.answerTimer = null;
    this.log.debug({ reason }, 'call ended');
    this.fire('ended', reason);
  }

  private forget(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopRetransmission();
    if (this.answerTimer) clearTimeout(this.answerTimer);
    this.answerTimer = null;
    this.host.forget(this);
  }

  /** In-dialog requests must not go back in CSeq (RFC 3261 12.2.2). */
  private inOrder(m: SipMessage): boolean {
    const seq = cseqOf(m)?.seq;
    if (seq === undefined || seq < this.remoteCSeq) {
      this.host.send(makeResponse(m, 500, 'CSeq Out Of Order'));
      return false;
    }
    this.remoteCSeq = seq;
    return true;
  }

  private replyToInvite(status: number, reason?: string, body?: string): SipMessage {
    if (status >= 200) this.inviteOpen = false;
    return this.replyTo(this.invite, status, body, reason);
  }

  /** A response carrying our tag; 1xx/2xx to an INVITE also establish the dialog (Contact, Record-Route). */
  private replyTo(rq: SipMessage, status: number, body?: string, reason?: string): SipMessage {
    const headers: Record<string, unknown> = {};
    if (status > 100 && status < 300) {
      headers.contact = this.host.contact(this.flow);
      if (rq === this.invite && this.routeSet.length > 0) headers['record-route'] = this.routeSet.map(copyRoute);
      if (status >= 200) {
        headers.allow = ALLOW;
        headers.accept = ACCEPT;
      }
    }
    if (body) headers['content-type'] = 'application/sdp';
    const res = makeResponse(rq, status, reason, { toTag: this.localTag, headers, ...(body ? { content: body } : {}) });
    this.host.send(res);
    return res;
  }

  /** Our SDP; the o= version goes up only when the content changes (RFC 3264 8). */
  private localSdp(direction: Direction, telephoneEvent: number | undefined): string {
    const l = this.local;
    if (!l) throw new Error('no local media yet');
    const params = {
      address: l.address,
      port: l.port,
      payloadType: l.payloadType,
      direction,
      mediaLines: this.mediaLines,
      audioIndex: this.audioIndex,
      ...(telephoneEvent !== undefined ? { telephoneEvent } : {}),
    };
    const key = JSON.stringify(params);
    if (l.lastKey && key !== l.lastKey) l.version += 1;
    l.lastKey = key;
    return buildAnswer({ ...params, sessionId: l.sessionId, sessionVersion: l.version });
  }

  private startRetransmission(response: SipMessage, cseq: number): void {
    this.stopRetransmission();
    const { t1, t2 } = this.host.timers;
    let interval = t1;
    const tick = (): void => {
      if (!this.retrans) return;
      this.host.send(response);
      interval = Math.min(interval * 2, t2);
      this.retrans.timer = setTimeout(tick, interval).unref();
    };
    this.retrans = {
      response,
      cseq,
      timer: setTimeout(tick, interval).unref(),
      giveUp: setTimeout(() => this.onAckTimeout(), 64 * t1).unref(),
    };
  }

  private stopRetransmission(): void {
    if (!this.retrans) return;
    clearTimeout(this.retrans.timer);
    clearTimeout(this.retrans.giveUp);
    this.retrans = null;
  }

  /** No ACK for our 2xx in 64*T1: the session is dead (RFC 3261 13.3.1.4). */
  private onAckTimeout(): void {
    this.stopRetransmission();
    this.log.info('no ACK for our 2xx: ending the call');
    this.sendBye();
    this.end('no ACK');
    this.forget();
  }

  private onAnswerTimeout(): void {
    this.answerTimer = null;
    if (!this.waiting()) return;
    this.log.warn('call not answered in time: 480');
    this.replyToInvite(480, 'No Answer');
    this.end('answer timeout');
    this.forget();
  }

  private takeSdpFromAck(m: SipMessage): void {
    const sdp = sdpFromBody(headerText(m, 'content-type'), m.content);
    const parsed = sdp ? parseOffer(sdp) : null;
    if (parsed && !('error' in parsed)) this.fire('reinvite', parsed.offer);
  }

  /** What it takes to end this dialog later, even from a restarted process (JSON-safe). */
  snapshot(): DialogSnapshot {
    return {
      callId: this.callId,
      localTag: this.localTag,
      remoteTag: this.remoteTag,
      local: { ...(this.to.name !== undefined ? { name: this.to.name } : {}), uri: this.to.uri },
      remote: { ...(this.from.name !== undefined ? { name: this.from.name } : {}), uri: this.from.uri },
      routeSet: this.routeSet.map(copyRoute),
      remoteTarget: this.remoteTarget,
      flow: { ...this.flow, local: { ...this.flow.local } },
      localCSeq: this.localCSeq,
    };
  }

  private sendBye(): void {
    const snap = this.snapshot();
    this.localCSeq++;
    void sendByeFor(this.host, snap, this.log);
  }
}

/** The parts of a dialog a BYE needs. */
export interface DialogSnapshot {
  callId: string;
  localTag: string;
  remoteTag: string;
  local: { name?: string; uri: string };
  remote: { name?: string; uri: string };
  routeSet: RouteEntry[];
  remoteTarget: string;
  flow: Flow;
  localCSeq: number;
}

/**
 * BYE on the flow the call came in on (works behind NAT and on loopback); on a stream transport
 * whose connection is gone, once more to the remote target. Resolves with the final status.
 */
export function sendByeFor(
  host: Pick<DialogHost, 'stack' | 'request'>,
  d: DialogSnapshot,
  log: Logger,
): Promise<number> {
  const build = (onFlow: boolean): SipMessage => {
    const route: unknown[] = d.routeSet.map(copyRoute);
    if (onFlow) route.unshift({ uri: host.stack.encodeFlowUri(d.flow), params: {} });
    return {
      method: 'BYE',
      uri: d.remoteTarget,
      version: '2.0',
      headers: {
        route,
        to: {
          ...(d.remote.name !== undefined ? { name: d.remote.name } : {}),
          uri: d.remote.uri,
          params: { tag: d.remoteTag },
        },
        from: {
          ...(d.local.name !== undefined ? { name: d.local.name } : {}),
          uri: d.local.uri,
          params: { tag: d.localTag },
        },
        'call-id': d.callId,
        cseq: { seq: d.localCSeq + 1, method: 'BYE' },
        'max-forwards': 70,
      },
    };
  };
  const stream = d.flow.protocol.toUpperCase() !== 'UDP';
  return new Promise((resolve) => {
    host.request(build(true), (rs) => {
      const status = rs.status ?? 0;
      if (stream && (status === 503 || status === 408 || status === 430)) {
        log.debug({ status }, 'BYE on the original connection failed: trying the remote target');
        host.request(build(false), (rs2) => {
          log.debug({ status: rs2.status }, 'BYE answered');
          resolve(rs2.status ?? 0);
        });
      } else {
        log.debug({ status }, 'BYE answered');
        resolve(status);
      }
    });
  });
}

function copyRoute(r: RouteEntry): RouteEntry {
  return { ...(r.name !== undefined ? { name: r.name } : {}), uri: r.uri, params: { ...r.params } };
}
