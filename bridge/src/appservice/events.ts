// Matrix events as they arrive from Synapse, checked at the edge. An event that does not have
// the shape of a room event is logged and skipped; it never reaches the bridge logic.
import { z } from 'zod';

export const roomEventSchema = z.looseObject({
  type: z.string().min(1).max(255),
  event_id: z.string().min(1).max(255),
  // Room version 12 IDs are `!<hash>` with no server part, older ones `!opaque:server`.
  room_id: z.string().regex(/^![^\s:]+(:[^\s]+)?$/),
  sender: z.string().regex(/^@.+:.+$/),
  origin_server_ts: z.number(),
  content: z.record(z.string(), z.unknown()),
  state_key: z.string().optional(),
  unsigned: z.record(z.string(), z.unknown()).optional(),
});
export type RoomEvent = z.infer<typeof roomEventSchema>;

export const transactionSchema = z.looseObject({
  events: z.array(z.unknown()),
  ephemeral: z.array(z.unknown()).optional(),
  'de.sorunome.msc2409.ephemeral': z.array(z.unknown()).optional(),
});

export const memberContentSchema = z.looseObject({
  membership: z.enum(['invite', 'join', 'leave', 'ban', 'knock']),
  displayname: z.string().nullish(),
  reason: z.string().optional(),
});
