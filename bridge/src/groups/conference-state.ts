// org.foyer.conference: what any Matrix client shows about a group's conference. Written by the
// bot only; bursts of changes (callers arriving together) are coalesced into one state event,
// and an unchanged content is not written again.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '@foyer/common';
import type { ConferenceStatus, Group, Participant } from '../store/store.ts';

export interface ConferenceContent {
  guest_access: boolean;
  dial_in: { number: string; pin: string } | null;
  join_url: string | null;
  status: ConferenceStatus;
  waiting: number;
  [key: string]: unknown;
}

export function conferenceContent(
  group: Group,
  participants: Participant[],
  o: { dialInNumber: string; webUrl: string },
  /** A fixed conference room: its own number and PIN ("" for none), always shown. */
  fixed?: { number: string; pin: string },
  /** The gateway has no media server now: `media: "unavailable"` (absent otherwise). */
  mediaUnavailable = false,
): ConferenceContent {
  const on = group.guestAccess && group.pin !== null && group.linkToken !== null;
  return {
    guest_access: on,
    dial_in: fixed ? { ...fixed } : on && group.pin ? { number: o.dialInNumber, pin: group.pin } : null,
    join_url: on && group.linkToken ? `${o.webUrl}/join/${group.linkToken}` : null,
    status: group.conferenceStatus,
    waiting: participants.filter((p) => p.waiting && !p.removed).length,
    ...(fixed ? { fixed_room: true } : {}),
    // Only that there is one: the PIN itself never goes into room state.
    ...(on && !fixed && group.moderatorPin ? { moderator_pin: true } : {}),
    ...(mediaUnavailable && group.conferenceStatus !== 'idle' ? { media: 'unavailable' } : {}),
    // Element Call's media is end-to-end encrypted here: it is not the conference's.
    ...(group.encrypted ? { matrix_rtc: false } : {}),
  };
}

export class CoalescingStateWriter {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lastWritten = new Map<string, ConferenceContent>();
  private readonly delayMs: number;
  private readonly build: (roomId: string) => Promise<ConferenceContent | undefined>;
  private readonly write: (roomId: string, content: ConferenceContent) => Promise<void>;
  private readonly log: Logger;

  constructor(o: {
    delayMs: number;
    build: (roomId: string) => Promise<ConferenceContent | undefined>;
    write: (roomId: string, content: ConferenceContent) => Promise<void>;
    log: Logger;
  }) {
    this.delayMs = o.delayMs;
    this.build = o.build;
    this.write = o.write;
    this.log = o.log;
  }

  /** Write soon; further calls within the delay join this write. */
  schedule(roomId: string): void {
    if (this.timers.has(roomId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(roomId);
      this.flush(roomId).catch((err: unknown) =>
        this.log.error({ err, roomId }, 'writing org.foyer.conference failed'),
      );
    }, this.delayMs);
    this.timers.set(roomId, timer);
  }

  /** Write now if the content differs from what was last written. */
  async flush(roomId: string, force = false): Promise<boolean> {
    clearTimeout(this.timers.get(roomId));
    this.timers.delete(roomId);
    const content = await this.build(roomId);
    if (!content) return false;
    if (!force && isDeepStrictEqual(this.lastWritten.get(roomId), content)) return false;
    await this.write(roomId, content);
    this.lastWritten.set(roomId, content);
    return true;
  }

  /** Has this process written the room's content (so an unchanged report needs no write)? */
  knows(roomId: string): boolean {
    return this.lastWritten.has(roomId) || this.timers.has(roomId);
  }

  forget(roomId: string): void {
    clearTimeout(this.timers.get(roomId));
    this.timers.delete(roomId);
    this.lastWritten.delete(roomId);
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
