import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface BridgeMetrics {
  registry: Registry;
  transactions: Counter<'outcome'>;
  events: Counter<'type'>;
  /** 1 while the gateway answers its health checks, 0 while it counts as down. */
  gatewayUp: Gauge;
  /** A busy room's events went to wait in the database (appservice/inbox.ts). */
  inboxSpills: Counter;
}

/** Gauges read when scraped: rooms with inbox work, puppet joins and leaves not yet done. */
export function watchBacklog(m: BridgeMetrics, o: { inboxRooms: () => number; puppets: () => number }): void {
  new Gauge({
    name: 'foyer_bridge_inbox_busy_rooms',
    help: 'Rooms with recorded appservice events not yet processed',
    registers: [m.registry],
    collect() {
      this.set(o.inboxRooms());
    },
  });
  new Gauge({
    name: 'foyer_bridge_puppet_backlog',
    help: 'Virtual users whose join or leave is not yet carried out',
    registers: [m.registry],
    collect() {
      this.set(o.puppets());
    },
  });
}

export function createMetrics(): BridgeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'foyer_bridge_' });
  return {
    registry,
    transactions: new Counter({
      name: 'foyer_bridge_transactions_total',
      help: 'Appservice transactions from the homeserver, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    events: new Counter({
      name: 'foyer_bridge_events_total',
      help: 'Room events received from the homeserver, by event type',
      labelNames: ['type'],
      registers: [registry],
    }),
    inboxSpills: new Counter({
      name: 'foyer_bridge_inbox_spills_total',
      help: 'Times a busy room kept its further appservice events in the database only (none dropped)',
      registers: [registry],
    }),
    gatewayUp: new Gauge({
      name: 'foyer_bridge_gateway_up',
      help: 'Whether the sip-gateway answers the bridge’s health checks (0 while it counts as down)',
      registers: [registry],
    }),
  };
}
