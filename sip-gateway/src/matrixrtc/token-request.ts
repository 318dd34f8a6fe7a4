// What MatrixRTC clients (Element Call 0.26) send to a LiveKit token service, validated, and the
// one shape the service works with. Two endpoints, written from the protocol:
// - `POST …/sfu/get` (state-event memberships): {room, openid_token, device_id}; the LiveKit
//   identity is `<user>:<device>`;
// - `POST …/get_token` (Matrix 2.0): {room_id, slot_id, openid_token, member: {id,
//   claimed_user_id, claimed_device_id}}; the identity is the hash of [user, device, member ID].
// Both may carry `delay_id`/`delay_timeout`/`delay_cs_api_url` (asking the service to keep the
// member's delayed leave alive): this service does not offer that, and says so with M_BAD_JSON,
// on which Element Call asks again without them.
import { z } from 'zod';
import { CALL_SLOT_ID, callMemberIdentity, rtcMemberIdentity } from '@foyer/common/livekit';

const text = (max: number) => z.string().min(1).max(max);
const roomId = text(255).regex(/^![^\s]+$/, 'a Matrix room ID');
const userId = text(255).regex(/^@[^\s:]+:[^\s]+$/, 'a Matrix user ID');
// The OpenID token as the homeserver issued it (`POST /user/{id}/openid/request_token`).
const openIdToken = z.object({
  access_token: text(1024),
  token_type: z.string().max(64).optional(),
  matrix_server_name: text(255).regex(/^[A-Za-z0-9.:[\]-]+$/, 'a server name'),
  expires_in: z.number().optional(),
});
const delegation = {
  delay_id: z.unknown().optional(),
  delay_timeout: z.unknown().optional(),
  delay_cs_api_url: z.unknown().optional(),
};

const legacySchema = z.object({ room: roomId, openid_token: openIdToken, device_id: text(255), ...delegation });
const matrix2Schema = z.object({
  room_id: roomId,
  slot_id: text(255),
  openid_token: openIdToken,
  member: z.object({ id: text(255), claimed_user_id: userId, claimed_device_id: text(255) }),
  ...delegation,
});

export type TokenEndpoint = 'sfu/get' | 'get_token';

/** A request both endpoints reduce to: whose token, for which room, and how to name them there. */
export interface TokenRequest {
  endpoint: TokenEndpoint;
  roomId: string;
  openid: { serverName: string; token: string };
  /** The user the client claims to be (get_token); sfu/get claims none. */
  claimedUserId?: string;
  deviceId: string;
  /** The LiveKit identity, once the homeserver confirmed who the user is. */
  identity(verifiedUserId: string): string;
}

export interface RequestError {
  status: 400;
  errcode: 'M_NOT_JSON' | 'M_BAD_JSON';
  error: string;
}

const bad = (error: string): RequestError => ({ status: 400, errcode: 'M_BAD_JSON', error });

function firstIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  return issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid request';
}

/** The request in the body, or what is wrong with it (the client is told, in Matrix's error shape). */
export function parseTokenRequest(endpoint: TokenEndpoint, body: string): TokenRequest | RequestError {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { status: 400, errcode: 'M_NOT_JSON', error: 'the body is not JSON' };
  }
  if (endpoint === 'sfu/get') {
    const r = legacySchema.safeParse(json);
    if (!r.success) return bad(firstIssue(r.error));
    if (asksDelegation(r.data)) return bad(DELEGATION_REFUSED);
    const { room, device_id: deviceId } = r.data;
    return {
      endpoint,
      roomId: room,
      openid: { serverName: r.data.openid_token.matrix_server_name, token: r.data.openid_token.access_token },
      deviceId,
      identity: (user) => callMemberIdentity(user, deviceId),
    };
  }
  const r = matrix2Schema.safeParse(json);
  if (!r.success) return bad(firstIssue(r.error));
  if (r.data.slot_id !== CALL_SLOT_ID) return bad(`slot_id: only the room's call (${CALL_SLOT_ID}) is served here`);
  if (asksDelegation(r.data)) return bad(DELEGATION_REFUSED);
  const { member } = r.data;
  return {
    endpoint,
    roomId: r.data.room_id,
    openid: { serverName: r.data.openid_token.matrix_server_name, token: r.data.openid_token.access_token },
    claimedUserId: member.claimed_user_id,
    deviceId: member.claimed_device_id,
    identity: (user) => rtcMemberIdentity(user, member.claimed_device_id, member.id),
  };
}

const DELEGATION_REFUSED =
  'delay_id: this service does not keep delayed leave events alive; send your own (MSC4140) and ask again without delay_*';

function asksDelegation(d: { delay_id?: unknown; delay_timeout?: unknown; delay_cs_api_url?: unknown }): boolean {
  return d.delay_id !== undefined || d.delay_timeout !== undefined || d.delay_cs_api_url !== undefined;
}
