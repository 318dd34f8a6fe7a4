// Callers and guests as members of the room's MatrixRTC call, so Element Call shows and plays
// them: while a participant is in the conference (not waiting), their puppet keeps an
// `org.matrix.msc3401.call.member` state event naming the LiveKit identity the gateway gave them
// (`<puppet>:<device>`), on the homeserver's LiveKit transport (Foyer's token service). A delayed
// leave (MSC4140), restarted while the membership lasts, ends it if the bridge vanishes, so a
// crash leaves no ghost in anyone's call. The event shapes follow matrix-js-sdk's MembershipManager
// (state-event mode, read from the protocol), which Element Call reads.
import type { Logger } from '@foyer/common';
import { MatrixError, type MatrixCalls } from '../matrix/api.ts';
import { CALL_MEMBER_EVENT } from './power.ts';

/** Until the homeserver sends the leave itself, should the bridge stop restarting it. */
const LEAVE_DELAY_MS = 5 * 60_000;
/** How often each membership's delayed leave is restarted (well within its delay). */
const RESTART_EVERY_MS = 100_000;
/** A membership's lifetime as Element Call counts it from created_ts; renewed before it runs out. */
const EXPIRES_MS = 4 * 3600_000;
const RENEW_MARGIN_MS = 10 * 60_000;
/** Delayed-leave restarts in flight at once (a big conference must not flood the homeserver). */
const RESTARTS_IN_FLIGHT = 4;

/** The state key of a member's call membership: MSC3757 rooms drop the leading underscore. */
export function callMemberStateKey(userId: string, deviceId: string, roomVersion: string): string {
  const key = `${userId}_${deviceId}_m.call`;
  return /^org\.matrix\.msc3757\./.test(roomVersion) || /^org\.matrix\.msc3779\./.test(roomVersion) ? key : `_${key}`;
}

/** The content of a call membership, as matrix-js-sdk writes it for the room's call. */
export function callMemberContent(o: {
  userId: string;
  deviceId: string;
  roomId: string;
  serviceUrl: string;
  createdTs: number;
  expires: number;
}): Record<string, unknown> {
  return {
    application: 'm.call',
    call_id: '',
    scope: 'm.room',
    device_id: o.deviceId,
    membershipID: `${o.userId}:${o.deviceId}`,
    created_ts: o.createdTs,
    expires: o.expires,
    focus_active: { type: 'livekit', focus_selection: 'multi_sfu' },
    foci_preferred: [{ type: 'livekit', livekit_service_url: o.serviceUrl, livekit_alias: o.roomId }],
  };
}

export type CallApi = Pick<
  MatrixCalls,
  'sendState' | 'sendDelayedState' | 'updateDelayedEvent' | 'delayedEvents' | 'stateEvent' | 'rtcTransports'
>;

interface Membership {
  roomId: string;
  userId: string;
  deviceId: string;
  stateKey: string;
  delayId: string;
  createdTs: number;
  expires: number;
}

const keyOf = (roomId: string, userId: string) => `${roomId}\u0000${userId}`;

export class CallMemberships {
  private readonly api: CallApi;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly memberships = new Map<string, Membership>();
  private readonly roomVersions = new Map<string, string>();
  private serviceUrl: Promise<string | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private restarting = false;

