// Keeps one connection and session to Janus, reconnecting with backoff when Janus goes away,
// and hands out plugin handles. The rest of the gateway asks it for handles, never for sockets.
import { EventEmitter } from 'node:events';
import type { Logger } from '@foyer/common';
import { JanusConnection, type JanusHandle, type JanusSession } from './connection.ts';

export interface JanusServiceOptions {
  url: string;
  apiSecret: string;
  log: Logger;
}

export class JanusService extends EventEmitter<{ up: []; down: [] }> {
  private readonly opts: JanusServiceOptions;
  private conn: JanusConnection | undefined;
  private session: JanusSession | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs = 500;

  constructor(opts: JanusServiceOptions) {
    super();
    this.opts = opts;
  }

  get connected(): boolean {
    return this.session !== undefined && this.conn?.closed === false;
  }

  /** Connect now; on failure keep retrying in the background. */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      const conn = await JanusConnection.connect(this.opts.url, { apiSecret: this.opts.apiSecret });
      conn.on('invalid', (text) => this.opts.log.warn({ text }, 'unexpected message from Janus ignored'));
      this.session = await conn.createSession();
      this.conn = conn;
      this.backoffMs = 500;
      conn.once('close', () => this.onClose());
      this.opts.log.info({ url: this.opts.url }, 'connected to Janus');
      this.emit('up');
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message, retryInMs: this.backoffMs }, 'Janus unavailable');
      this.scheduleRetry();
    }
  }

  private onClose(): void {
    this.session = undefined;
    this.conn = undefined;
    if (this.stopped) return;
    this.opts.log.error('lost the connection to Janus; reconnecting');
    this.emit('down');
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => void this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 10_000);
  }

  async attach(plugin: string): Promise<JanusHandle> {
    if (!this.session) throw new Error('Janus is not connected');
    return this.session.attach(plugin);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.session?.destroy();
    await this.conn?.close();
  }
}
