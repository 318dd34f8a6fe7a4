// Waiting for something that may never come: an event, for at most so long.
import { once, type EventEmitter } from 'node:events';

/** Resolves when the emitter emits `event` or after `ms`, whichever comes first; never rejects. */
export async function settledWithin(emitter: EventEmitter, event: string, ms: number): Promise<void> {
  await once(emitter, event, { signal: AbortSignal.timeout(ms) }).catch(() => undefined);
}
