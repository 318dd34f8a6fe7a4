// The internal API between the bridge and the gateway, both directions, as schemas both sides
// validate with. Authenticated with the shared bearer secret (internalApi.secret).
//
// gateway → bridge (bridge's internal API):
//   POST /internal/v1/admit                       AdmissionRequest → Admission (the bridge decides
//        every way in — a call's dialled number, a typed PIN, a guest link, a verified member —
//        and the gateway carries the answer out: accept with room, role and policy, ask for a
//        PIN, or refuse)
//   PUT  /internal/v1/groups/:roomId/conference   ConferenceReport → {ok} (the whole conference:
//        the first report, and whenever the bridge asks for it)
//   PATCH /internal/v1/groups/:roomId/conference  ConferenceChanges → {ok}, or 409 {error:
//        'resync'} when `since` is not the last report the bridge applied (it missed one, or
//        restarted): the gateway then sends the whole conference (PUT) again
//   POST /internal/v1/groups/:roomId/messages     GuestMessage     → 202 {id, status}
//   POST /internal/v1/conferences/reset                            → {ok} (gateway restarted)
//   Each request carries `x-foyer-timeout-ms`, how long the gateway waits for the answer; a
//   conference report the bridge's room queue has not begun by then is given up (503 {error:
//   'expired'}), as the gateway has. A report given up by either side is caught by its sequence
//   number (the gateway counts only a 2xx as confirmed).
// bridge → gateway (gateway's internal API):
//   POST /internal/v1/notify                      GatewayNotification
//   GET  /internal/v1/conferences                                  → ConferenceSnapshot (every
//        conference the gateway hosts now; the bridge re-syncs with it after losing contact)
//   GET  /health (open): any answer means the gateway is alive (the bridge checks it periodically)
import { z } from 'zod';

const roomId = z.string().min(2).max(255);

export const chatMessageSchema = z.object({
  eventId: z.string(),
  sender: z.string(),
  senderName: z.string(),
  senderKind: z.enum(['bot', 'guest', 'phone', 'staff', 'federated']),
  msgtype: z.string(),
  body: z.string(),
  /** Sanitised HTML (allow-listed tags and attributes only), when the sender formatted it. */
  html: z.string().optional(),
  ts: z.number(),
  /** The event this one edits (m.replace). */
  replaces: z.string().optional(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/**
 * How a conference behaves. The bridge decides it (a group's rules, a fixed room's settings);
 * the gateway only carries it out.
 */
export const conferencePolicySchema = z.strictObject({
  /** Participants wait until a moderator is here (groups; fixed rooms with a moderator PIN). */
  moderatorRequired: z.boolean(),
  /** A lone caller in the mix hears hold music until a second participant arrives. */
  holdMusicWhenAlone: z.boolean(),
  /** Hold music: a file in gateway.ivr.promptsDir; null for the gateway's default. */
  holdMusicFile: z.string().max(255).nullable(),
  /** Callers are asked for their name, which is played to the room when they join and leave. */
  announceNames: z.boolean(),
  /** Participants (not moderators) start muted. */
  startMuted: z.boolean(),
  maxParticipants: z.number().int().min(1).nullable(),
});
export type ConferencePolicy = z.infer<typeof conferencePolicySchema>;

/** A group's conference: it runs while a moderator is there, nothing else special. */
export const GROUP_CONFERENCE_POLICY: ConferencePolicy = {
  moderatorRequired: true,
  holdMusicWhenAlone: false,
  holdMusicFile: null,
  announceNames: false,
  startMuted: false,
  maxParticipants: null,
};

export const gatewayNotificationSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('participant.removed'), roomId, participantId: z.string(), by: z.string() }),
  z.object({ type: z.literal('group.revoked'), roomId }),
  z.object({ type: z.literal('group.deleted'), roomId }),
  z.object({ type: z.literal('group.moderators'), roomId, moderators: z.array(z.string()) }),
  z.object({ type: z.literal('chat.message'), roomId, message: chatMessageSchema }),
  z.object({ type: z.literal('chat.redaction'), roomId, redacts: z.string() }),
  /** A fixed room's settings changed: its running conference takes the new policy at once. */
  z.object({ type: z.literal('room.updated'), roomId, extension: z.string(), policy: conferencePolicySchema }),
  /** An admin deleted a fixed room: its extension is unknown from now on (group.deleted follows). */
  z.object({ type: z.literal('room.deleted'), roomId, extension: z.string() }),
]);
export type GatewayNotification = z.infer<typeof gatewayNotificationSchema>;

