// The client-server and admin calls the bridge makes, as the bot or as a virtual user
// (appservice masquerading with ?user_id=). A thin typed layer over matrix-js-sdk's HTTP API:
// its higher-level methods assume a syncing client with local echo, which a bridge is not.
import { Method, MatrixError, type MatrixClient } from 'matrix-js-sdk';

export { MatrixError };

export interface StateEvent {
  type: string;
  state_key: string;
  sender: string;
  content: Record<string, unknown>;
  event_id?: string;
}

/**
 * What the bridge's logic calls: the public surface of MatrixApi, so that tests can hand it a
 * small fake (bridge/test/fakes/fake-matrix.ts) instead of a homeserver.
 */
export type MatrixCalls = { [K in keyof MatrixApi]: MatrixApi[K] };

const enc = encodeURIComponent;
const ADMIN_V2 = '/_synapse/admin/v2';
/** Delayed events (MSC4140) and MatrixRTC transports (MSC4143): unstable endpoints. */
const UNSTABLE = '/_matrix/client/unstable';

export type DelayedEventAction = 'restart' | 'send' | 'cancel';

/** One of the homeserver's MatrixRTC transports (Foyer's token service is the `livekit` one). */
export interface RtcTransport {
  type: string;
  livekit_service_url?: string;
}

export class MatrixApi {
  private readonly client: MatrixClient;
  readonly botUserId: string;

  constructor(client: MatrixClient, botUserId: string) {
    this.client = client;
    this.botUserId = botUserId;
  }

  private request<T>(
    method: Method,
    path: string,
    opts: { as?: string; body?: unknown; prefix?: string; query?: Record<string, string> } = {},
  ): Promise<T> {
    const as = opts.as && opts.as !== this.botUserId ? { user_id: opts.as } : undefined;
    const query = as || opts.query ? { ...opts.query, ...as } : undefined;
    return this.client.http.authedRequest<T>(method, path, query, opts.body as Record<string, unknown> | undefined, {
      priority: 'auto',
      ...(opts.prefix ? { prefix: opts.prefix } : {}),
    });
  }

  /**
   * Join as the bot or a virtual user. `content` goes into the member event: a display name set
   * here names the user in this room without a profile request (Synapse keeps per-room profiles
   * unless allow_per_room_profiles is off, when the global profile — the localpart — shows).
   * That takes `POST /join/{roomIdOrAlias}`: Synapse's `/rooms/{roomId}/join` keeps only `reason`.
   */
  async join(roomId: string, as?: string, content?: { displayname?: string }): Promise<void> {
    if (content) await this.request(Method.Post, `/join/${enc(roomId)}`, { as, body: content });
    else await this.request(Method.Post, `/rooms/${enc(roomId)}/join`, { as, body: {} });
  }

  async leave(roomId: string, as?: string, reason?: string): Promise<void> {
    await this.request(Method.Post, `/rooms/${enc(roomId)}/leave`, { as, body: reason ? { reason } : {} });
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.request(Method.Post, `/rooms/${enc(roomId)}/invite`, { body: { user_id: userId } });
  }

  /** Create a room as the bot; resolves with its ID. */
  async createRoom(body: Record<string, unknown>): Promise<string> {
    const r = await this.request<{ room_id: string }>(Method.Post, '/createRoom', { body });
    return r.room_id;
  }

  async roomState(roomId: string): Promise<StateEvent[]> {
    return this.request<StateEvent[]>(Method.Get, `/rooms/${enc(roomId)}/state`);
  }

  async sendState(
    roomId: string,
    type: string,
    stateKey: string,
    content: Record<string, unknown>,
    as?: string,
  ): Promise<string> {
    const r = await this.request<{ event_id: string }>(
      Method.Put,
      `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`,
      { as, body: content },
    );
    return r.event_id;
  }

