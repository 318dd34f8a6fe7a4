// Media-agent benchmark (no stack needed: it starts its own livekit-server and agent):
//   npm run bench:media-agent -- [--callers 50|200|300] [--speakers N] [--window 20] [--warmup 10]
//                                [--subscribe one|all] [--agent <binary>]
// N callers join one conference through sip-gateway/media-agent; one UDP sender process plays
// the relay side for all of them (a 1 kHz PCMU tone every 20 ms from --speakers of them, default
// all; silence from the others) and counts what comes back; one @livekit/rtc-node listener
// publishes a 600 Hz tone and subscribes to caller 0 (or to every caller with --subscribe all).
// Reported over --window seconds after --warmup: CPU (share of one core, /proc/<pid>/stat) of
// the agent and of livekit-server, per caller; packets per caller and second back to the relay
// side, and loss; whether the browser hears a caller and the callers hear the browser.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Room, RoomEvent, TrackKind, type RemoteTrackPublication } from '@livekit/rtc-node';
import { listen, livekitToken, publishTone, remoteAudio } from '../tests/helpers/livekit.ts';
import {
  agentBinary,
  cpuTicks,
  every20ms,
  LivekitServer,
  MediaAgent,
  RelayLeg,
  sleep,
} from '../tests/helpers/media-agent.ts';

const { values: opt } = parseArgs({
  options: {
    callers: { type: 'string', default: '50' },
    speakers: { type: 'string' },
    window: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '10' },
    subscribe: { type: 'string', default: 'one' },
    agent: { type: 'string' },
    sender: { type: 'boolean', default: false },
  },
});

const KEYS = { apiKey: 'foyer-agent-bench', apiSecret: 'media-agent-bench-secret-0123456789abcdef' };
const ROOM = 'bench-room';

type FromParent =
  { type: 'targets'; ports: number[] } | { type: 'count' } | { type: 'measure'; index: number; ms: number };
type FromSender =
  | { type: 'ports'; ports: number[] }
  | { type: 'counts'; counts: number[]; sent: number[]; cpu: number }
  | { type: 'measured'; shares: Record<number, number>; frames: number };

// ---- the sender process: every caller's relay side ----
async function sender(n: number, speakers: number): Promise<void> {
  const legs: RelayLeg[] = [];
  for (let i = 0; i < n; i++) {
    const leg = await RelayLeg.open();
    leg.hz = i < speakers ? 1000 : 0;
    legs.push(leg);
  }
  const send = (m: FromSender) => process.send!(m);
  send({ type: 'ports', ports: legs.map((l) => l.port) });
  let stop: (() => void) | undefined;
  process.on('message', (m: FromParent) => {
    if (m.type === 'targets') {
      m.ports.forEach((p, i) => legs[i]!.target(p));
      stop ??= every20ms(() => {
        for (const l of legs) l.sendFrame();
      });
    } else if (m.type === 'count') {
      send({
        type: 'counts',
        counts: legs.map((l) => l.packets),
        sent: legs.map((l) => l.sent),
        cpu: cpuTicks(process.pid),
      });
    } else if (m.type === 'measure') {
      void legs[m.index]!.measure(m.ms, [600, 1000]).then((r) =>
        send({ type: 'measured', shares: r.shares, frames: r.frames }),
      );
    }
  });
  process.on('disconnect', () => {
    stop?.();
    for (const l of legs) l.close();
    process.exit(0);
  });
}

