// Element Call's side of Foyer's LiveKit token service, as the widget speaks it: the homeserver's
// advertised transport, then `POST <service>/sfu/get` or `/get_token` with an OpenID token.
import { request } from 'node:http';
import { CallMembership } from 'matrix-js-sdk/lib/matrixrtc/CallMembership.js';
import { cs, enc, type OpenIdToken, type TestUser } from './matrix.ts';
import type { StackInfo } from './stack.ts';

export interface RtcTransport {
  type: string;
  livekit_service_url?: string;
}

/** What the homeserver tells Element Call about its MatrixRTC transports (MSC4143). */
export async function rtcTransports(info: StackInfo, user: TestUser): Promise<RtcTransport[]> {
  const res = await fetch(`${info.homeserverUrl}/_matrix/client/unstable/org.matrix.msc4143/rtc/transports`, {
    headers: { authorization: `Bearer ${user.accessToken}` },
  });
  if (!res.ok) throw new Error(`rtc/transports: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { rtc_transports: RtcTransport[] }).rtc_transports;
}

/** The token service the homeserver advertises (its first livekit transport). */
export async function rtcServiceUrl(info: StackInfo, user: TestUser): Promise<string> {
  const url = (await rtcTransports(info, user)).find((t) => t.type === 'livekit')?.livekit_service_url;
  if (!url) throw new Error('the homeserver advertises no livekit transport');
  return url;
}

export interface ServiceAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/**
 * One request to the token service; `from`: the loopback address to send it from (another
 * client, for the per-address limits). `body` a string is sent as it is.
 */
export function askService(
  url: string,
  o: { method?: string; body?: unknown; from?: string; headers?: Record<string, string> } = {},
): Promise<ServiceAnswer> {
  const payload = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: o.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...o.headers },
        ...(o.from ? { localAddress: o.from } : {}),
        timeout: 20_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: Record<string, unknown>;
          try {
            body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            body = { text };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('token service: no answer in 20 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The body of Element Call's legacy request (state-event memberships). */
export function sfuGetBody(roomId: string, token: OpenIdToken, deviceId: string) {
  return { room: roomId, openid_token: { ...token, token_type: 'Bearer' }, device_id: deviceId };
}

/** The body of Element Call's Matrix 2.0 request (sticky rtc.member events). */
export function getTokenBody(roomId: string, token: OpenIdToken, user: string, deviceId: string, memberId: string) {
  return {
    room_id: roomId,
    slot_id: 'm.call#ROOM',
    openid_token: { ...token, token_type: 'Bearer' },
    member: { id: memberId, claimed_user_id: user, claimed_device_id: deviceId },
  };
}

/** The claims of a LiveKit JWT, read the way Element Call reads them (atob: standard base64). */
export function jwtClaims(jwt: string): { sub: string; video: Record<string, unknown>; exp: number; name?: string } {
  const payload = jwt.split('.')[1] ?? '';
  return JSON.parse(atob(payload)) as { sub: string; video: Record<string, unknown>; exp: number };
}

interface RawStateEvent {
  type: string;
  sender: string;
  content: Record<string, unknown>;
  event_id: string;
  origin_server_ts: number;
}

/**
 * The room's call memberships as Element Call counts them: non-empty
 * `org.matrix.msc3401.call.member` state events, parsed by matrix-js-sdk's own CallMembership
 * (its `rtcBackendIdentity` is the LiveKit identity Element Call looks for).
 */
export async function callMemberships(info: StackInfo, user: TestUser, roomId: string): Promise<CallMembership[]> {
  const state = await cs<RawStateEvent[]>(info, user, 'GET', `/rooms/${enc(roomId)}/state`);
  const events = state.filter((e) => e.type === 'org.matrix.msc3401.call.member' && Object.keys(e.content).length > 0);
  return Promise.all(
    events.map((e) =>
      CallMembership.parseFromEvent({
        getId: () => e.event_id,
        getSender: () => e.sender,
        getTs: () => e.origin_server_ts,
        getType: () => e.type,
        getContent: () => e.content,
      } as unknown as Parameters<typeof CallMembership.parseFromEvent>[0]),
    ),
  );
}

/** The delayed events a virtual user has pending (asked with the appservice's token). */
export async function pendingDelayedEvents(
  info: StackInfo,
  asToken: string,
  userId: string,
): Promise<{ delay_id: string; room_id: string; type: string; state_key?: string }[]> {
  const res = await fetch(
    `${info.homeserverUrl}/_matrix/client/unstable/org.matrix.msc4140/delayed_events?user_id=${enc(userId)}`,
    { headers: { authorization: `Bearer ${asToken}` } },
  );
  if (!res.ok) throw new Error(`delayed_events: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { delayed_events: { delay_id: string; room_id: string; type: string }[] })
    .delayed_events;
}
