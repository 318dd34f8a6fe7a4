// A moderator (or participant) on the gateway's conference WebSocket, authenticated the way the
// conference page is: with an OpenID token the user's homeserver issued.
import WebSocket from 'ws';
import type { ServerMessage } from '@foyer/common/conference-protocol';
import { openIdToken, type TestUser } from './matrix.ts';
import type { StackInfo } from './stack.ts';

export type StateMessage = Extract<ServerMessage, { type: 'state' }>;

export class ConferenceClient {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[] = [];
  private readonly waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as ServerMessage;
      this.messages.push(m);
      for (const w of [...this.waiters]) {
        if (w.match(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
  }

  /** `from`: another loopback address to connect from (as another client); `headers`, e.g. a proxy's. */
  static async open(
    info: StackInfo,
    o: { from?: string; headers?: Record<string, string> } = {},
  ): Promise<ConferenceClient> {
    const ws = new WebSocket(`${info.gatewayUrl.replace(/^http/, 'ws')}/ws/conference`, {
      ...(o.from ? { localAddress: o.from } : {}),
      ...(o.headers ? { headers: o.headers } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new ConferenceClient(ws);
  }

  /** Open, say hello as a guest with the group's link token, and wait for the welcome. */
  static async asGuest(info: StackInfo, token: string, name: string): Promise<ConferenceClient> {
    const c = await ConferenceClient.open(info);
    c.send({ type: 'hello', auth: { kind: 'guest', token, name } });
    await c.next((m) => m.type === 'welcome' || m.type === 'error');
    return c;
  }

  /** Open, prove who `user` is with an OpenID token, and wait for the welcome. */
  static async asMember(info: StackInfo, user: TestUser, roomId: string): Promise<ConferenceClient> {
    const token = await openIdToken(info, user);
    const c = await ConferenceClient.open(info);
    c.send({
      type: 'hello',
      auth: {
        kind: 'matrix',
        userId: user.userId,
        roomId,
        openidToken: token.access_token,
        serverName: token.matrix_server_name,
      },
    });
    await c.next((m) => m.type === 'welcome' || m.type === 'error');
    return c;
  }

  send(m: unknown): void {
    this.ws.send(JSON.stringify(m));
  }

  /** The next message (already received or coming) that matches. */
  next(match: (m: ServerMessage) => boolean, timeoutMs = 15_000): Promise<ServerMessage> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return this.future(match, timeoutMs);
  }

  private future(match: (m: ServerMessage) => boolean, timeoutMs: number): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no matching conference message')), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
      });
    });
  }

  /** The current state if it satisfies `check`, else the next state push that does. */
  async state(check: (s: StateMessage) => boolean, timeoutMs = 15_000): Promise<StateMessage> {
    const latest = [...this.messages].reverse().find((m): m is StateMessage => m.type === 'state');
    if (latest && check(latest)) return latest;
    return (await this.future((m) => m.type === 'state' && check(m), timeoutMs)) as StateMessage;
  }

  /**
   * A state seen since message number `since` (this.messages.length at some earlier point), or
   * the next one: for a change that may come and go while the test waits for something else (a
   * media server that restarts faster than the restart command returns).
   */
  async stateSince(since: number, check: (s: StateMessage) => boolean, timeoutMs = 15_000): Promise<StateMessage> {
    const seen = this.messages.slice(since).find((m): m is StateMessage => m.type === 'state' && check(m));
    if (seen) return seen;
    return (await this.future((m) => m.type === 'state' && check(m), timeoutMs)) as StateMessage;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
