import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface BridgeMetrics {
  registry: Registry;
  transactions: Counter<'outcome'>;
  events: Counter<'type'>;
  /** 1 while the gateway answers its health checks, 0 while it counts as down. */
  gatewayUp: Gauge;
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
    gatewayUp: new Gauge({
      name: 'foyer_bridge_gateway_up',
      help: 'Whether the sip-gateway answers the bridge’s health checks (0 while it counts as down)',
      registers: [registry],
    }),
  };
}
