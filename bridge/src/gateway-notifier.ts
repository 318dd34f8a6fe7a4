// Bridge → gateway notifications (revocations, removals, room chat for web guests), sent in order
// with a few bounded retries. They concern live sessions only: if the gateway is down there are
// no sessions to act on, so a notification that cannot be delivered is logged and dropped.
import type { Logger } from '@foyer/common';
import type { GatewayNotification } from '@foyer/common';

export interface GatewayNotifier {
  notify(n: GatewayNotification): void;
}

export class HttpGatewayNotifier implements GatewayNotifier {
  private chain: Promise<void> = Promise.resolve();
  private readonly url: string;
  private readonly secret: string;
  private readonly log: Logger;

  constructor(o: { gatewayUrl: string; secret: string; log: Logger }) {
    this.url = `${o.gatewayUrl}/internal/v1/notify`;
    this.secret = o.secret;
    this.log = o.log;
  }

  notify(n: GatewayNotification): void {
    this.chain = this.chain.then(() => this.deliver(n));
  }

  /** Resolves when everything queued so far was delivered or given up. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async deliver(n: GatewayNotification): Promise<void> {
    const delays = [0, 200, 1000, 3000];
    let lastError = '';
    for (const delay of delays) {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify(n),
          signal: AbortSignal.timeout(5000),
        });
        await res.body?.cancel();
        if (res.ok) return;
        lastError = `HTTP ${res.status}`;
        if (res.status >= 400 && res.status < 500) break; // our request is wrong: retrying won't help
      } catch (err) {
        lastError = (err as Error).message;
      }
    }
    this.log.warn({ type: n.type, roomId: n.roomId, error: lastError }, 'could not notify the gateway');
  }
}
