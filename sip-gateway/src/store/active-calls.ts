// Answered calls, kept in the database while they last. A gateway that restarts finds here the
// calls it had and ends them cleanly (BYE) rather than leaving callers in silence.
import type { Knex } from '@foyer/common';

export interface ActiveCallStore {
  remember(callId: string, dialog: unknown): Promise<void>;
  forget(callId: string): Promise<void>;
  /** Every call remembered (from before a restart, at start-up). */
  all(): Promise<{ callId: string; dialog: unknown }[]>;
}

export class KnexActiveCallStore implements ActiveCallStore {
  private readonly db: Knex;
  constructor(db: Knex) {
    this.db = db;
  }

  async remember(callId: string, dialog: unknown): Promise<void> {
    await this.db('active_calls')
      .insert({ call_id: callId, dialog: JSON.stringify(dialog) })
      .onConflict('call_id')
      .merge();
  }

  async forget(callId: string): Promise<void> {
    await this.db('active_calls').where({ call_id: callId }).delete();
  }

  async all(): Promise<{ callId: string; dialog: unknown }[]> {
    const rows = (await this.db('active_calls').select('call_id', 'dialog')) as { call_id: string; dialog: unknown }[];
    return rows.map((r) => ({
      callId: r.call_id,
      dialog: typeof r.dialog === 'string' ? (JSON.parse(r.dialog) as unknown) : r.dialog,
    }));
  }
}
