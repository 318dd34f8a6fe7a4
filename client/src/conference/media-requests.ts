// What both media planes' page sides share: a media request the gateway answers by its rid (a
// session description on Janus, a token on LiveKit), why one failed, and when to try again.
import type { ClientMessage, ErrorCode } from '@foyer/common/conference-protocol';
import type { ConferenceSession } from './session.ts';
import type { NoticeTopic } from './session-state.ts';

/** How long the gateway may take to answer a media request. */
const ANSWER_TIMEOUT_MS = 20_000;
/** Tries per media request before giving up (waiting 1 s, 2 s, 4 s in between). */
const MAX_ATTEMPTS = 4;
const retryDelay = (attempt: number): number => 1000 * 2 ** (attempt - 1);

export type Signalling = Pick<ConferenceSession, 'send' | 'nextRid' | 'notify' | 'iceServers'>;

/** Why a media request failed, in the protocol's terms (for the notice). */
export class MediaFailure extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }

  static of(err: unknown): MediaFailure {
    return err instanceof MediaFailure ? err : new MediaFailure('unavailable', String(err));
  }

  /** Worth another try: not when the page is simply not (or no longer) in the conference. */
  get retryable(): boolean {
    return this.code !== 'not_admitted' && this.code !== 'forbidden';
  }
}

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

/** Requests in flight, answered by rid (or failed by an error with that rid). */
export class MediaRequests<T> {
  private readonly pending = new Map<number, Pending<T>>();
  private readonly signalling: Signalling;

  constructor(signalling: Signalling) {
    this.signalling = signalling;
  }

  /** Sends the request; resolves with the answer `accept` takes (it throws for a wrong one). */
  send(build: (rid: number) => ClientMessage): Promise<T> {
    const rid = this.signalling.nextRid();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new MediaFailure('timeout', 'the gateway did not answer in time'));
      }, ANSWER_TIMEOUT_MS);
      this.pending.set(rid, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      if (!this.signalling.send(build(rid))) this.fail(rid, new MediaFailure('unavailable', 'not connected'));
    });
  }

  /** The answer to `rid`; false when nothing waits for it. */
  answer(rid: number, value: T): boolean {
    const waiting = this.pending.get(rid);
    this.pending.delete(rid);
    waiting?.resolve(value);
    return waiting !== undefined;
  }

  fail(rid: number, failure: MediaFailure): boolean {
    const waiting = this.pending.get(rid);
    this.pending.delete(rid);
    waiting?.reject(failure);
    return waiting !== undefined;
  }

  failAll(failure: MediaFailure): void {
    for (const waiting of this.pending.values()) waiting.reject(failure);
    this.pending.clear();
  }
}

/**
 * After a failed attempt: `again` a little later (unless `current` says the work was abandoned
 * meanwhile), or give up and tell the person.
 */
export function retryOrGiveUp(
  signalling: Signalling,
  failure: MediaFailure,
  attempt: number,
  about: NoticeTopic,
  o: { again: () => void; giveUp: () => void; current: () => boolean },
): void {
  if (failure.retryable && attempt < MAX_ATTEMPTS) {
    setTimeout(() => {
      if (o.current()) o.again();
    }, retryDelay(attempt));
    return;
  }
  o.giveUp();
  signalling.notify(failure.code, failure.message, about);
}

/** A moderator muted this page: mute the microphone here too (unmuting stays the person's call). */
export class ServerMuteFollower {
  private last = false;

  follow(
    state: { participants: { id: string; muted: boolean }[]; participantId: string | null },
    local: {
      micMuted: boolean;
      setMicMuted(muted: boolean): void;
    },
  ): void {
    const own = state.participants.find((p) => p.id === state.participantId);
    const muted = own?.muted ?? false;
    if (muted && !this.last && !local.micMuted) local.setMicMuted(true);
    this.last = muted;
  }

  reset(): void {
    this.last = false;
  }
}

/**
 * Asks the person for a screen, window or tab to share; null when they cancelled (or were told
 * why not), or when the page is no longer `wanted` in the conference by then. The browser's own
 * "stop sharing" button calls `ended`.
 */
export async function shareScreen(
  signalling: Signalling,
  wanted: () => boolean,
  ended: (track: MediaStreamTrack) => void,
): Promise<MediaStreamTrack | null> {
  const track = await pickScreen(signalling);
  if (!track) return null;
  if (!wanted()) {
    track.stop();
    return null;
  }
  track.addEventListener('ended', () => ended(track));
  return track;
}

async function pickScreen(signalling: Signalling): Promise<MediaStreamTrack | null> {
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch (err) {
    // Cancelling the browser's picker is not an error worth a message.
    if (!(err instanceof DOMException && err.name === 'NotAllowedError')) {
      signalling.notify('unavailable', String(err), 'screen');
    }
    return null;
  }
  const track = stream.getVideoTracks()[0] ?? null;
  if (track) track.contentHint = 'detail';
  return track;
}
