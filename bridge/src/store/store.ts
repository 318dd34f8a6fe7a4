/** What the bridge keeps. One interface, so logic can be tested against a small in-memory fake. */
export interface BridgeStore {
  /** True when this transaction ID was already processed. */
  isTransactionProcessed(txnId: string): Promise<boolean>;
  markTransactionProcessed(txnId: string): Promise<void>;
  /** Forget transaction IDs older than this (Synapse retries for minutes, not days). */
  pruneTransactions(olderThan: Date): Promise<number>;
  upsertGroup(roomId: string, name: string | null): Promise<void>;
  getGroup(roomId: string): Promise<{ roomId: string; name: string | null } | undefined>;
}
