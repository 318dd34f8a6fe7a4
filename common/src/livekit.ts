// LiveKit names of Foyer's conferences, made and parsed in one place: the gateway, its media
// agent, the stack and the tests agree on them. A participant's identity is `<Matrix user>:<device>`,
// the shape Element Call gives its members, so the next step (issue 14) can show callers and
// guests as call members without renaming anyone.
import { createHash } from 'node:crypto';
import { makeGuestUserId, makePhoneUserId } from './matrix-ids.ts';

/** The device in a caller's identity. */
export const PHONE_DEVICE_ID = 'FOYER_PHONE';
/** A browser's device: one per admission to a conference (the participant ID). */
const WEB_DEVICE_PREFIX = 'FOYER_WEB_';

/** The device in a guest's or member's page identity (and a guest puppet's call membership). */
export function webDeviceId(participantId: string): string {
  return `${WEB_DEVICE_PREFIX}${participantId}`;
}

/** Where the gateway hears from LiveKit (participants joining: anyone not admitted is removed). */
export const LIVEKIT_WEBHOOK_PATH = '/livekit/webhook';

/** A Matrix room ID as a short, stable, opaque LiveKit room name part. */
const roomDigest = (roomId: string) => createHash('sha256').update(roomId).digest('base64url').slice(0, 22);

/** The LiveKit room of a group's conference: derived from the Matrix room ID, stable, opaque. */
export function livekitRoomOf(roomId: string): string {
  return `foyer_${roomDigest(roomId)}`;
}

/**
 * The LiveKit room of an encrypted group's Element Call calls: end-to-end encrypted media that
 * callers and Foyer's pages cannot take part in, so kept apart from the conference's room.
 */
export function encryptedCallRoomOf(roomId: string): string {
  return `foyer_e2ee_${roomDigest(roomId)}`;
}

/** A caller's identity: their virtual user and the phone device. */
export function callerIdentity(participantId: string, serverName: string): string {
  return `${makePhoneUserId(participantId, serverName)}:${PHONE_DEVICE_ID}`;
}

/**
 * A browser's identity: the member's Matrix user (a guest's virtual user) and a device named
 * after this participant, so a page that left and came back (a new participant) is someone new.
 */
export function webIdentity(
  p: { participantId: string; kind: 'guest' | 'staff' | 'federated'; userId?: string },
  serverName: string,
): string {
  const user = p.kind === 'guest' || !p.userId ? makeGuestUserId(p.participantId, serverName) : p.userId;
  return `${user}:${webDeviceId(p.participantId)}`;
}

/** The participant ID in a browser's identity; undefined for any other identity. */
export function parseWebIdentity(identity: string): string | undefined {
  return /^@[^:]+:.+:FOYER_WEB_([a-z0-9]{1,64})$/.exec(identity)?.[1];
}

/** The call of a room that MatrixRTC clients (Element Call) join: its one room-wide slot. */
export const CALL_SLOT_ID = 'm.call#ROOM';

/**
 * Where the gateway answers MatrixRTC clients' token requests: the homeserver advertises
 * `<gateway's public URL>/livekit/jwt` as its LiveKit transport's `livekit_service_url`.
 */
export const MATRIX_RTC_SERVICE_PATH = '/livekit/jwt';

/** A call member's identity with state-event memberships (`org.matrix.msc3401.call.member`). */
export function callMemberIdentity(userId: string, deviceId: string): string {
  return `${userId}:${deviceId}`;
}

/**
 * A call member's identity with sticky `rtc.member` events (Matrix 2.0 mode): SHA-256 of the JSON
 * array [user, device, member ID], standard base64 without padding, as matrix-js-sdk computes it
 * to match LiveKit participants to memberships.
 */
export function rtcMemberIdentity(userId: string, deviceId: string, memberId: string): string {
  return createHash('sha256')
    .update(JSON.stringify([userId, deviceId, memberId]))
    .digest('base64')
    .replace(/=+$/, '');
}
