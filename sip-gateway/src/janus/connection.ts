// A small typed client for the Janus WebSocket API: transactions, sessions with keepalive,
// plugin handles. Written here rather than using janode because janode pulls a native
// `unix-dgram` build (no prebuilt binary reachable here) and has no typings.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { JanusError, janusMessageSchema, type JanusMessage } from './protocol.ts';

export interface JanusOptions {
  apiSecret?: string;
  /** How long a request may go unanswered. */
  timeoutMs?: number;
  /** Keepalive period; Janus drops sessions after its session_timeout (60 s by default). */
  keepaliveMs?: number;
}

interface Pending {
  resolve(msg: JanusMessage): void;
  reject(err: Error): void;
  /** For plugin messages an "ack" only means "queued": wait for the event with the answer. */
  ackIsFinal: boolean;
  timer: NodeJS.Timeout;
}

export class JanusConnection extends EventEmitter<{ close: []; message: [JanusMessage]; invalid: [string] }> {
  private readonly pending = new Map<string, Pending>();
  private readonly handles = new Map<number, JanusHandle>();
  private readonly ws: WebSocket;
  private readonly opts: Required<Pick<JanusOptions, 'timeoutMs' | 'keepaliveMs'>> & JanusOptions;
  closed = false;

  private constructor(ws: WebSocket, opts: JanusOptions) {
    super();
    this.ws = ws;
    this.opts = { timeoutMs: 10_000, keepaliveMs: 25_000, ...opts };
    ws.on('message', (raw) => this.onMessage(raw.toString()));
    ws.on('close', () => this.onClose());
    ws.on('error', () => undefined); // followed by close
  }

  static connect(url: string, opts: JanusOptions = {}): Promise<JanusConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'janus-protocol', { handshakeTimeout: opts.timeoutMs ?? 10_000 });
      ws.once('open', () => resolve(new JanusConnection(ws, opts)));
      ws.once('error', (err) => reject(new Error(`cannot reach Janus at ${url}: ${err.message}`)));
    });
  }

  get keepaliveMs(): number {
    return this.opts.keepaliveMs;
  }

  private onMessage(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.emit('invalid', text.slice(0, 200));
      return;
    }
    const result = janusMessageSchema.safeParse(parsed);
    if (!result.success) {
      this.emit('invalid', text.slice(0, 200));
      return;
    }
    const msg = result.data;
    const pending = msg.transaction ? this.pending.get(msg.transaction) : undefined;
    if (pending && msg.transaction && (msg.janus !== 'ack' || pending.ackIsFinal)) {
      this.pending.delete(msg.transaction);
      clearTimeout(pending.timer);
      if (msg.janus === 'error' && msg.error) pending.reject(new JanusError(msg.error.code, msg.error.reason));
      else if (msg.plugindata?.data.error_code !== undefined) {
        const d = msg.plugindata.data;
        pending.reject(new JanusError(Number(d.error_code), String(d.error ?? 'plugin error')));
      } else pending.resolve(msg);
      return;
    }
    if (msg.sender !== undefined) this.handles.get(msg.sender)?.emit('event', msg);
    this.emit('message', msg);
  }

  private onClose(): void {
    this.closed = true;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('Janus connection closed'));
    }
    this.pending.clear();
    this.emit('close');
  }

  /** Send a request and wait for its answer (rejects with JanusError on an error reply). */
  request(body: Record<string, unknown>, ackIsFinal = false): Promise<JanusMessage> {
    if (this.closed) return Promise.reject(new Error('Janus connection closed'));
    const transaction = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new Error(`Janus did not answer "${String(body.janus)}" within ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      this.pending.set(transaction, { resolve, reject, ackIsFinal, timer });
      const msg = { ...body, transaction, ...(this.opts.apiSecret ? { apisecret: this.opts.apiSecret } : {}) };
      this.ws.send(JSON.stringify(msg), (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(transaction);
        reject(err);
      });
    });
  }

  async info(): Promise<JanusMessage> {
    return this.request({ janus: 'info' });
  }

  async createSession(): Promise<JanusSession> {
    const res = await this.request({ janus: 'create' });
    const id = res.data?.id;
    if (id === undefined) throw new Error('Janus "create" answered without a session id');
    return new JanusSession(this, id);
  }

  registerHandle(handle: JanusHandle): void {
    this.handles.set(handle.id, handle);
  }

  forgetHandle(id: number): void {
    this.handles.delete(id);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export class JanusSession {
  readonly id: number;
  private readonly conn: JanusConnection;
  private readonly keepalive: NodeJS.Timeout;

  constructor(conn: JanusConnection, id: number) {
    this.conn = conn;
    this.id = id;
    this.keepalive = setInterval(() => {
      this.conn.request({ janus: 'keepalive', session_id: id }, true).catch(() => undefined);
    }, conn.keepaliveMs);
    this.keepalive.unref();
  }

  async attach(plugin: string): Promise<JanusHandle> {
    const res = await this.conn.request({ janus: 'attach', session_id: this.id, plugin });
    const id = res.data?.id;
    if (id === undefined) throw new Error(`Janus "attach" to ${plugin} answered without a handle id`);
    const handle = new JanusHandle(this.conn, this.id, id);
    this.conn.registerHandle(handle);
    return handle;
  }

  async destroy(): Promise<void> {
    clearInterval(this.keepalive);
    if (!this.conn.closed) await this.conn.request({ janus: 'destroy', session_id: this.id }).catch(() => undefined);
  }
}

export class JanusHandle extends EventEmitter<{ event: [JanusMessage] }> {
  readonly id: number;
  readonly sessionId: number;
  private readonly conn: JanusConnection;

  constructor(conn: JanusConnection, sessionId: number, id: number) {
    super();
    this.conn = conn;
    this.sessionId = sessionId;
    this.id = id;
  }

  /** A plugin request; resolves with the plugin's data (synchronous answer or the async event). */
  async message(
    body: Record<string, unknown>,
    jsep?: { type: string; sdp: string },
  ): Promise<{ data: Record<string, unknown>; jsep?: JanusMessage['jsep'] }> {
    const res = await this.conn.request({
      janus: 'message',
      session_id: this.sessionId,
      handle_id: this.id,
      body,
      ...(jsep ? { jsep } : {}),
    });
    if (!res.plugindata) throw new Error(`Janus answered "${res.janus}" without plugin data`);
    return { data: res.plugindata.data, jsep: res.jsep };
  }

  async detach(): Promise<void> {
    this.conn.forgetHandle(this.id);
    if (!this.conn.closed) {
      await this.conn
        .request({ janus: 'detach', session_id: this.sessionId, handle_id: this.id })
        .catch(() => undefined);
    }
  }
}
