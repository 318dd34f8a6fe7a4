// The Janus WebSocket API envelope, validated at the edge: whatever Janus (or something posing
// as it) sends is checked before our code relies on a field.
import { z } from 'zod';

export const janusErrorSchema = z.object({ code: z.number(), reason: z.string() });

export const janusMessageSchema = z.looseObject({
  janus: z.string(),
  transaction: z.string().optional(),
  session_id: z.number().optional(),
  sender: z.number().optional(),
  data: z.looseObject({ id: z.number().optional() }).optional(),
  plugindata: z.object({ plugin: z.string(), data: z.record(z.string(), z.unknown()) }).optional(),
  error: janusErrorSchema.optional(),
  jsep: z.looseObject({ type: z.string(), sdp: z.string() }).optional(),
});
export type JanusMessage = z.infer<typeof janusMessageSchema>;

export class JanusError extends Error {
  override name = 'JanusError';
  readonly code: number;
  constructor(code: number, reason: string) {
    super(`Janus error ${code}: ${reason}`);
    this.code = code;
  }
}
