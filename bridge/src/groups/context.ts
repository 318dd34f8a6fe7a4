// What the group manager's modules share: the options, the one per-room queue, the writer of
// org.foyer.conference, and what the gateway said about each conference lately (live state, not
// stored: after a bridge restart the re-sync with the gateway brings it back).
import type { KeyedSerialQueue, Logger } from '@foyer/common';
import type { GatewayNotifier } from '../gateway-notifier.ts';
import type { MatrixCalls } from '../matrix/api.ts';
import type { BridgeStore } from '../store/store.ts';
import type { CoalescingStateWriter } from './conference-state.ts';
import type { Identities } from './identity.ts';
import type { Presence } from './presence.ts';

export interface GroupManagerOptions {
  api: MatrixCalls;
  store: BridgeStore;
  ids: Identities;
  gateway: GatewayNotifier;
  log: Logger;
  dialInNumber: string;
  webUrl: string;
  pinDigits: number;
  maskCallerNumbers: boolean;
  deleteEmptyGroups: boolean;
  /** Delay for coalescing org.foyer.conference writes. */
  stateDelayMs?: number;
}

/** The gateway's live view of each room's conference. */
export class LiveConferences {
  /** When the gateway last reported on a room itself (ms), so a reset or re-sync never undoes it. */
  readonly reportedAt = new Map<string, number>();
  /** Rooms whose conference has no media server now. */
  readonly mediaUnavailable = new Set<string>();
  /** The sequence number of the last report applied per room: changes must follow it. */
  readonly seq = new Map<string, number>();

  forget(roomId: string): void {
    this.reportedAt.delete(roomId);
    this.mediaUnavailable.delete(roomId);
    this.seq.delete(roomId);
  }
}

/** A module of the group manager: it works on the shared context. */
export abstract class GroupPart {
  protected readonly c: GroupContext;
  constructor(c: GroupContext) {
    this.c = c;
  }
}

export interface GroupContext {
  readonly o: GroupManagerOptions;
  /** Per-room queue: one room's changes happen in order, rooms don't wait for each other. */
  readonly serial: KeyedSerialQueue;
  readonly writer: CoalescingStateWriter;
  readonly live: LiveConferences;
  /** Virtual users' joins and leaves, carried out off the room's queue. */
  readonly presence: Presence;
}
