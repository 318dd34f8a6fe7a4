// The relay worker: every call's RTP relay (relay.ts) and their one 20 ms clock, in a thread of
// their own, so that SIP, HTTP, the conference WebSocket and the bridge's reports never delay a
// frame, and a burst of RTP never delays signalling. The main thread drives it through
// relay-host.ts; packets never cross between the threads, only commands, events and stats.
import { parentPort, workerData } from 'node:worker_threads';
import { mediaClock } from './clock.ts';
import { UdpPortPool } from './ports.ts';
import type { FromWorker, RelayStatsRow, RelayWorkerConfig, ToWorker } from './relay-protocol.ts';
import { RELAY_COUNTERS } from './relay-protocol.ts';
import { CallRelay } from './relay.ts';

if (!parentPort) throw new Error('relay-worker.ts runs as a worker thread');
const port = parentPort;
const config = workerData as RelayWorkerConfig;
const pool = new UdpPortPool(config.bind, config.portMin, config.portMax);
const relays = new Map<number, CallRelay>();
/** The sequence number of the prompt each relay plays now (for 'played'). */
const playing = new Map<number, number>();

const post = (m: FromWorker) => port.postMessage(m);
/** A view on what the main thread sent (a Uint8Array, or a Buffer over a shared prompt). */
const buffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

async function open(id: number, o: Extract<ToWorker, { t: 'open' }>['o']): Promise<void> {
  try {
    const relay = await CallRelay.open({ ...o, pool });
    relays.set(id, relay);
    relay.on('dtmf', (digit) => post({ t: 'dtmf', id, digit }));
    relay.on('timeout', () => post({ t: 'timeout', id }));
    relay.on('played', () => post({ t: 'played', id, seq: playing.get(id) ?? 0 }));
    relay.on('announced', () => post({ t: 'announced', id }));
    post({ t: 'opened', id, callerPort: relay.callerPort, mixPort: relay.mixPort });
  } catch (err) {
    post({ t: 'openFailed', id, error: (err as Error).message });
  }
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'open') {
    void open(m.id, m.o);
    return;
  }
  const relay = relays.get(m.id);
  if (!relay) return; // closed meanwhile
  switch (m.t) {
    case 'set':
      if (m.key === 'mode') relay.mode = m.value;
      else relay[m.key] = m.value;
      return;
    case 'play':
      if (!m.loop) playing.set(m.id, m.seq);
      relay.play(buffer(m.sound), { loop: m.loop });
      return;
    case 'stop':
      relay.stopPlayback({ music: m.music });
      return;
    case 'record':
      relay.startRecording(m.maxMs);
      return;
    case 'stopRecording': {
      const data = relay.stopRecording();
      post({ t: 'recording', id: m.id, req: m.req, data });
      return;
    }
    case 'announce':
      relay.announce(buffer(m.sound));
      return;
    case 'remote':
      relay.setRemote(m.remote);
      return;
    case 'mix':
      relay.setMix(m.remote ?? undefined);
      return;
    case 'close':
      relays.delete(m.id);
      playing.delete(m.id);
      relay.close();
      return;
  }
});

// Levels, packet counters and the clock for the main thread's views and metrics.
setInterval(() => {
  const rows: RelayStatsRow[] = [];
  for (const [id, r] of relays) rows.push([id, r.level, ...RELAY_COUNTERS.map((k) => r.counters[k])]);
  post({ t: 'stats', relays: rows, clock: { ...mediaClock.stats } });
}, config.statsEveryMs);
