// The conference WebSocket between browsers (the conference page, the staff client) and the
// gateway: JSON messages, validated on both ends with these schemas. Importable in the browser
// (zod only): `@foyer/common/conference-protocol`.
//
// Flow: hello (guest link token + name, or a Matrix OpenID token) → welcome → join → state
// updates. Media runs on LiveKit: once `admitted`, the page asks for a short-lived token
// (`media.token` → `media.livekit`) and connects to the group's LiveKit room itself; the gateway
// mints it only for admitted pages, removes the page from the room when it is no longer
// admitted, and mutes server-side. No media passes through this socket.
import { z } from 'zod';

const id = z.string().min(1).max(64);
/** A request ID chosen by the page, echoed in the answer or error. */
const rid = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** What a page publishes besides its microphone. */
export const mediaSourceSchema = z.enum(['camera', 'screen']);
export type MediaSource = z.infer<typeof mediaSourceSchema>;

/** Guest names: what a person types, shown to everybody; no control characters. */
export const guestNameSchema = z
  .string()
  .trim()
  .min(1, 'a name is needed')
  .max(64, 'at most 64 characters')
  .refine((s) => !/[\p{Cc}\p{Cf}]/u.test(s), 'no control characters');

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hello'),
    auth: z.discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('matrix'),
        userId: z
          .string()
          .regex(/^@[^:\s]+:[^\s]+$/)
          .max(255),
        roomId: z
          .string()
          .regex(/^![^\s]+$/)
          .max(255),
        /** From the client's OpenID request (widget API or /openid/request_token). */
        openidToken: z.string().min(1).max(512),
        /** The server that issued the token (the user's homeserver). */
        serverName: z.string().min(1).max(255),
      }),
      z.strictObject({
        kind: z.literal('guest'),
        /** The token of the guest link (<webUrl>/join/<token>). */
        token: z.string().min(1).max(128),
        /** Absent on the start page (to learn about the group); needed to join. */
        name: guestNameSchema.optional(),
      }),
    ]),
  }),
  /** Guests who said hello without a name give it before joining. */
  z.strictObject({ type: z.literal('join'), name: guestNameSchema.optional() }),
  z.strictObject({ type: z.literal('leave') }),
  z.strictObject({ type: z.literal('mute'), participantId: id, muted: z.boolean() }),
  z.strictObject({ type: z.literal('remove'), participantId: id }),
  /** A token for the group's LiveKit room (admitted pages only). */
  z.strictObject({ type: z.literal('media.token'), rid }),
  z.strictObject({
    type: z.literal('chat.send'),
    /** The page's own ID for this message: a retry with the same ID is delivered once. */
    txnId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    body: z.string().min(1).max(60_000),
  }),
  z.strictObject({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const participantViewSchema = z.object({
  id,
  kind: z.enum(['phone', 'guest', 'staff', 'federated']),
  name: z.string(),
  /** Matrix user ID of staff and federated members. */
  userId: z.string().optional(),
  moderator: z.boolean(),
  waiting: z.boolean(),
  muted: z.boolean(),
  /** Speaking level 0..1 of callers (the relay's estimate); pages see LiveKit's active speakers. */
  level: z.number(),
  /** The participant's identity in the LiveKit room (their tracks and active-speaker entries). */
  media: z.string().optional(),
});
export type ParticipantView = z.infer<typeof participantViewSchema>;

export const chatLineSchema = z.object({
  id: z.string(),
  sender: z.string(),
  senderName: z.string(),
  senderKind: z.enum(['bot', 'guest', 'phone', 'staff', 'federated']),
  body: z.string(),
  /** Sanitised by the bridge (allow-listed tags and attributes only). */
  html: z.string().optional(),
  ts: z.number(),
  /** The page's txnId when this is the page's own message coming back. */
  txnId: z.string().optional(),
});
export type ChatLine = z.infer<typeof chatLineSchema>;

export const errorCodeSchema = z.enum([
  'bad_message',
  'rate_limited',
  'timeout',
  'unauthenticated',
  'forbidden',
  'link_revoked',
  'licence_cap',
  'not_found',
  'not_admitted',
  /** A moderator locked the conference (phone *7): nobody else may enter now. */
  'conference_locked',
  /** The room's maximum number of participants is reached. */
  'conference_full',
  /** A moderator muted this page: only a moderator can unmute it. */
  'muted_by_moderator',
  'unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

export const serverMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    role: z.enum(['moderator', 'participant']),
    roomId: z.string(),
    name: z.string().nullable(),
    /** The page's own participant ID (set once it joined). */
    participantId: z.string().nullable(),
    /** For the "audio via phone" tab, while guest access is on. */
    dialIn: z.object({ number: z.string(), pin: z.string() }).nullable(),
    /** The group's moderator PIN, told to moderators only (never in room state). */
    moderatorPin: z.string().optional(),
    /** The media plane of this conference (LiveKit, the only one since Janus was retired). */
    media: z.literal('livekit'),
  }),
  z.object({
    type: z.literal('state'),
    status: z.enum(['idle', 'waiting', 'running', 'on_hold']),
    joined: z.boolean(),
    /** In the conference (not waiting): the page may send and receive media. */
    admitted: z.boolean(),
    participantId: z.string().nullable(),
    participants: z.array(participantViewSchema),
    moderators: z.array(z.string()),
  }),
  /** Where to connect and the token (valid for a short while: enough to connect). */
  z.object({ type: z.literal('media.livekit'), rid, url: z.string().min(1), token: z.string().min(1) }),
  z.object({ type: z.literal('chat'), message: chatLineSchema }),
  z.object({ type: z.literal('chat.failed'), txnId: z.string(), message: z.string() }),
  z.object({ type: z.literal('chat.redacted'), id: z.string() }),
  /** This page's participant was removed (by a moderator, or guest access was revoked). */
  z.object({ type: z.literal('removed'), reason: z.enum(['removed', 'revoked', 'deleted', 'ended']) }),
  z.object({
    type: z.literal('error'),
    code: errorCodeSchema,
    message: z.string(),
    /** The request this answers (media requests). */
    rid: rid.optional(),
    /** The gateway closes the connection after this error: do not retry on it. */
    fatal: z.boolean().optional(),
  }),
  z.object({ type: z.literal('pong') }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
