// The page's one media request to the gateway: a token for the group's LiveKit room
// (`media.token` → `media.livekit`, matched by rid). The request with its time limit, why one
// failed, and when to try again. DOM-free, unit-tested.
import type { ErrorCode } from '@foyer/common/conference-protocol';
import type { ConferenceSession, MediaServerMessage } from './session.ts';
import type { NoticeTopic } from './session-state.ts';

/** How long the gateway may take to answer. */
const ANSWER_TIMEOUT_MS = 20_000;
/** Tries before giving up (waiting 1 s, 2 s, 4 s in between). */
const MAX_ATTEMPTS = 4;
const retryDelay = (attempt: number): number => 1000 * 2 ** (attempt - 1);

export type Signalling = Pick<ConferenceSession, 'send' | 'nextRid' | 'notify'>;

/** Where to connect, and the token (valid long enough to connect). */
export interface Grant {
  url: string;
  token: string;
}

/** Why getting into the room failed, in the protocol's terms (for the notice). */
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

interface Pending {
  resolve: (grant: Grant) => void;
  reject: (failure: MediaFailure) => void;
}

/** Token requests in flight, answered by rid (or failed by an error with that rid). */
export class TokenRequests {
  private readonly pending = new Map<number, Pending>();
  private readonly signalling: Signalling;

  constructor(signalling: Signalling) {
    this.signalling = signalling;
  }

  request(): Promise<Grant> {
    const rid = this.signalling.nextRid();
    return new Promise<Grant>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new MediaFailure('timeout', 'the gateway did not answer in time'));
      }, ANSWER_TIMEOUT_MS);
      this.pending.set(rid, {
        resolve: (grant) => {
          clearTimeout(timer);
          resolve(grant);
        },
        reject: (failure) => {
          clearTimeout(timer);
          reject(failure);
        },
      });
      if (!this.signalling.send({ type: 'media.token', rid })) {
        this.fail(rid, new MediaFailure('unavailable', 'not connected'));
      }
    });
  }

  /** False when nothing waits for this answer (given up, or reset meanwhile). */
  answer(message: MediaServerMessage): boolean {
    const waiting = this.take(message.rid);
    waiting?.resolve({ url: message.url, token: message.token });
    return waiting !== undefined;
  }

  /** An error answering `rid`; false when it answers no token request. */
  fail(rid: number, failure: MediaFailure): boolean {
    const waiting = this.take(rid);
    waiting?.reject(failure);
    return waiting !== undefined;
  }

  failAll(failure: MediaFailure): void {
    for (const waiting of this.pending.values()) waiting.reject(failure);
    this.pending.clear();
  }

  private take(rid: number): Pending | undefined {
    const waiting = this.pending.get(rid);
    this.pending.delete(rid);
    return waiting;
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
