import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  registry: Registry;
  janusConnected: Gauge;
  bridgeNotifications: Counter<'type'>;
}

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'foyer_gateway_' });
  return {
    registry,
    janusConnected: new Gauge({
      name: 'foyer_gateway_janus_connected',
      help: '1 while the gateway holds a Janus session',
      registers: [registry],
    }),
    bridgeNotifications: new Counter({
      name: 'foyer_gateway_bridge_notifications_total',
      help: 'Notifications received from the bridge, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
  };
}
