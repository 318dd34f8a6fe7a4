import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface RelayStats {
  mode: 'ivr' | 'lobby' | 'mix';
  counters: { fromCaller: number; toCaller: number; fromMix: number; toMix: number };
}

export interface GatewayMetrics {
  registry: Registry;
  janusConnected: Gauge;
  callerMixAvailable: Gauge<'plane'>;
  bridgeNotifications: Counter<'type'>;
  /** Where live relays and their clock (in the relay worker, as last reported) are read from at scrape time. */
  relays: {
    list: () => Iterable<RelayStats>;
    clock: () => { wakes: number; lateWakes: number; skippedFrames: number };
  };
  /** The LiveKit media agent's counters, when callers are on LiveKit. */
  mediaAgent: { stats: () => { agentStarts: number; agentExits: number; livekitDown: number } | undefined };
  /** Browsers on LiveKit: tokens minted, pages removed because they were not admitted. */
  livekitBrowsers: { stats: () => { tokens: number; intrudersRemoved: number } | undefined };
}

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  const relays: GatewayMetrics['relays'] = {
    list: () => [],
    clock: () => ({ wakes: 0, lateWakes: 0, skippedFrames: 0 }),
  };
  const mediaAgent: GatewayMetrics['mediaAgent'] = { stats: () => undefined };
  const livekitBrowsers: GatewayMetrics['livekitBrowsers'] = { stats: () => undefined };
  new Gauge({
    name: 'foyer_gateway_livekit_browsers',
    help: 'Browsers on LiveKit since start: tokens (minted for admitted pages), intruders_removed (pages LiveKit saw join without being admitted)',
    labelNames: ['what'],
    registers: [registry],
    collect() {
      const st = livekitBrowsers.stats();
      if (!st) return;
      this.set({ what: 'tokens' }, st.tokens);
      this.set({ what: 'intruders_removed' }, st.intrudersRemoved);
    },
  });
  new Gauge({
    name: 'foyer_gateway_media_agent',
    help: 'The LiveKit media agent since start: starts, exits, livekit_down (outages it saw)',
    labelNames: ['what'],
    registers: [registry],
    collect() {
      const st = mediaAgent.stats();
      if (!st) return;
      this.set({ what: 'starts' }, st.agentStarts);
      this.set({ what: 'exits' }, st.agentExits);
      this.set({ what: 'livekit_down' }, st.livekitDown);
    },
  });
  // The relays' frame clock: a loaded relay worker shows as late wake-ups and frames given up.
  new Gauge({
    name: 'foyer_gateway_media_clock',
    help: 'The 20 ms media clock since start: wakes, late_wakes (a frame or more late), skipped_frames',
    labelNames: ['what'],
    registers: [registry],
    collect() {
      const st = relays.clock();
      this.set({ what: 'wakes' }, st.wakes);
      this.set({ what: 'late_wakes' }, st.lateWakes);
      this.set({ what: 'skipped_frames' }, st.skippedFrames);
    },
  });
  // Calls and RTP packets are read from the live relays when scraped: nothing on the hot path.
  new Gauge({
    name: 'foyer_gateway_calls',
    help: 'Phone calls by where they are: ivr (PIN entry), lobby (waiting, on hold), mix',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const n = { ivr: 0, lobby: 0, mix: 0 };
      for (const r of relays.list()) n[r.mode]++;
      for (const [state, v] of Object.entries(n)) this.set({ state }, v);
    },
  });
  new Gauge({
    name: 'foyer_gateway_rtp_packets',
    help: 'RTP packets of the live calls, by leg and direction',
    labelNames: ['leg'],
    registers: [registry],
    collect() {
      const n = { from_caller: 0, to_caller: 0, from_mix: 0, to_mix: 0 };
      for (const { counters: c } of relays.list()) {
        n.from_caller += c.fromCaller;
        n.to_caller += c.toCaller;
        n.from_mix += c.fromMix;
        n.to_mix += c.toMix;
      }
      for (const [leg, v] of Object.entries(n)) this.set({ leg }, v);
    },
  });
  collectDefaultMetrics({ register: registry, prefix: 'foyer_gateway_' });
  return {
    relays,
    mediaAgent,
    livekitBrowsers,
    registry,
    janusConnected: new Gauge({
      name: 'foyer_gateway_janus_connected',
      help: '1 while the gateway holds a Janus session',
      registers: [registry],
    }),
    callerMixAvailable: new Gauge({
      name: 'foyer_gateway_caller_mix_available',
      help: '1 while callers can join their mix (plane: janus or livekit)',
      labelNames: ['plane'],
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
