// Element Call's side of Foyer's LiveKit token service, as the widget speaks it: the homeserver's
// advertised transport, then `POST <service>/sfu/get` or `/get_token` with an OpenID token.
import { request } from 'node:http';
import type { OpenIdToken, TestUser } from './matrix.ts';
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