async function main(): Promise<void> {
  const n = Number(opt.callers);
  const speakers = opt.speakers === undefined ? n : Number(opt.speakers);
  const windowS = Number(opt.window);
  const warmupS = Number(opt.warmup);
  const cpu = cpus();
  console.log(
    `Foyer media-agent benchmark — ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`,
  );
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} (others may share the machine)`,
  );
  console.log(
    `${n} callers (${speakers} sending a tone), one conference, listener subscribes to ${opt.subscribe === 'all' ? 'every caller' : 'caller 0'}\n`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'foyer-bench-agent-'));
  const lk = new LivekitServer({ dir, port: 6790, tcpPort: 6791, udpPort: 6792, ...KEYS });
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const bin = opt.agent ?? agentBinary();
    await lk.start();
    cleanups.push(() => lk.stop());
    const agent = new MediaAgent(bin, join(dir, 'agent.log'));
    cleanups.push(() => agent.close());
    await agent.request('configure', {
      livekitUrl: lk.url,
      ...KEYS,
      agentId: 'bench',
    });

    const child = fork(import.meta.filename, ['--sender', '--callers', String(n), '--speakers', String(speakers)], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    cleanups.push(() => void child.kill());
    const fromChild = <T extends FromSender['type']>(type: T) =>
      new Promise<Extract<FromSender, { type: T }>>((resolve) => {
        const on = (m: FromSender) => {
          if (m.type !== type) return;
          child.off('message', on);
          resolve(m as Extract<FromSender, { type: T }>);
        };
        child.on('message', on);
      });
    const relayPorts = (await fromChild('ports')).ports;

    // The listener first, so the callers' tracks reach it as they are published.
    const listener = new Room();
    await listener.connect(lk.url, await livekitToken(KEYS, 'listener', ROOM), {
      autoSubscribe: opt.subscribe === 'all',
      dynacast: false,
    });
    cleanups.push(() => listener.disconnect());
    if (opt.subscribe !== 'all') {
      const sub = (pub: RemoteTrackPublication, p: { identity: string }) => {
        if (p.identity === 'phone-0' && pub.kind === TrackKind.KIND_AUDIO) pub.setSubscribed(true);
      };
      listener.on(RoomEvent.TrackPublished, sub);
    }
    const tone = await publishTone(listener, 600);
    cleanups.push(() => tone.stop());

    const t0 = Date.now();
    const agentPorts: number[] = [];
    const connected = new Set<string>();
    const failed: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await agent.request('join', {
        conference: ROOM,
        caller: String(i),
        identity: `phone-${i}`,
        name: `Caller ${i}`,
        rtpTo: { address: '127.0.0.1', port: relayPorts[i] },
      });
      agentPorts.push(res.port as number);
    }
    child.send({ type: 'targets', ports: agentPorts } satisfies FromParent);
    const deadline = Date.now() + 30_000 + n * 300;
    while (connected.size + failed.length < n && Date.now() < deadline) {
      for (const e of agent.events) {
        if (e.event === 'caller_connected') connected.add(e.caller as string);
        if (e.event === 'caller_failed' && !failed.includes(e.caller as string)) failed.push(e.caller as string);
      }
      await sleep(200);
    }
    console.log(
      `joined: ${connected.size} of ${n} connected in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${failed.length} failed`,
    );

    await sleep(warmupS * 1000);
    const lkPid = lk.pid!;
    const agentPid = agent.proc.pid!;
    const c1 = { agent: cpuTicks(agentPid), lk: cpuTicks(lkPid), t: Date.now() };
    child.send({ type: 'count' } satisfies FromParent);
    const k1 = await fromChild('counts');
    const p1 = k1.counts;
    const s1 = (await agent.request('stats')) as {
      callers: {
        caller: string;
        fromRelay: number;
        toLiveKit: number;
        lost: number;
        late: number;
        dropped: number;
        underruns: number;
      }[];
    };

    // during the window: the browser listens to caller 0, caller n-1 is measured on the relay side
    const heardTrack = remoteAudio(listener, 'phone-0', 10_000);
    const browserHeard = heardTrack.then((t) => listen(t, 1000, 3000, 10_000));
    child.send({ type: 'measure', index: n - 1, ms: 3000 } satisfies FromParent);
    const callerHeard = fromChild('measured');
    await sleep(windowS * 1000);

    const c2 = { agent: cpuTicks(agentPid), lk: cpuTicks(lkPid), t: Date.now() };
    child.send({ type: 'count' } satisfies FromParent);
    const k2 = await fromChild('counts');
    const p2 = k2.counts;
    const sentInWindow = k2.sent.reduce((x, y) => x + y, 0) - k1.sent.reduce((x, y) => x + y, 0);
    const s2 = (await agent.request('stats')) as typeof s1;
    const secs = (c2.t - c1.t) / 1000;
    const pct = (ticks: number) => (ticks / 100 / secs) * 100;
    const agentPct = pct(c2.agent - c1.agent);
    const lkPct = pct(c2.lk - c1.lk);
    const rates = p2.map((v, i) => (v - p1[i]!) / secs);
    rates.sort((x, y) => x - y);
    const mean = rates.reduce((s, x) => s + x, 0) / rates.length;
    const byCaller = new Map(s1.callers.map((c) => [c.caller, c]));
    let inFromRelay = 0;
    let jbLost = 0;
    let jbLate = 0;
    let jbDropped = 0;
    for (const c of s2.callers) {
      const b = byCaller.get(c.caller);
      if (!b) continue;
      inFromRelay += c.fromRelay - b.fromRelay;
      jbLost += c.lost - b.lost;
      jbLate += c.late - b.late;
      jbDropped += c.dropped - b.dropped;
    }
    const share = (x: number) => ((x / Math.max(1, inFromRelay)) * 100).toFixed(2);
    const heardB = await browserHeard.catch(() => undefined);
    const heardC = await callerHeard;

    console.log(
      `window ${secs.toFixed(1)} s after ${warmupS} s warm-up; load average now ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    console.log(`CPU (share of one core): agent ${agentPct.toFixed(1)} %, livekit-server ${lkPct.toFixed(1)} %`);
    console.log(
      `  per caller: agent ${(agentPct / n).toFixed(3)} %, livekit-server ${(lkPct / n).toFixed(3)} %, together ${((agentPct + lkPct) / n).toFixed(3)} %`,
    );
    console.log(
      `mix back to the relay side: ${mean.toFixed(1)} packets/s per caller (min ${rates[0]!.toFixed(1)}, p5 ${rates[Math.floor(rates.length * 0.05)]!.toFixed(1)}), loss ${(Math.max(0, 1 - mean / 50) * 100).toFixed(2)} %`,
    );
    console.log(
      `relay side → agent: sender kept ${((sentInWindow / (50 * secs * n)) * 100).toFixed(2)} % of the 20 ms schedule (its CPU ${pct(k2.cpu - k1.cpu).toFixed(0)} %), ${((inFromRelay / Math.max(1, sentInWindow)) * 100).toFixed(2)} % of what it sent arrived; jitter buffers: concealed ${share(jbLost)} %, late ${share(jbLate)} %, dropped (too deep) ${share(jbDropped)} %`,
    );
    console.log(
      `browser hears caller 0: ${heardB ? `${heardB.ms.toFixed(0)} ms of audio, RMS ${heardB.rms.toFixed(3)}, 1 kHz share ${heardB.toneShare.toFixed(2)}` : 'nothing'}`,
    );
    console.log(
      `caller ${n - 1} hears the browser: 600 Hz share ${heardC.shares[600]!.toFixed(2)}, 1 kHz share ${heardC.shares[1000]!.toFixed(2)} (${heardC.frames} frames in 3 s)`,
    );
  } finally {
    await cleanup();
  }
}

if (opt.sender) {
  void sender(Number(opt.callers), Number(opt.speakers ?? opt.callers));
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
