// Messages between the gateway's main thread (relay-host.ts) and the relay worker
// (relay-worker.ts), which runs every call's RTP relay and their one 20 ms clock off the event
// loop that serves SIP, HTTP and the conference WebSocket. Types only: both sides are ours.
import type { RelayCallOptions, RelayMode } from './relay.ts';

export interface RelayWorkerConfig {
  bind: string;
  portMin: number;
  portMax: number;
  /** How often the worker reports levels, counters and its clock (ms). */
  statsEveryMs: number;
}

export type RelayFlag = 'mode' | 'muted' | 'musicInMix' | 'heldByCaller';

export type ToWorker =
  | { t: 'open'; id: number; o: RelayCallOptions }
  | { t: 'set'; id: number; key: 'mode'; value: RelayMode }
  | { t: 'set'; id: number; key: Exclude<RelayFlag, 'mode'>; value: boolean }
  | { t: 'play'; id: number; seq: number; sound: Uint8Array; loop: boolean }
  | { t: 'stop'; id: number; music: boolean }
  | { t: 'record'; id: number; maxMs: number }
  | { t: 'stopRecording'; id: number; req: number }
  | { t: 'announce'; id: number; sound: Uint8Array }
  | { t: 'remote'; id: number; remote: { address: string; port: number } }
  | { t: 'mix'; id: number; remote: { address: string; port: number } | null }
  | { t: 'close'; id: number };

/** Per relay in a stats message: id, level (dBov), then the counters in RELAY_COUNTERS order. */
export type RelayStatsRow = [id: number, level: number, ...counters: number[]];
export const RELAY_COUNTERS = ['fromCaller', 'toCaller', 'fromMix', 'toMix', 'dtmf', 'dropped'] as const;

export type FromWorker =
  | { t: 'opened'; id: number; callerPort: number; mixPort: number }
  | { t: 'openFailed'; id: number; error: string }
  | { t: 'dtmf'; id: number; digit: string }
  | { t: 'timeout'; id: number }
  | { t: 'played'; id: number; seq: number }
  | { t: 'announced'; id: number }
  | { t: 'recording'; id: number; req: number; data: Uint8Array }
  | {
      t: 'stats';
      relays: RelayStatsRow[];
      clock: { wakes: number; lateWakes: number; skippedFrames: number };
    };
