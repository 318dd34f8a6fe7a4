import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export interface BridgeMetrics {
  registry: Registry;
  transactions: Counter<'outcome'>;
  events: Counter<'type'>;
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
  };
}
