// The conference page's side of the gateway WebSocket: hello → welcome → join → state, chat,
// moderation, and reconnecting. It writes everything it learns into a SessionState object (the
// page passes a `$state` proxy, so the UI follows). Media (the LiveKit room) lives behind MediaPort.
// No DOM types in here: the socket and the timers are the only outside world, and tests fake them.
import {
  guestNameSchema,
  serverMessageSchema,
  type ClientMessage,
  type ErrorCode,
  type ServerMessage,
} from '@foyer/common/conference-protocol';
import type {
  AuthStatus,
  ChatEntry,
  ConferenceState,
  NoticeTopic,
  PageErrorCode,
  SessionState,
} from './session-state.ts';
import { ownParticipantId } from './session-state.ts';

export type HelloAuth = Extract<ClientMessage, { type: 'hello' }>['auth'];
export type MediaServerMessage = Extract<ServerMessage, { type: 'media.livekit' }>;

export interface SocketHandlers {
  open(): void;
  message(data: string): void;
  close(code: number, reason: string): void;
}

export interface SocketHandle {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Opens a WebSocket; the browser's is wrapped by `browserSocket` in socket.ts. */
export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketHandle;

export interface AuthProvider {
  readonly kind: HelloAuth['kind'];
  /** The `auth` of a hello. Rejects with AuthFailure when this page cannot prove who it is. */
  credentials(onStatus: (status: AuthStatus) => void): Promise<HelloAuth>;
  /** Forget cached credentials (the gateway did not accept them). */
  reset?(): void;
  /** The page is in a call (waiting or in it), or no longer: a widget asks to stay on screen. */
  inCall?(active: boolean): void;
}

export class AuthFailure extends Error {
  readonly code: PageErrorCode;

  constructor(code: PageErrorCode, message: string) {
    super(message);
    this.name = 'AuthFailure';
    this.code = code;
  }
}

/** The media side, told about everything media-related the gateway says. */
export interface MediaPort {
  handle(message: MediaServerMessage): void;
  /** An error that answers request `rid`: true when it was a media request (the media side tells the person). */
  handleError(rid: number, code: ErrorCode, message: string): boolean;
  /** The conference state changed while the page wants to be in the conference. */
  update(state: ConferenceState): void;
  /** Stop all media (left, back to waiting, connection lost). */
  reset(): void;
}

export interface SessionOptions {
  /** The gateway's WebSocket URL, or how to find it (asked before every connection attempt). */
  url: string | (() => Promise<string>);
  auth: AuthProvider;
  connect: SocketFactory;
  log?: { warn(message: string, ...details: unknown[]): void };
  /** A fresh chat transaction ID. */
  newTxnId?: () => string;
  /** 0..1, spreads reconnects of many pages after a gateway restart. */
  jitter?: () => number;
}

export const PING_INTERVAL_MS = 20_000;
/** No message at all (not even a pong) for this long: the connection is dead. */
export const SILENCE_LIMIT_MS = 50_000;
/** A socket that has not opened after this long counts as a failed attempt. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Attempts before the page says the server is unreachable: before the first welcome… */
export const FIRST_CONNECT_ATTEMPTS = 3;
/** …and after a connection was lost (about two minutes of trying). */
export const RECONNECT_ATTEMPTS = 10;
/** A `forbidden` this soon after a mute/remove answers that, and does not end the session. */
const MODERATION_ANSWER_MS = 5_000;
const MAX_CHAT_LINES = 500;
const MAX_NOTICES = 5;

/** Delay before reconnect attempt number `failures` (1, 2, …): doubling from 1 s, at most 15 s. */
export function reconnectDelay(failures: number, jitter = 0): number {
  const base = Math.min(15_000, 1000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (1 + 0.2 * jitter));
}

export type GuestNameProblem = 'empty' | 'too_long' | 'control';

/** Checks a guest name the way the gateway will; null when it is fine. */
export function guestNameProblem(name: string): GuestNameProblem | null {
  const parsed = guestNameSchema.safeParse(name);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'too_small') return 'empty';
  if (issue?.code === 'too_big') return 'too_long';
  return 'control';
}