  constructor(o: { api: CallApi; log: Logger; now?: () => number; restartEveryMs?: number }) {
    this.api = o.api;
    this.log = o.log;
    this.now = o.now ?? Date.now;
    this.timer = setInterval(() => void this.restartAll(), o.restartEveryMs ?? RESTART_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The token service this homeserver advertises (asked once; none: memberships are skipped). */
  private transport(): Promise<string | undefined> {
    this.serviceUrl ??= this.api.rtcTransports().then(
      (ts) => {
        const url = ts.find((t) => t.type === 'livekit')?.livekit_service_url;
        if (!url) this.log.warn('the homeserver advertises no LiveKit transport: Element Call will not show callers');
        return url;
      },
      (err: unknown) => {
        this.serviceUrl = undefined; // asked again next time
        this.log.warn({ err: (err as Error).message }, 'could not ask the homeserver for its MatrixRTC transports');
        return undefined;
      },
    );
    return this.serviceUrl;
  }

  private async roomVersion(roomId: string): Promise<string> {
    let v = this.roomVersions.get(roomId);
    if (v === undefined) {
      const create = await this.api.stateEvent(roomId, 'm.room.create', '');
      v = typeof create?.room_version === 'string' ? create.room_version : '1';
      this.roomVersions.set(roomId, v);
    }
    return v;
  }

  has(roomId: string, userId: string): boolean {
    return this.memberships.has(keyOf(roomId, userId));
  }

  /**
   * The puppet (joined to the room) is in the call now: its delayed leave first, then the
   * membership. `adopt`: the participant was in the call before this process started (the bridge
   * restarted), so the delayed leave an earlier process scheduled, which nobody restarts now, is
   * cancelled first, or it would end the membership in a few minutes.
   */
  async join(roomId: string, userId: string, deviceId: string, adopt = false): Promise<void> {
    if (this.has(roomId, userId)) return;
    const serviceUrl = await this.transport();
    if (!serviceUrl) return;
    const stateKey = callMemberStateKey(userId, deviceId, await this.roomVersion(roomId));
    if (adopt)
      for (const d of await this.api.delayedEvents(userId))
        if (d.room_id === roomId && d.type === CALL_MEMBER_EVENT && d.state_key === stateKey)
          await this.api.updateDelayedEvent(d.delay_id, 'cancel', userId);
    const delayId = await this.api.sendDelayedState(roomId, CALL_MEMBER_EVENT, stateKey, {}, LEAVE_DELAY_MS, userId);
    const m: Membership = { roomId, userId, deviceId, stateKey, delayId, createdTs: this.now(), expires: EXPIRES_MS };
    try {
      await this.send(m, serviceUrl);
    } catch (err) {
      await this.api.updateDelayedEvent(delayId, 'cancel', userId).catch(() => undefined);
      throw err;
    }
    this.memberships.set(keyOf(roomId, userId), m);
  }

  private send(m: Membership, serviceUrl: string): Promise<string> {
    return this.api.sendState(
      m.roomId,
      CALL_MEMBER_EVENT,
      m.stateKey,
      callMemberContent({ ...m, serviceUrl }),
      m.userId,
    );
  }

  /** Out of the call (waiting again, or gone): the membership ends now, its delayed leave with it. */
  async leave(roomId: string, userId: string): Promise<void> {
    const m = this.memberships.get(keyOf(roomId, userId));
    if (!m) return;
    this.memberships.delete(keyOf(roomId, userId));
    try {
      // The delayed leave, sent now: the membership's end (`{}`), and nothing left scheduled.
      await this.api.updateDelayedEvent(m.delayId, 'send', m.userId);
    } catch (err) {
      if (!(err instanceof MatrixError && err.httpStatus === 404)) throw err;
      await this.api.sendState(roomId, CALL_MEMBER_EVENT, m.stateKey, {}, m.userId); // sent already, or gone
    }
  }

  /** Keep every membership's delayed leave from firing; renew what is about to expire. */
  async restartAll(): Promise<void> {
    if (this.restarting) return;
    this.restarting = true;
    try {
      const queue = [...this.memberships.values()];
      const worker = async () => {
        for (let m = queue.shift(); m; m = queue.shift()) await this.restart(m);
      };
      await Promise.all(Array.from({ length: RESTARTS_IN_FLIGHT }, worker));
    } finally {
      this.restarting = false;
    }
  }

  private async restart(m: Membership): Promise<void> {
    if (this.memberships.get(keyOf(m.roomId, m.userId)) !== m) return;
    try {
      await this.api.updateDelayedEvent(m.delayId, 'restart', m.userId);
      if (this.now() >= m.createdTs + m.expires - RENEW_MARGIN_MS) {
        m.expires += EXPIRES_MS;
        const serviceUrl = await this.transport();
        if (serviceUrl) await this.send(m, serviceUrl);
      }
    } catch (err) {
      if (err instanceof MatrixError && err.httpStatus === 404) {
        // The leave went out (the bridge paused too long): the membership starts again.
        this.memberships.delete(keyOf(m.roomId, m.userId));
        await this.join(m.roomId, m.userId, m.deviceId).catch((e: unknown) =>
          this.log.warn({ err: (e as Error).message, roomId: m.roomId }, 'call membership could not start again'),
        );
        return;
      }
      this.log.warn({ err: (err as Error).message, roomId: m.roomId }, 'call membership: delayed leave not restarted');
    }
  }
}
