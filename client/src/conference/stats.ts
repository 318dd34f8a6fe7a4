// The small test hook the end-to-end tests read through Playwright: the page's phase, and
// counters from RTCPeerConnection.getStats(). Only numbers; no tokens, names or messages.
import type { ConferenceMedia } from './conference-media.svelte.ts';

export interface ConferenceStats {
  audio: { inboundPackets: number; inboundEnergy: number; outboundPackets: number } | null;
  video: { feed: string; framesDecoded: number; bytes: number }[];
  published: { source: string; framesSent: number }[];
}

export interface ConferenceTestHook {
  stats(): Promise<ConferenceStats>;
  phase(): string;
}

declare global {
  interface Window {
    foyerConference?: ConferenceTestHook;
  }
}

/** Reads a numeric field of a stats entry (0 when absent). */
function numberOf(report: Record<string, unknown>, field: string): number {
  const value = report[field];
  return typeof value === 'number' ? value : 0;
}

/** Sums `field` over the entries of type `type` and kind `kind`. */
async function sum(pc: RTCPeerConnection, type: string, kind: string, fields: string[]): Promise<number[]> {
  const totals = fields.map(() => 0);
  try {
    const report = await pc.getStats();
    report.forEach((entry: Record<string, unknown>) => {
      if (entry.type !== type || entry.kind !== kind) return;
      fields.forEach((field, i) => (totals[i] = (totals[i] ?? 0) + numberOf(entry, field)));
    });
  } catch {
    // A closed connection has no statistics.
  }
  return totals;
}

export async function collectStats(media: ConferenceMedia): Promise<ConferenceStats> {
  const { audio, subscriptions, publishers } = media.connections();
  let audioStats: ConferenceStats['audio'] = null;
  if (audio) {
    const [inboundPackets = 0, inboundEnergy = 0] = await sum(audio, 'inbound-rtp', 'audio', [
      'packetsReceived',
      'totalAudioEnergy',
    ]);
    const [outboundPackets = 0] = await sum(audio, 'outbound-rtp', 'audio', ['packetsSent']);
    audioStats = { inboundPackets, inboundEnergy, outboundPackets };
  }
  const video = await Promise.all(
    subscriptions.map(async ({ feed, pc }) => {
      const [framesDecoded = 0, bytes = 0] = await sum(pc, 'inbound-rtp', 'video', ['framesDecoded', 'bytesReceived']);
      return { feed, framesDecoded, bytes };
    }),
  );
  const published = await Promise.all(
    publishers.map(async ({ source, pc }) => {
      const [framesSent = 0] = await sum(pc, 'outbound-rtp', 'video', ['framesSent']);
      return { source, framesSent };
    }),
  );
  return { audio: audioStats, video, published };
}

export function installTestHook(hook: ConferenceTestHook): () => void {
  window.foyerConference = hook;
  return () => {
    if (window.foyerConference === hook) delete window.foyerConference;
  };
}
