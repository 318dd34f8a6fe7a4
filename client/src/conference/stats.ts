// The small test hook the end-to-end tests read through Playwright: the page's phase, and
// counters from the WebRTC statistics of the LiveKit tracks. Only numbers; no tokens, names or messages.

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

/** Where statistics come from: a LiveKit track's getRTCStatsReport. */
export type StatsSource = () => Promise<RTCStatsReport | undefined>;

export interface StatsInputs {
  /** What the page hears (null: not in the room). */
  audioIn: StatsSource[] | null;
  audioOut: StatsSource[];
  video: { feed: string; source: StatsSource }[];
  published: { source: string; from: StatsSource }[];
}

/** Reads a numeric field of a stats entry (0 when absent). */
function numberOf(report: Record<string, unknown>, field: string): number {
  const value = report[field];
  return typeof value === 'number' ? value : 0;
}

/** Sums `fields` over the entries of type `type` and kind `kind`, over every source. */
async function sum(sources: StatsSource[], type: string, kind: string, fields: string[]): Promise<number[]> {
  const totals = fields.map(() => 0);
  for (const source of sources) {
    try {
      const report = await source();
      report?.forEach((entry: Record<string, unknown>) => {
        if (entry.type !== type || entry.kind !== kind) return;
        fields.forEach((field, i) => (totals[i] = (totals[i] ?? 0) + numberOf(entry, field)));
      });
    } catch {
      // A track that ended meanwhile has no statistics.
    }
  }
  return totals;
}

export async function collectStats(inputs: StatsInputs): Promise<ConferenceStats> {
  let audio: ConferenceStats['audio'] = null;
  if (inputs.audioIn) {
    const [inboundPackets = 0, inboundEnergy = 0] = await sum(inputs.audioIn, 'inbound-rtp', 'audio', [
      'packetsReceived',
      'totalAudioEnergy',
    ]);
    const [outboundPackets = 0] = await sum(inputs.audioOut, 'outbound-rtp', 'audio', ['packetsSent']);
    audio = { inboundPackets, inboundEnergy, outboundPackets };
  }
  const video = await Promise.all(
    inputs.video.map(async ({ feed, source }) => {
      const [framesDecoded = 0, bytes = 0] = await sum([source], 'inbound-rtp', 'video', [
        'framesDecoded',
        'bytesReceived',
      ]);
      return { feed, framesDecoded, bytes };
    }),
  );
  const published = await Promise.all(
    inputs.published.map(async ({ source, from }) => {
      const [framesSent = 0] = await sum([from], 'outbound-rtp', 'video', ['framesSent']);
      return { source, framesSent };
    }),
  );
  return { audio, video, published };
}

export function installTestHook(hook: ConferenceTestHook): () => void {
  window.foyerConference = hook;
  return () => {
    if (window.foyerConference === hook) delete window.foyerConference;
  };
}