/** Every way into a conference, as the gateway meets it. */
export const admissionRequestSchema = z.discriminatedUnion('way', [
  /** A call arrives: what does the dialled number (Request-URI user part) open? */
  z.strictObject({ way: z.literal('call'), dialled: z.string().max(64).nullable() }),
  /** The PIN a caller typed: in the lobby (extension null) or for a fixed room's extension. */
  z.strictObject({ way: z.literal('pin'), extension: z.string().max(64).nullable(), pin: z.string().max(32) }),
  /** A guest link's token (the page's hello, and again when the guest joins). */
  z.strictObject({ way: z.literal('link'), token: z.string().max(128) }),
  /** A Matrix user whose OpenID token the gateway has verified at their homeserver. */
  z.strictObject({ way: z.literal('member'), roomId, userId: z.string().min(3).max(255) }),
]);
export type AdmissionRequest = z.infer<typeof admissionRequestSchema>;

/** Why the bridge says no. One reason for "wrong" and "unknown": the caller learns nothing more. */
export type AdmissionRefusal = 'wrong-pin' | 'unknown-link' | 'not-member' | 'unknown-group';

/** The bridge's one answer to an admission request. */
export type Admission =
  | {
      decision: 'accept';
      roomId: string;
      role: 'moderator' | 'participant';
      policy: ConferencePolicy;
      /** What a page is told of the group in its welcome; absent for calls. */
      group?: GroupWelcome;
      /** How a member is shown (display name, else localpart); absent for guests and callers. */
      name?: string;
      kind?: 'staff' | 'federated';
      /** The room is end-to-end encrypted: Element Call's media there is not the conference's. */
      encrypted?: boolean;
    }
  /** A fixed room's extension: ask for its PIN; `allowEmpty` when a lone # (no PIN) opens it. */
  | { decision: 'ask-pin'; extension: string | null; allowEmpty: boolean }
  | { decision: 'refuse'; reason: AdmissionRefusal };

/** A fixed conference room's settings, as the bridge decides its callers' way in and policy. */
export interface FixedRoomInfo {
  /** The Matrix room (a group) behind it: report its conference as for any group. */
  roomId: string;
  name: string;
  /** Digits only. */
  extension: string;
  /** False: the admin chose no PIN; the caller goes straight in (unless a moderator PIN is typed). */
  pinRequired: boolean;
  /** Ask for and announce the caller's name. */
  announce: boolean;
  /** Hold music while alone; file: a name in gateway.ivr.promptsDir, null for the default. */
  holdMusic: { enabled: boolean; file: string | null };
  maxParticipants: number | null;
  startMuted: boolean;
  hasModeratorPin: boolean;
}

/** The answer to {extension, pin}: the PIN was the room's PIN or its moderator PIN. */
export interface FixedRoomAccess {
  roomId: string;
  role: 'participant' | 'moderator';
}

export interface GroupInfo {
  roomId: string;
  name: string | null;
  guestAccess: boolean;
  /** A fixed conference room's extension; null for groups. */
  extension: string | null;
  /** Number and PIN for the "audio via phone" route, while guest access is on. */
  dialIn: { number: string; pin: string } | null;
  /**
   * The group's moderator PIN, while guest access is on and members chose one. Never shown to
   * participants: the gateway tells it only to moderators.
   */
  moderatorPin: string | null;
  /** Local joined members: they moderate the conference. */
  moderators: string[];
  members: { userId: string; displayName: string | null; kind: 'staff' | 'federated' }[];
  /** The room turned on end-to-end encryption. */
  encrypted: boolean;
}

/**
 * What a page admitted to a group's conference is told of it: its name, the phone route, and —
 * for moderators only, the bridge decides — the moderator PIN. Nothing else leaves the bridge.
 */
export interface GroupWelcome {
  roomId: string;
  name: string | null;
  dialIn: { number: string; pin: string } | null;
  /** Null for participants (and while no moderator PIN exists). */
  moderatorPin: string | null;
}