function randomTxnId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `foyer.${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class ConferenceSession {
  private socket: SocketHandle | null = null;
  private isOpen = false;
  /** Bumped for every socket; events of older sockets are ignored. */
  private generation = 0;
  private stopped = true;
  private everWelcomed = false;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private lastHeard = 0;
  private lastRid = 0;
  private lastNoticeId = 0;
  private moderationAnswerUntil = 0;
  /** The socket generation on which the gateway last said the page is joined. */
  private joinedGeneration = -1;
  /** txnId → the socket generation it was last sent on (a resend on a new socket is safe). */
  private readonly chatSentOn = new Map<string, number>();
  private media: MediaPort | null = null;
  readonly state: SessionState;
  private readonly options: SessionOptions;

  constructor(state: SessionState, options: SessionOptions) {
    this.state = state;
    this.options = options;
  }

  get kind(): HelloAuth['kind'] {
    return this.options.auth.kind;
  }

  attachMedia(media: MediaPort): void {
    this.media = media;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  /** The page goes away: close everything, never reconnect. */
  dispose(): void {
    this.shutDown();
  }

  /** After an error or the end of the session: start over with a new connection. */
  restart(): void {
    this.shutDown();
    this.options.auth.reset?.();
    Object.assign(this.state, { error: null, ended: null, wantJoined: false, failures: 0, conference: null });
    this.state.welcome = null;
    this.everWelcomed = false;
    this.start();
  }

  /** A request ID for a media request. */
  nextRid(): number {
    return ++this.lastRid;
  }

  /** Sends when the gateway is listening (open and welcomed); false otherwise. */
  send(message: ClientMessage): boolean {
    if (!this.isOpen || !this.socket || !this.state.welcome) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Join (guests give their name). Returns what is wrong with the name, or null. */
  join(name?: string): GuestNameProblem | null {
    if (this.kind === 'guest') {
      const problem = guestNameProblem(name ?? '');
      if (problem) return problem;
      this.state.guestName = (name ?? '').trim();
    }
    this.state.ended = null;
    this.state.wantJoined = true;
    this.sendJoin();
    return null;
  }

  /** Leave the conference (or the waiting area); `showEnded` goes to the "ended" screen. */
  leave(showEnded: boolean): void {
    if (this.state.wantJoined) this.send({ type: 'leave' });
    this.state.wantJoined = false;
    this.media?.reset();
    if (showEnded) this.state.ended = 'left';
  }

  /** From the "ended" screen back to the start screen. */
  rejoin(): void {
    if (this.stopped) this.restart();
    else this.state.ended = null;
  }

  mute(participantId: string, muted: boolean): boolean {
    this.moderationAnswerUntil = Date.now() + MODERATION_ANSWER_MS;
    return this.send({ type: 'mute', participantId, muted });
  }

  remove(participantId: string): boolean {
    this.moderationAnswerUntil = Date.now() + MODERATION_ANSWER_MS;
    return this.send({ type: 'remove', participantId });
  }

  /** Tells the gateway this page muted (or unmuted) its own microphone. */
  setOwnMuted(muted: boolean): void {
    const id = ownParticipantId(this.state);
    if (id !== null) this.mute(id, muted);
  }

  /** Queues a chat line; it shows as pending until the gateway echoes it. */
  sendChat(body: string): boolean {
    if (body.trim() === '') return false;
    const txnId = this.options.newTxnId?.() ?? randomTxnId();
    this.state.chat.push({
      key: `txn:${txnId}`,
      id: null,
      txnId,
      senderName: '',
      senderKind: this.kind === 'guest' ? 'guest' : 'staff',
      own: true,
      body,
      html: null,
      ts: Date.now(),
      status: 'pending',
      failure: null,
    });
    this.trimChat();
    this.transmitChat(txnId, body);
    return true;
  }

  /** Sends a failed line again (as a new transaction: the old one is known to have failed). */
  retryChat(txnId: string): void {
    const entry = this.state.chat.find((e) => e.txnId === txnId && e.status === 'failed');
    if (!entry) return;
    const fresh = this.options.newTxnId?.() ?? randomTxnId();
    Object.assign(entry, { txnId: fresh, status: 'pending', failure: null, ts: Date.now() });
    this.transmitChat(fresh, entry.body);
  }

  /** Takes a failed line back into the input, so the person can change it. */
  editChat(txnId: string): void {
    const index = this.state.chat.findIndex((e) => e.txnId === txnId && e.status === 'failed');
    const entry = this.state.chat[index];
    if (!entry) return;
    this.state.chatDraft = this.state.chatDraft === '' ? entry.body : `${entry.body}\n${this.state.chatDraft}`;
    this.state.chat.splice(index, 1);
  }

  dismissNotice(id: number): void {
    this.state.notices = this.state.notices.filter((n) => n.id !== id);
  }

  /** Adds a notice of the page's own (e.g. a media failure that has no gateway error). */
  notify(code: ErrorCode, message: string, about: NoticeTopic): void {
    const notice = { id: ++this.lastNoticeId, code, message, about };
    this.state.notices = [...this.state.notices, notice].slice(-MAX_NOTICES);
  }

  // --- connection -------------------------------------------------------------------------

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.state.connection = this.everWelcomed ? 'reconnecting' : 'connecting';
    let auth: HelloAuth;
    try {
      auth = await this.options.auth.credentials((status) => {
        if (generation === this.generation) this.state.authStatus = status;
      });
    } catch (err) {
      if (generation !== this.generation || this.stopped) return;
      this.state.authStatus = 'idle';
      if (err instanceof AuthFailure) this.fail(err.code, err.message);
      else this.fail('widget_failed', errorText(err));
      return;
    }
    if (generation !== this.generation || this.stopped) return;
    this.state.authStatus = 'idle';
    const url = typeof this.options.url === 'string' ? this.options.url : await this.options.url();
    const current = () => generation === this.generation && !this.stopped;
    if (!current()) return;
    try {
      this.socket = this.options.connect(url, {
        open: () => current() && this.onOpen(auth),
        message: (data) => current() && this.onMessage(data),
        close: (code, reason) => current() && this.onClose(code, reason),
      });
    } catch (err) {
      this.onClose(1006, errorText(err));
      return;
    }
    this.connectTimer = setTimeout(() => {
      if (current() && !this.isOpen) this.dropSocket(4000, 'connect timeout');
    }, CONNECT_TIMEOUT_MS);
  }

  private onOpen(auth: HelloAuth): void {
    clearTimeout(this.connectTimer);
    this.isOpen = true;
    this.lastHeard = Date.now();
    this.socket?.send(JSON.stringify({ type: 'hello', auth } satisfies ClientMessage));
    this.pingTimer = setInterval(() => this.tick(), PING_INTERVAL_MS);
  }

  private tick(): void {
    if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) {
      this.dropSocket(4000, 'no answer from the gateway');
      return;
    }
    this.socket?.send(JSON.stringify({ type: 'ping' } satisfies ClientMessage));
  }

  /** Closes the current socket and handles it as lost now (its own close event may be late). */
  private dropSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.generation++;
    socket?.close(code, reason);
    this.onClose(code, reason);
  }

  private onClose(_code: number, reason: string): void {
    this.isOpen = false;
    this.socket = null;
    this.clearTimers();
    this.media?.reset();
    if (this.stopped) {
      this.state.connection = 'closed';
      return;
    }
    this.state.failures++;
    const limit = this.everWelcomed ? RECONNECT_ATTEMPTS : FIRST_CONNECT_ATTEMPTS;
    if (this.state.failures >= limit) {
      this.fail('unreachable', reason === '' ? null : reason);
      return;
    }
    this.state.connection = this.everWelcomed ? 'reconnecting' : 'connecting';
    const delay = reconnectDelay(this.state.failures, this.options.jitter?.() ?? Math.random());
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private clearTimers(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.connectTimer);
  }

  private shutDown(): void {
    this.stopped = true;
    this.generation++;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    this.isOpen = false;
    socket?.close(1000, 'bye');
    this.media?.reset();
    this.state.connection = 'closed';
  }

  private fail(code: PageErrorCode, detail: string | null): void {
    this.shutDown();
    this.state.wantJoined = false;
    this.state.error = { code, detail };
  }

  // --- messages ---------------------------------------------------------------------------

  private onMessage(data: string): void {
    this.lastHeard = Date.now();
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.options.log?.warn('conference: ignoring a message that is not JSON');
      return;
    }
    const parsed = serverMessageSchema.safeParse(json);
    if (!parsed.success) {
      this.options.log?.warn('conference: ignoring an invalid message', parsed.error.issues, json);
      return;
    }
    this.handle(parsed.data);
  }

  private handle(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        this.state.welcome = message;
        this.everWelcomed = true;
        this.state.failures = 0;
        this.state.connection = 'open';
        if (this.state.wantJoined) this.sendJoin();
        return;
      case 'state':
        this.state.conference = message;
        this.joinedGeneration = message.joined ? this.generation : -1;
        if (message.joined) this.flushChat();
        if (this.state.wantJoined) this.media?.update(message);
        else this.media?.reset();
        return;
      case 'media.livekit':
        this.media?.handle(message);
        return;
      case 'chat':
        this.receiveChat(message.message);
        return;
      case 'chat.failed': {
        const entry = this.state.chat.find((e) => e.txnId === message.txnId && e.status === 'pending');
        if (entry) Object.assign(entry, { status: 'failed', failure: message.message });
        return;
      }
      case 'chat.redacted':
        this.state.chat = this.state.chat.filter((e) => e.id !== message.id);
        return;
      case 'removed':
        this.shutDown();
        this.state.wantJoined = false;
        this.state.ended = message.reason;
        return;
      case 'error':
        this.handleError(message.code, message.message, message.rid, message.fatal);
        return;
      case 'pong':
        return;
    }
  }

  private handleError(code: ErrorCode, message: string, rid: number | undefined, closing?: boolean): void {
    if (rid !== undefined && this.media?.handleError(rid, code, message)) return;
    // The gateway says whether it closes the connection; older gateways leave it to our guess.
    const fatal =
      closing === false && this.state.welcome ? null : (this.fatalCode(code) ?? (closing ? 'rejected' : null));
    if (fatal) {
      this.fail(fatal, message);
      return;
    }
    // The hello failed for a passing reason (the gateway could not check it just now): try again.
    if (!this.state.welcome) {
      this.dropSocket(4000, message);
      return;
    }
    // Waiting for the join to take effect: this error answers it (back to the start screen).
    if (this.state.wantJoined && this.joinedGeneration !== this.generation) this.state.wantJoined = false;
    this.notify(code, message, Date.now() < this.moderationAnswerUntil ? 'moderation' : 'general');
  }

  /** Whether an error (not answering a media request) ends the session, and as what. */
  private fatalCode(code: ErrorCode): PageErrorCode | null {
    switch (code) {
      case 'link_revoked':
      case 'licence_cap':
      case 'unauthenticated':
        return code;
      case 'forbidden':
        return Date.now() < this.moderationAnswerUntil ? null : 'forbidden';
      // Before the welcome, these answer the hello itself: retrying would not help.
      case 'not_found':
        return this.state.welcome ? null : 'not_found';
      case 'bad_message':
        return this.state.welcome ? null : 'rejected';
      // Before the welcome: too many wrong links from this address; reconnecting makes it worse.
      case 'rate_limited':
        return this.state.welcome ? null : 'rate_limited';
      default:
        return null;
    }
  }

  private sendJoin(): void {
    if (this.kind === 'guest') this.send({ type: 'join', name: this.state.guestName });
    else this.send({ type: 'join' });
  }

  // --- chat -------------------------------------------------------------------------------

  private transmitChat(txnId: string, body: string): void {
    if (this.joinedGeneration !== this.generation) return; // flushChat sends it once the page is in
    if (this.send({ type: 'chat.send', txnId, body })) this.chatSentOn.set(txnId, this.generation);
  }

  /** Sends pending lines not yet sent on this connection (same txnId: delivered once). */
  private flushChat(): void {
    for (const entry of this.state.chat) {
      if (entry.status !== 'pending' || entry.txnId === null) continue;
      if (this.chatSentOn.get(entry.txnId) === this.generation) continue;
      this.transmitChat(entry.txnId, entry.body);
    }
  }

  private receiveChat(line: Extract<ServerMessage, { type: 'chat' }>['message']): void {
    const confirmed: Partial<ChatEntry> = {
      id: line.id,
      senderName: line.senderName,
      senderKind: line.senderKind,
      body: line.body,
      html: line.html ?? null,
      ts: line.ts,
      status: 'sent',
      failure: null,
    };
    const own = line.txnId === undefined ? undefined : this.state.chat.find((e) => e.own && e.txnId === line.txnId);
    if (own) {
      Object.assign(own, confirmed);
      if (line.txnId !== undefined) this.chatSentOn.delete(line.txnId);
      return;
    }
    if (this.state.chat.some((e) => e.id === line.id)) return;
    this.state.chat.push({
      key: line.id,
      id: line.id,
      txnId: line.txnId ?? null,
      senderName: line.senderName,
      senderKind: line.senderKind,
      own: false,
      body: line.body,
      html: line.html ?? null,
      ts: line.ts,
      status: 'sent',
      failure: null,
    });
    this.trimChat();
  }

  /** Drops the oldest confirmed lines beyond the limit; unconfirmed ones are never dropped. */
  private trimChat(): void {
    let excess = this.state.chat.length - MAX_CHAT_LINES;
    if (excess <= 0) return;
    this.state.chat = this.state.chat.filter((e) => {
      if (excess > 0 && e.status === 'sent') {
        excess--;
        return false;
      }
      return true;
    });
  }
}
