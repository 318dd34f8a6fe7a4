// Guest mode: the request members make, and the PIN and link that answer it.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { z } from 'zod';

export const guestAccessContentSchema = z.object({
  enabled: z.boolean({ error: '"enabled" must be true or false' }),
  regenerate: z.boolean({ error: '"regenerate" must be true or false' }).optional(),
  /** A second PIN that makes a caller a moderator; absent: keep it as it is. */
  moderator_pin: z.boolean({ error: '"moderator_pin" must be true or false' }).optional(),
});
export type GuestAccessRequest = z.infer<typeof guestAccessContentSchema>;

const KNOWN_KEYS = new Set(['enabled', 'regenerate', 'moderator_pin']);
export function unknownKeys(content: Record<string, unknown>): string[] {
  return Object.keys(content).filter((k) => !KNOWN_KEYS.has(k));
}

/** A PIN of `digits` digits from the CSPRNG, never starting with 0 (callers drop leading zeros). */
export function newPin(digits: number): string {
  let pin = String(randomInt(1, 10));
  while (pin.length < digits) pin += String(randomInt(0, 10));
  return pin;
}

/** A guest link token: 192 random bits, URL-safe. */
export function newLinkToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Tokens are looked up by hash, so the index never compares secrets directly. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export const PIN_PATTERN = /^[1-9][0-9]{5,15}$/;
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