/** The answer to {pin}: the group, and whether it was its guest PIN or its moderator PIN. */
export interface GroupPinAccess extends GroupInfo {
  role: 'participant' | 'moderator';
}

export const participantIdSchema = z.string().regex(/^[a-z0-9]{4,32}$/, 'lowercase letters and digits, 4 to 32');

/** How long the sender of an internal request waits for its answer (ms): the receiver's deadline. */
export const TIMEOUT_HEADER = 'x-foyer-timeout-ms';

const reportedParticipantSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    id: participantIdSchema,
    kind: z.literal('guest'),
    name: z.string().max(200),
    waiting: z.boolean(),
  }),
  z.strictObject({
    id: participantIdSchema,
    kind: z.literal('phone'),
    number: z.string().max(64).nullable(),
    waiting: z.boolean(),
  }),
]);
export type ReportedParticipant = z.infer<typeof reportedParticipantSchema>;

/** A conference report's sequence number: increasing per conference on the gateway. */
const seqSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const conferenceReportSchema = z.strictObject({
  /**
   * This report's number, when changes (ConferenceChanges) may follow it; absent in re-sync
   * snapshots and resets (the next changes then get a 409 and the whole conference is sent).
   */
  seq: seqSchema.optional(),
  status: z.enum(['idle', 'waiting', 'running', 'on_hold']),
  /**
   * 'unavailable' while the media server is away (everyone waits; status is never 'running'
   * then). Optional: a report without it means available.
   */
  media: z.enum(['available', 'unavailable']).optional(),
  participants: z.array(reportedParticipantSchema).max(1000),
});
export type ConferenceReport = z.infer<typeof conferenceReportSchema>;

/**
 * What changed in a conference since report `since` (the last one the bridge confirmed):
 * participants who joined, whose details changed (waiting, name), who left; status and media as
 * they are now. Applying it twice changes nothing.
 */
export const conferenceChangesSchema = z.strictObject({
  seq: seqSchema,
  since: seqSchema,
  status: conferenceReportSchema.shape.status,
  media: conferenceReportSchema.shape.media,
  joined: z.array(reportedParticipantSchema).max(1000),
  changed: z.array(reportedParticipantSchema).max(1000),
  left: z.array(participantIdSchema).max(1000),
});
export type ConferenceChanges = z.infer<typeof conferenceChangesSchema>;

const sameParticipant = (a: ReportedParticipant, b: ReportedParticipant) =>
  a.kind === b.kind &&
  a.waiting === b.waiting &&
  (a.kind === 'guest' ? a.name === (b as typeof a).name : a.number === (b as typeof a).number);

/** What changed from one report to the next (the gateway sends it; undefined: nothing did). */
export function conferenceChanges(
  before: ConferenceReport & { seq: number },
  now: ConferenceReport,
  seq: number,
): ConferenceChanges | undefined {
  const old = new Map(before.participants.map((p) => [p.id, p]));
  const joined: ReportedParticipant[] = [];
  const changed: ReportedParticipant[] = [];
  for (const p of now.participants) {
    const was = old.get(p.id);
    old.delete(p.id);
    if (!was) joined.push(p);
    else if (!sameParticipant(was, p)) changed.push(p);
  }
  const left = [...old.keys()];
  if (!joined.length && !changed.length && !left.length && before.status === now.status && before.media === now.media)
    return undefined;
  return {
    seq,
    since: before.seq,
    status: now.status,
    ...(now.media ? { media: now.media } : {}),
    joined,
    changed,
    left,
  };
}

/** The gateway's answer to GET /internal/v1/conferences: what it hosts now. */
export const conferenceSnapshotSchema = z.strictObject({
  conferences: z.array(z.strictObject({ roomId, report: conferenceReportSchema })).max(100_000),
});
export type ConferenceSnapshot = z.infer<typeof conferenceSnapshotSchema>;

export const guestMessageSchema = z.strictObject({
  participantId: participantIdSchema,
  /** The sender's own ID for this message: a retry with the same ID is delivered once. */
  txnId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  body: z.string(),
});
export type GuestMessage = z.infer<typeof guestMessageSchema>;
