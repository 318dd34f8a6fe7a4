// Answered calls, kept in the database while they last. A gateway that restarts finds here the
// calls it had and ends them cleanly (BYE) rather than leaving callers in silence.
import type { Knex } from '@foyer/common';

export interface ActiveCallStore {
  remember(callId: string, dialog: unknown): Promise<void>;
  forget(callId: string): Promise<void>;
  /** Every call remembered (from before a restart, at start-up). */
  all(): Promise<{ callId: string; dialog: unknown }[]>;
}

/** Wrapper key of a snapshot Postgres jsonb cannot hold as it is. */
const ENCODED = '$base64json';

/**
 * The column value for a dialog: its JSON, or, when that JSON holds what jsonb refuses (\u0000,
 * a lone surrogate), the JSON in base64 inside a one-key object, so that the call is still
 * recorded (and gets its BYE after a crash) with its dialog exactly as it was.
 */
export function encodeDialog(dialog: unknown): string {
  const json = JSON.stringify(dialog);
  if (!/\\u0000|\\ud[89a-f]/i.test(json)) return json;
  return JSON.stringify({ [ENCODED]: Buffer.from(json, 'utf8').toString('base64') });
}

/** The inverse of encodeDialog, for a value read back (a string or already-parsed jsonb). */
export function decodeDialog(value: unknown): unknown {
  const v: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof v === 'object' && v !== null && Object.keys(v).length === 1) {
    const inner = (v as Record<string, unknown>)[ENCODED];
    if (typeof inner === 'string') return JSON.parse(Buffer.from(inner, 'base64').toString('utf8')) as unknown;
  }
  return v;
}

export class KnexActiveCallStore implements ActiveCallStore {
  private readonly db: Knex;
  constructor(db: Knex) {
    this.db = db;
  }

  async remember(callId: string, dialog: unknown): Promise<void> {
    await this.db('active_calls')
      .insert({ call_id: callId, dialog: encodeDialog(dialog) })
      .onConflict('call_id')
      .merge();
  }

  async forget(callId: string): Promise<void> {
    await this.db('active_calls').where({ call_id: callId }).delete();
  }

  async all(): Promise<{ callId: string; dialog: unknown }[]> {
    const rows = (await this.db('active_calls').select('call_id', 'dialog')) as { call_id: string; dialog: unknown }[];
    return rows.map((r) => ({ callId: r.call_id, dialog: decodeDialog(r.dialog) }));
  }
}
