// Telling the bridge about one conference: the first report whole, then only what changed since
// the report the bridge last confirmed (common/src/internal-protocol.ts). One report in flight at
// a time: changes made meanwhile go into the next one, so a burst of callers costs a few reports,
// not one per 100 ms each carrying the whole list. When the bridge answers 409 (it missed a
// report, or restarted) the whole conference goes again. A report that failed or timed out is not
// counted as confirmed: the next one starts from what the bridge last confirmed and is retried
// with a growing pause, and the sequence number tells the bridge whether it already applied it.
// One reporter per room for the gateway's lifetime (ConferenceManager), so a conference that ends
// and starts again keeps counting instead of racing its earlier self.
import { conferenceChanges, type ConferenceChanges, type ConferenceReport, type Logger } from '@foyer/common';

export interface ReportSink {
  /** The whole conference (PUT). */
  reportConference(roomId: string, report: ConferenceReport): Promise<void>;
  /** What changed (PATCH); 'resync' when the bridge needs the whole conference. Optional: without it every report is whole. */
  reportChanges?(roomId: string, changes: ConferenceChanges): Promise<'ok' | 'resync'>;
}

const RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];

export class ConferenceReporter {
  private readonly roomId: string;
  private readonly sink: ReportSink;
  /** The conference as it is now (the manager points this at the room's current conference). */
  snapshot: () => ConferenceReport;
  private readonly log: Logger;
  private readonly delayMs: number;
  private seq = 0;
  /** The last report the bridge confirmed, with its number. */
  private confirmed: (ConferenceReport & { seq: number }) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private again = false;
  private failures = 0;

  constructor(o: {
    roomId: string;
    sink: ReportSink;
    snapshot: () => ConferenceReport;
    log: Logger;
    delayMs?: number;
  }) {
    this.roomId = o.roomId;
    this.sink = o.sink;
    this.snapshot = o.snapshot;
    this.log = o.log;
    this.delayMs = o.delayMs ?? 100;
  }

  /** Something changed: report soon (changes until then join this report). */
  schedule(delayMs = this.delayMs): void {
    if (this.sending) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.send(false).catch(() => undefined);
    }, delayMs);
  }

  /** Report now and wait for the answer (shutdown, ending; `whole`: the entire conference). */
  async flush(whole = false): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sending) await this.sending.catch(() => undefined);
    if (whole) this.confirmed = undefined;
    await this.send(true);
  }

  /** Stop retrying (the conference is gone). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.again = false;
  }

  private send(rethrow: boolean): Promise<void> {
    let retryIn: number | undefined;
    const work = this.deliver().then(
      () => {
        this.failures = 0;
      },
      (err: unknown) => {
        const status = (err as { status?: number }).status;
        if (status !== 404) {
          // Not confirmed: try again (from what the bridge last confirmed) after a pause.
          retryIn = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)]!;
          this.failures++;
        }
        this.log.warn(
          { roomId: this.roomId, err: (err as Error).message, status },
          'could not report the conference to the bridge',
        );
        if (rethrow) throw err;
      },
    );
    this.sending = work.finally(() => {
      this.sending = undefined;
      const again = this.again;
      this.again = false;
      if (retryIn !== undefined) this.schedule(retryIn);
      else if (again) this.schedule();
    });
    return this.sending;
  }

  private async deliver(): Promise<void> {
    const now = this.snapshot();
    if (this.confirmed && this.sink.reportChanges) {
      const changes = conferenceChanges(this.confirmed, now, this.seq + 1);
      if (!changes) return;
      this.seq++;
      if ((await this.sink.reportChanges(this.roomId, changes)) === 'ok') {
        this.confirmed = { ...now, seq: changes.seq };
        return;
      }
      this.log.info({ roomId: this.roomId, since: changes.since }, 'the bridge asked for the whole conference');
    }
    const whole = { ...now, seq: ++this.seq };
    this.confirmed = undefined;
    await this.sink.reportConference(this.roomId, whole);
    this.confirmed = whole;
  }
}
