import type { Knex } from '@foyer/common';
import type { BridgeStore } from './store.ts';

export class KnexBridgeStore implements BridgeStore {
  private readonly db: Knex;
  constructor(db: Knex) {
    this.db = db;
  }

  async isTransactionProcessed(txnId: string): Promise<boolean> {
    const row = await this.db('appservice_transactions').where({ txn_id: txnId }).first('txn_id');
    return row !== undefined;
  }

  async markTransactionProcessed(txnId: string): Promise<void> {
    await this.db('appservice_transactions').insert({ txn_id: txnId }).onConflict('txn_id').ignore();
  }

  async pruneTransactions(olderThan: Date): Promise<number> {
    return this.db('appservice_transactions').where('processed_at', '<', olderThan).delete();
  }

  async upsertGroup(roomId: string, name: string | null): Promise<void> {
    await this.db('groups').insert({ room_id: roomId, name }).onConflict('room_id').merge({ name });
  }

  async getGroup(roomId: string): Promise<{ roomId: string; name: string | null } | undefined> {
    const row = (await this.db('groups').where({ room_id: roomId }).first('room_id', 'name')) as
      { room_id: string; name: string | null } | undefined;
    return row && { roomId: row.room_id, name: row.name };
  }
}
