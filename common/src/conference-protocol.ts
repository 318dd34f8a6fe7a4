// The conference WebSocket between browsers (the conference page, the staff client) and the
// gateway: JSON messages, validated on both ends with these schemas. Importable in the browser
// (zod only): `@foyer/common/conference-protocol`.
import { z } from 'zod';

const id = z.string().min(1).max(64);

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
    ]),
  }),
  z.strictObject({ type: z.literal('join') }),
  z.strictObject({ type: z.literal('leave') }),
  z.strictObject({ type: z.literal('mute'), participantId: id, muted: z.boolean() }),
  z.strictObject({ type: z.literal('remove'), participantId: id }),
  z.strictObject({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const participantViewSchema = z.object({
  id,
  kind: z.enum(['phone', 'guest', 'staff', 'federated']),
  name: z.string(),
  waiting: z.boolean(),
  muted: z.boolean(),
  /** Speaking level 0..1 (from the relay's estimate for callers). */
  level: z.number(),
});
export type ParticipantView = z.infer<typeof participantViewSchema>;

export const serverMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    role: z.enum(['moderator', 'participant']),
    roomId: z.string(),
    name: z.string().nullable(),
  }),
  z.object({
    type: z.literal('state'),
    status: z.enum(['idle', 'waiting', 'running', 'on_hold']),
    joined: z.boolean(),
    participants: z.array(participantViewSchema),
    moderators: z.array(z.string()),
  }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('pong') }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
