// Whether the gateway is alive, seen from the bridge: it asks the gateway's /health every
// interval (any HTTP answer counts, a 503 for "LiveKit away" too: the gateway itself is there).
// After `failuresBeforeDown` checks in a row without an answer the gateway counts as down: its
// conferences are over (callers and guests are cut off with it), so every room's conference goes
// idle and the virtual users leave, as when a restarted gateway resets them itself. When the
// gateway answers again (or for the first time since the bridge started), the bridge asks it for
// the conferences it hosts now and takes them over, so neither a bridge restart nor a gateway
// that was only unreachable for a while leaves a room showing what is no longer true.
//
// Bound: a gateway that dies right after a check is declared down after failuresBeforeDown
// further checks, i.e. within failuresBeforeDown × interval + the check timeout (2 × 5 s + 2 s
// = 12 s by default); the rooms then show it once Synapse took the state events.
import { conferenceSnapshotSchema, type ConferenceSnapshot, type Logger } from '@foyer/common';
import type { Gauge } from 'prom-client';

export type GatewayState = 'unknown' | 'up' | 'down';

/** The pure decision: one check's outcome after another, and what changes with each. */
export class GatewayHealth {
  private failures = 0;
  private current: GatewayState = 'unknown';
  private readonly failuresBeforeDown: number;

  constructor(failuresBeforeDown: number) {
    if (!Number.isInteger(failuresBeforeDown) || failuresBeforeDown < 1)
      throw new RangeError('failuresBeforeDown must be a positive integer');
    this.failuresBeforeDown = failuresBeforeDown;
  }

  get state(): GatewayState {
    return this.current;
  }

  /**
   * Record whether the gateway answered a check. Returns 'down' once, when the failures in a row
   * reach the limit (also when it never answered since the bridge started), and 'up' once, when
   * it answers first or again after being down; otherwise undefined.
   */
  record(answered: boolean): 'up' | 'down' | undefined {
    if (answered) {
      this.failures = 0;
      if (this.current === 'up') return undefined;
      this.current = 'up';
      return 'up';
    }
    this.failures++;
    if (this.current === 'down' || this.failures < this.failuresBeforeDown) return undefined;
    this.current = 'down';
    return 'down';
  }
}

/** What the watch does to the rooms: the group manager's side. */
export interface ConferenceSync {
  /** The gateway is gone: every conference is over, unless the gateway reported it after `since`. */
  resetConferences(o?: { unlessReportedSince?: number }): Promise<number>;
  /** Take over what the gateway hosts now, except rooms it reported on directly after `since`. */
  syncConferences(snapshot: ConferenceSnapshot, since: number): Promise<void>;
}

export interface GatewayWatchOptions {
  gatewayUrl: string;
  secret: string;
  intervalMs: number;
  failuresBeforeDown: number;
  conferences: ConferenceSync;
  log: Logger;
  /** 1 while the gateway answers, 0 while it counts as down. */
  gauge?: Gauge;
}

export class GatewayWatch {
  private readonly o: GatewayWatchOptions;
  private readonly health: GatewayHealth;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Set when the gateway came (back) up; cleared once its conferences were taken over. */
  private syncPending = false;
  private running: Promise<void> = Promise.resolve();

  constructor(o: GatewayWatchOptions) {
    this.o = o;
    this.health = new GatewayHealth(o.failuresBeforeDown);
    this.timeoutMs = Math.min(2000, o.intervalMs);
  }

  get state(): GatewayState {
    return this.health.state;
  }

  /** First check now, then one every interval (never two at once). */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      this.running = this.tick().finally(() => this.schedule(Math.max(0, this.o.intervalMs - (Date.now() - started))));
    }, delayMs);
    this.timer.unref();
  }

  /** One check and what follows from it. Never throws. */
  async tick(): Promise<void> {
    const answered = await this.answers();
    if (this.stopped) return;
    const change = this.health.record(answered);
    this.o.gauge?.set(this.health.state === 'down' ? 0 : 1);
    try {
      if (change === 'down') {
        this.syncPending = false;
        const since = Date.now();
        this.o.log.error(
          { gateway: this.o.gatewayUrl, failures: this.o.failuresBeforeDown },
          'the gateway does not answer: its conferences are over',
        );
        const groups = await this.o.conferences.resetConferences({ unlessReportedSince: since });
        this.o.log.info({ groups }, 'conferences of the lost gateway reset');
      } else if (change === 'up') {
        this.o.log.info({ gateway: this.o.gatewayUrl }, 'the gateway answers');
        this.syncPending = true;
      }
      if (this.syncPending && this.health.state === 'up') await this.sync();
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'acting on the gateway’s health failed');
    }
  }

  private async answers(): Promise<boolean> {
    try {
      const res = await fetch(`${this.o.gatewayUrl}/health`, { signal: AbortSignal.timeout(this.timeoutMs) });
      await res.body?.cancel();
      return true;
    } catch {
      return false;
    }
  }

  /** Ask the gateway what it hosts now and take it over. Retried at the next check on failure. */
  private async sync(): Promise<void> {
    const since = Date.now();
    let snapshot: ConferenceSnapshot;
    try {
      const res = await fetch(`${this.o.gatewayUrl}/internal/v1/conferences`, {
        headers: { authorization: `Bearer ${this.o.secret}` },
        signal: AbortSignal.timeout(5000),
      });
      if (res.status === 404) {
        // A gateway without the list: it resets the rooms itself when it restarts.
        await res.body?.cancel();
        this.syncPending = false;
        this.o.log.warn('the gateway cannot list its conferences; rooms are not re-synced');
        return;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      snapshot = conferenceSnapshotSchema.parse(await res.json());
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'could not get the gateway’s conferences; trying again');
      return;
    }
    await this.o.conferences.syncConferences(snapshot, since);
    this.syncPending = false;
    this.o.log.info({ conferences: snapshot.conferences.length }, 'rooms re-synced with the gateway’s conferences');
  }
}