  /** A state event the homeserver sends after `delayMs` unless restarted (MSC4140); its delay ID. */
  async sendDelayedState(
    roomId: string,
    type: string,
    stateKey: string,
    content: Record<string, unknown>,
    delayMs: number,
    as?: string,
  ): Promise<string> {
    const r = await this.request<{ delay_id: string }>(
      Method.Put,
      `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`,
      { as, body: content, query: { 'org.matrix.msc4140.delay': String(delayMs) } },
    );
    return r.delay_id;
  }

  /** Restart, send now or cancel a delayed event (as whoever scheduled it). */
  async updateDelayedEvent(delayId: string, action: DelayedEventAction, as?: string): Promise<void> {
    await this.request(Method.Post, `/org.matrix.msc4140/delayed_events/${enc(delayId)}/${action}`, {
      as,
      body: {},
      prefix: UNSTABLE,
    });
  }

  /** The delayed events `as` has scheduled and not yet sent. */
  async delayedEvents(as?: string): Promise<{ delay_id: string; room_id: string; type: string; state_key?: string }[]> {
    const r = await this.request<{
      delayed_events?: { delay_id: string; room_id: string; type: string; state_key?: string }[];
    }>(Method.Get, '/org.matrix.msc4140/delayed_events', { as, prefix: UNSTABLE });
    return r.delayed_events ?? [];
  }

  /** One state event's content, or undefined when the room has none. */
  async stateEvent(roomId: string, type: string, stateKey: string): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.request<Record<string, unknown>>(
        Method.Get,
        `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`,
      );
    } catch (err) {
      if (err instanceof MatrixError && err.httpStatus === 404) return undefined;
      throw err;
    }
  }

  /** The homeserver's MatrixRTC transports (empty when it advertises none). */
  async rtcTransports(): Promise<RtcTransport[]> {
    try {
      const r = await this.request<{ rtc_transports?: RtcTransport[] }>(
        Method.Get,
        '/org.matrix.msc4143/rtc/transports',
        { prefix: UNSTABLE },
      );
      return r.rtc_transports ?? [];
    } catch (err) {
      if (err instanceof MatrixError && (err.httpStatus === 404 || err.errcode === 'M_UNRECOGNIZED')) return [];
      throw err;
    }
  }

  /** Send a room event; the transaction ID makes a retry of the same send a no-op on the server. */
  async send(
    roomId: string,
    type: string,
    txnId: string,
    content: Record<string, unknown>,
    as?: string,
  ): Promise<string> {
    const r = await this.request<{ event_id: string }>(
      Method.Put,
      `/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txnId)}`,
      {
        as,
        body: content,
      },
    );
    return r.event_id;
  }

  async sendNotice(roomId: string, body: string, html?: string): Promise<string> {
    const content: Record<string, unknown> = { msgtype: 'm.notice', body };
    if (html) Object.assign(content, { format: 'org.matrix.custom.html', formatted_body: html });
    return this.send(roomId, 'm.room.message', `notice-${Date.now()}-${Math.random().toString(36).slice(2)}`, content);
  }

  /** Create a virtual user in our namespace (idempotent). */
  async registerVirtualUser(localpart: string): Promise<void> {
    try {
      await this.request(Method.Post, '/register', {
        body: { type: 'm.login.application_service', username: localpart, inhibit_login: true },
      });
    } catch (err) {
      if (!(err instanceof MatrixError && err.errcode === 'M_USER_IN_USE')) throw err;
    }
  }

  async setDisplayName(userId: string, displayname: string): Promise<void> {
    await this.request(Method.Put, `/profile/${enc(userId)}/displayname`, { as: userId, body: { displayname } });
  }

  /** Delete (and purge) a room through the Synapse admin API; needs the bot to be a server admin. */
  async deleteRoom(roomId: string, message: string): Promise<string> {
    const r = await this.request<{ delete_id: string }>(Method.Delete, `/rooms/${enc(roomId)}`, {
      prefix: ADMIN_V2,
      body: { purge: true, block: false, message },
    });
    return r.delete_id;
  }
}
