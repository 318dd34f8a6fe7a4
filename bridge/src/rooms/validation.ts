// What an administrator may send for a fixed conference room, and how it is normalised. Pure
// functions and zod schemas, shared by the admin API and its unit tests.
import { z } from 'zod';

/** Digits of an extension or full number: "+49 991 1234 4711" → "4999112344711". */
export function normaliseExtension(raw: string): string {
  return raw.replace(/[^0-9]/g, '');
}

const EXTENSION_INPUT = /^\+?[0-9][0-9 ()/.-]*$/;
/** The one extension-length rule (admin requests, lookups, scripts/foyer-admin's help). */
export const EXTENSION_DIGITS = { min: 2, max: 20 };

/** The digits of an extension (any formatting), or undefined when too few or too many. */
export function extensionDigits(raw: string): string | undefined {
  const digits = normaliseExtension(raw);
  return digits.length >= EXTENSION_DIGITS.min && digits.length <= EXTENSION_DIGITS.max ? digits : undefined;
}

/** Room PIN and moderator PIN chosen by an admin: digits, no leading zero (callers drop it). */
export const ADMIN_PIN = /^[1-9][0-9]{3,15}$/;
const pinMessage = '4 to 16 digits, not starting with 0';

/** A file in the gateway's prompts folder: a plain name, no path. */
export const PROMPT_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** "required" for a missing field, else what was expected. */
const expected = (what: string) => (iss: { input?: unknown }) => (iss.input === undefined ? 'required' : what);

export const extensionSchema = z
  .string({ error: expected('expected a string of digits, e.g. "4711" or "+49 991 1234 4711"') })
  .trim()
  .max(40, 'at most 40 characters')
  .regex(EXTENSION_INPUT, 'expected digits, e.g. "4711" or "+49 991 1234 4711"')
  .refine(
    (s) => extensionDigits(s) !== undefined,
    `expected ${EXTENSION_DIGITS.min} to ${EXTENSION_DIGITS.max} digits`,
  );

const nameSchema = z
  .string({ error: expected('expected a string') })
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'at most 100 characters')
  .refine((s) => !/\p{Cc}/u.test(s), 'no control characters');

const pinSchema = z.string({ error: `expected a string of ${pinMessage}` }).regex(ADMIN_PIN, pinMessage);

const fileSchema = z
  .string({ error: 'expected a file name' })
  .regex(PROMPT_FILE, 'expected a plain file name in the prompts folder (letters, digits, . _ -; no path)')
  .refine((s) => !s.includes('..'), 'must not contain ".."');

const holdMusicSchema = z.strictObject({
  enabled: z.boolean({ error: 'expected true or false' }).optional(),
  /** null: the gateway's default hold music. */
  file: fileSchema.nullable().optional(),
});

const maxParticipantsSchema = z
  .number({ error: 'expected a whole number or null' })
  .int('expected a whole number')
  .min(2, 'at least 2')
  .max(1000, 'at most 1000')
  .nullable();

const inviteSchema = z
  .array(z.string().regex(/^@[^:\s]+:\S+$/, 'expected a Matrix user ID such as @alice:example.org'))
  .max(50, 'at most 50 users at once');

const common = {
  announce: z.boolean({ error: 'expected true or false' }).optional(),
  holdMusic: holdMusicSchema.optional(),
  maxParticipants: maxParticipantsSchema.optional(),
  startMuted: z.boolean({ error: 'expected true or false' }).optional(),
  /** Staff (local users) to invite to the Matrix room. */
  invite: inviteSchema.optional(),
};

/**
 * POST /admin/v1/rooms. `pin` absent: generated; a string: that PIN; null: no PIN (explicit).
 * `moderatorPin` absent or null: none; a string: that PIN; `newModeratorPin: true`: generated.
 */
export const createRoomSchema = z
  .strictObject({
    name: nameSchema,
    extension: extensionSchema,
    pin: pinSchema.nullable().optional(),
    moderatorPin: pinSchema.nullable().optional(),
    newModeratorPin: z.literal(true, { error: 'expected true' }).optional(),
    ...common,
  })
  .superRefine((b, ctx) => {
    if (b.moderatorPin && b.newModeratorPin)
      ctx.addIssue({
        code: 'custom',
        path: ['newModeratorPin'],
        message: 'give moderatorPin or newModeratorPin, not both',
      });
    if (b.pin && b.moderatorPin && b.pin === b.moderatorPin)
      ctx.addIssue({ code: 'custom', path: ['moderatorPin'], message: 'must differ from the PIN' });
  });
export type CreateRoomRequest = z.output<typeof createRoomSchema>;

/**
 * PATCH /admin/v1/rooms/:id: only what is given changes. `pin: null` removes the PIN,
 * `newPin: true` generates a new one; the same for the moderator PIN.
 */
export const updateRoomSchema = z
  .strictObject({
    name: nameSchema.optional(),
    extension: extensionSchema.optional(),
    pin: pinSchema.nullable().optional(),
    newPin: z.literal(true, { error: 'expected true' }).optional(),
    moderatorPin: pinSchema.nullable().optional(),
    newModeratorPin: z.literal(true, { error: 'expected true' }).optional(),
    ...common,
  })
  .superRefine((b, ctx) => {
    if (b.pin !== undefined && b.newPin)
      ctx.addIssue({ code: 'custom', path: ['newPin'], message: 'give pin or newPin, not both' });
    if (b.moderatorPin !== undefined && b.newModeratorPin)
      ctx.addIssue({
        code: 'custom',
        path: ['newModeratorPin'],
        message: 'give moderatorPin or newModeratorPin, not both',
      });
    if (b.pin && b.moderatorPin && b.pin === b.moderatorPin)
      ctx.addIssue({ code: 'custom', path: ['moderatorPin'], message: 'must differ from the PIN' });
    if (Object.keys(b).length === 0) ctx.addIssue({ code: 'custom', path: [], message: 'nothing to change' });
  });
export type UpdateRoomRequest = z.output<typeof updateRoomSchema>;

/** POST /admin/v1/rooms/:id/repair: staff to invite to the new Matrix room, if one is made. */
export const repairRoomSchema = z.strictObject({ invite: inviteSchema.optional() });

/** A zod error as one line naming the field: "extension: expected digits, …". */
export function describeError(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'body: invalid';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    return `${where}unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `${issue.path.join('.') || 'body'}: ${issue.message}`;
}
