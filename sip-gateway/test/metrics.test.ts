// The gateway's counters as /metrics shows them: read from their owners when scraped, one
// gauge per owner with a `what` label, and nothing at all for an owner that is not running.
import { describe, expect, it } from 'vitest';
import { metricValue } from '../../tests/helpers/matrix.ts';
import { createMetrics } from '../src/metrics.ts';

describe('gateway metrics', () => {
  it('shows the LiveKit browsers’ and the media agent’s counters when they run, the clock always', async () => {
    const m = createMetrics();
    let text = await m.registry.metrics();
    expect(text).not.toMatch(/foyer_gateway_livekit_browsers\{/);
    expect(text).not.toMatch(/foyer_gateway_media_agent\{/);
    expect(metricValue(text, 'foyer_gateway_media_clock', { what: 'wakes' })).toBe(0);
    m.livekitBrowsers.stats = () => ({ tokens: 3, intrudersRemoved: 1 });
    m.mediaAgent.stats = () => ({ agentStarts: 2, agentExits: 1, livekitDown: 4, legsInterrupted: 3 });
    m.relays.clock = () => ({ wakes: 50, lateWakes: 2, skippedFrames: 1 });
    text = await m.registry.metrics();
    expect(metricValue(text, 'foyer_gateway_livekit_browsers', { what: 'tokens' })).toBe(3);
    expect(metricValue(text, 'foyer_gateway_livekit_browsers', { what: 'intruders_removed' })).toBe(1);
    expect(metricValue(text, 'foyer_gateway_media_agent', { what: 'livekit_down' })).toBe(4);
    expect(metricValue(text, 'foyer_gateway_media_agent', { what: 'legs_interrupted' })).toBe(3);
    expect(metricValue(text, 'foyer_gateway_media_clock', { what: 'late_wakes' })).toBe(2);
  });
});
