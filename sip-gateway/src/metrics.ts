import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface RelayStats {
  mode: 'ivr' | 'lobby' | 'mix';
  counters: { fromCaller: number; toCaller: number; fromMix: number; toMix: number };
}

export interface GatewayMetrics {
  registry: Registry;
  callerMixAvailable: Gauge;
  bridgeNotifications: Counter<'type'>;
  /** Where live relays and their clock (in the relay worker, as last reported) are read from at scrape time. */
  relays: {
    list: () => Iterable<RelayStats>;
    clock: () => { wakes: number; lateWakes: number; skippedFrames: number };
  };
  /** The LiveKit media agent's counters. */
  mediaAgent: {
    stats: () => { agentStarts: number; agentExits: number; livekitDown: number; legsInterrupted: number } | undefined;
  };
  /** Browsers: tokens minted, pages removed because they were not admitted. */
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
  // Counters kept elsewhere since start, read when scraped, one gauge each with a `what` label.
  const counters = (name: string, help: string, read: () => Record<string, number> | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['what'],
      registers: [registry],
      collect() {
        for (const [what, v] of Object.entries(read() ?? {})) this.set({ what }, v);
      },
    });
  counters(
    'foyer_gateway_livekit_browsers',
    'Browsers on LiveKit since start: tokens (minted for admitted pages), intruders_removed (pages LiveKit saw join without being admitted)',
    () => {
      const st = livekitBrowsers.stats();
      return st && { tokens: st.tokens, intruders_removed: st.intrudersRemoved };
    },
  );
  counters(
    'foyer_gateway_media_agent',
    'The LiveKit media agent since start: starts, exits, livekit_down (outages it saw), legs_interrupted (callers whose room connection broke, e.g. its node died)',
    () => {
      const st = mediaAgent.stats();
      return (
        st && {
          starts: st.agentStarts,
          exits: st.agentExits,
          livekit_down: st.livekitDown,
          legs_interrupted: st.legsInterrupted,
        }
      );
    },
  );
  // The relays' frame clock: a loaded relay worker shows as late wake-ups and frames given up.
  counters(
    'foyer_gateway_media_clock',
    'The 20 ms media clock since start: wakes, late_wakes (a frame or more late), skipped_frames',
    () => {
      const st = relays.clock();
      return { wakes: st.wakes, late_wakes: st.lateWakes, skipped_frames: st.skippedFrames };
    },
  );
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
    callerMixAvailable: new Gauge({
      name: 'foyer_gateway_caller_mix_available',
      help: '1 while callers can join their mix (the media agent, connected to LiveKit)',
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
