// Whether each virtual user should be in its room, carried out against the homeserver off the
// room's queue: a burst of callers joining never holds up the room's chat or another room.
//
// For each virtual user only the latest wish counts: a caller who leaves before their join was
// carried out costs no request at all. A room has at most `perRoom` requests in flight; one user's
// join and leave happen in order. A join costs what the Matrix API asks for a user new to a private
// room and no more: register (once per user; not waited for by the invite, which needs no
// account) and invite side by side, then the join, carrying the display name in the member event
// (no separate profile request).
import type { Logger } from '@foyer/common';
import { MatrixError, type MatrixCalls } from '../matrix/api.ts';
import type { CallMemberships } from './call-memberships.ts';

/**
 * `callDevice`: in the room's call (MatrixRTC membership) with this device; absent: not.
 * `adopt`: the user was there before this process started (its call membership too, maybe).
 */
type Wish = { want: 'join'; displayName: string; callDevice?: string; adopt?: boolean } | { want: 'leave' };

interface UserState {
  roomId: string;
  userId: string;
  /** Not yet started. */
  pending: Wish | undefined;
  running: boolean;
  /** Joined by us since this process started (a leave of a user never joined can be skipped). */
  joined: boolean;
}

export class Presence {
  private readonly api: Pick<MatrixCalls, 'registerVirtualUser' | 'invite' | 'join' | 'leave'>;
  private readonly log: Logger;
  private readonly perRoom: number;
  private readonly users = new Map<string, UserState>();
  /** Users waiting for a slot, by room. */
  private readonly ready = new Map<string, string[]>();
  private readonly inFlight = new Map<string, number>();
  private readonly registered = new Set<string>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly localpartOf: (userId: string) => string;
  private readonly calls: Pick<CallMemberships, 'join' | 'leave'> | undefined;

  constructor(o: {
    api: Pick<MatrixCalls, 'registerVirtualUser' | 'invite' | 'join' | 'leave'>;
    log: Logger;
    localpartOf: (userId: string) => string;
    perRoom?: number;
    /** Call memberships, kept after the join (and ended before the leave). */
    calls?: Pick<CallMemberships, 'join' | 'leave'>;
  }) {
    this.api = o.api;
    this.log = o.log;
    this.localpartOf = o.localpartOf;
    this.perRoom = o.perRoom ?? 4;
    this.calls = o.calls;
  }

  /** In the room (and, with `callDevice`, in its call; without, out of it). */
  join(roomId: string, userId: string, displayName: string, callDevice?: string, adopt = false): void {
    this.wish(roomId, userId, {
      want: 'join',
      displayName,
      ...(callDevice ? { callDevice } : {}),
      ...(adopt ? { adopt } : {}),
    });
  }

  leave(roomId: string, userId: string): void {
    this.wish(roomId, userId, { want: 'leave' });
  }

  /** Users with a wish not yet carried out. */
  get backlog(): number {
    let n = 0;
    for (const u of this.users.values()) if (u.pending || u.running) n++;
    return n;
  }

  /** Resolves when every wish has been carried out (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.backlog) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private key = (roomId: string, userId: string) => `${roomId}\u0000${userId}`;

  private wish(roomId: string, userId: string, wish: Wish): void {
    const key = this.key(roomId, userId);
    let u = this.users.get(key);
    if (!u) {
      u = { roomId, userId, pending: undefined, running: false, joined: false };
      this.users.set(key, u);
    }
    // A leave of a user whose join never started, and who was not joined before: nothing to do.
    if (wish.want === 'leave' && u.pending?.want === 'join' && !u.running && !u.joined) {
      u.pending = undefined;
      this.forgetIfDone(key, u);
      return;
    }
    const queued = u.pending !== undefined || u.running;
    u.pending = wish;
    if (!queued) this.enqueue(roomId, key);
  }

  private enqueue(roomId: string, key: string): void {
    const list = this.ready.get(roomId) ?? [];
    list.push(key);
    this.ready.set(roomId, list);
    this.pump(roomId);
  }

  private pump(roomId: string): void {
    const list = this.ready.get(roomId);
    while (list?.length && (this.inFlight.get(roomId) ?? 0) < this.perRoom) {
      const key = list.shift()!;
      const u = this.users.get(key);
      if (!u?.pending) {
        if (u) this.forgetIfDone(key, u);
        continue;
      }
      const wish = u.pending;
      u.pending = undefined;
      u.running = true;
      this.inFlight.set(roomId, (this.inFlight.get(roomId) ?? 0) + 1);
      void this.carryOut(u, wish).finally(() => {
        u.running = false;
        this.inFlight.set(roomId, (this.inFlight.get(roomId) ?? 1) - 1);
        if (u.pending) this.enqueue(roomId, key);
        else {
          this.forgetIfDone(key, u);
          this.pump(roomId);
        }
      });
    }
    if (list && !list.length) this.ready.delete(roomId);
    if (!this.inFlight.get(roomId)) this.inFlight.delete(roomId);
  }

  private forgetIfDone(key: string, u: UserState): void {
    if (u.pending || u.running) return;
    // A joined user is remembered (bounded by who is in the conferences): its leave is needed.
    if (!u.joined) this.users.delete(key);
    if (this.idleWaiters.length && !this.backlog) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async carryOut(u: UserState, wish: Wish): Promise<void> {
    const { roomId, userId } = u;
    try {
      if (wish.want === 'join') {
        if (!u.joined) await this.joinRoom(roomId, userId, wish.displayName);
        u.joined = true;
        await this.call(roomId, userId, wish.callDevice, wish.adopt);
      } else {
        await this.call(roomId, userId, undefined);
        await this.api.leave(roomId, userId);
        u.joined = false;
      }
    } catch (err) {
      const msg = (err as Error).message;
      if (wish.want === 'join')
        // The conference goes on without the room showing this participant; say why.
        this.log.error({ err: msg, roomId, userId }, 'could not join the virtual user to the room');
      else this.log.warn({ err: msg, roomId, userId }, 'virtual user could not leave');
    }
  }

  /** In or out of the room's call; a failure is logged (the conference goes on, Element Call lacks them). */
  private async call(roomId: string, userId: string, device: string | undefined, adopt = false): Promise<void> {
    if (!this.calls) return;
    try {
      if (device) await this.calls.join(roomId, userId, device, adopt);
      else await this.calls.leave(roomId, userId);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, roomId, userId }, 'call membership not updated');
    }
  }

  /** Register (once), invite and join, the display name in the join's member event. */
  async joinRoom(roomId: string, userId: string, displayName?: string): Promise<void> {
    const localpart = this.localpartOf(userId);
    const register = this.registered.has(localpart)
      ? Promise.resolve()
      : this.api.registerVirtualUser(localpart).then(() => void this.registered.add(localpart));
    const invite = this.api.invite(roomId, userId).catch((err: unknown) => {
      // Already invited or joined is fine; anything else shows up at the join.
      if (!(err instanceof MatrixError && err.httpStatus === 403)) throw err;
    });
    const [r, i] = await Promise.allSettled([register, invite]);
    if (r.status === 'rejected') throw r.reason;
    if (i.status === 'rejected') throw i.reason;
    await this.api.join(roomId, userId, displayName === undefined ? undefined : { displayname: displayName });
  }
}
