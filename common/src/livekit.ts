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

/** Where the gateway hears from LiveKit (participants joining: anyone not admitted is removed). */
export const LIVEKIT_WEBHOOK_PATH = '/livekit/webhook';

/** The LiveKit room of a group's conference: derived from the Matrix room ID, stable, opaque. */
export function livekitRoomOf(roomId: string): string {
  return `foyer_${createHash('sha256').update(roomId).digest('base64url').slice(0, 22)}`;
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
  return `${user}:${WEB_DEVICE_PREFIX}${p.participantId}`;
}

/** The participant ID in a browser's identity; undefined for any other identity. */
export function parseWebIdentity(identity: string): string | undefined {
  return /^@[^:]+:.+:FOYER_WEB_([a-z0-9]{1,64})$/.exec(identity)?.[1];
}
