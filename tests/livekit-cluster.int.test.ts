// LiveKit over two nodes sharing a Redis, as `scripts/stack up --media cluster` runs it, started
// here through the stack's own module (scripts/lib/stack/livekit.ts) in a folder and port base
// of its own, without the rest of a stack: both nodes register in Redis, new rooms land on
// both, and participants signalling through different nodes hear each other in one room.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dispose, type Room } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackLayout, tcpPorts, udpPorts } from '../scripts/lib/stack/layout.ts';
import {
  livekitNodes,
  livekitNodeUrl,
  redisCommand,
  startLivekit,
  startRedis,
  type MediaState,
} from '../scripts/lib/stack/livekit.ts';
import { logFile, portAnswers, stopProcess, udpFree } from '../scripts/lib/stack/proc.ts';
import { newMediaSecrets } from '../scripts/lib/stack/state.ts';
import { joinRoom, listen, publishTone, remoteAudio, TONE_AMPLITUDE } from './helpers/livekit.ts';
import { ROOT } from './helpers/stack.ts';

// Below Linux's ephemeral range (from 32768) and apart from every other stack and port range of
// the tests (smoke stack 8000, test RTP 12000–17999, developer stack 18000, test stack 28000).
const l = stackLayout({
  FOYER_STACK_DIR: join(ROOT, '.stack-test-cluster'),
  FOYER_PORT_BASE: process.env.FOYER_CLUSTER_PORT_BASE ?? '24000',
});
const s: MediaState = { media: 'cluster', secrets: newMediaSecrets() };
const [nodeA, nodeB] = livekitNodes(l, 'cluster');
if (!nodeA || !nodeB) throw new Error('two nodes expected');
const keys = { apiKey: s.secrets.livekitKey, apiSecret: s.secrets.livekitSecret };
const redis = (...args: string[]) => redisCommand(l.ports.redis, s.secrets.redis, args);
const SERVICES = ['livekit-2', 'livekit', 'redis'];

/** The node ID a node's log gives at start ("starting LiveKit server … nodeID"). */
const nodeIdOf = (service: string) => /"nodeID": "(ND_\w+)"/.exec(readFileSync(logFile(l, service), 'utf8'))?.[1];

/** LiveKit's routing table in Redis: room name → the ID of the node that hosts it. */
async function roomNodes(): Promise<Map<string, string>> {
  const flat = (await redis('HGETALL', 'room_node_map')) as string[];
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i] ?? '', flat[i + 1] ?? '');
  return m;
}

describe('LiveKit cluster: two nodes on one Redis', () => {
  const rooms = new RoomServiceClient(livekitNodeUrl(l, nodeA).replace(/^ws/, 'http'), keys.apiKey, keys.apiSecret);
  const opened: Room[] = [];

  beforeAll(async () => {
    for (const name of SERVICES) await stopProcess(l, name); // a run killed half-way
    rmSync(l.dir, { recursive: true, force: true });
    await startRedis(l, s);
    await startLivekit(l, s, 'livekit');
    await startLivekit(l, s, 'livekit-2');
  }, 90_000);

  afterAll(async () => {
    for (const r of opened) await r.disconnect().catch(() => undefined);
    await dispose();
    for (const name of SERVICES) await stopProcess(l, name);
    const left: string[] = [];
    for (const p of tcpPorts(l)) if (await portAnswers(p)) left.push(String(p));
    for (const p of udpPorts(l)) if (!(await udpFree(p))) left.push(`${p}/udp`);
    rmSync(l.dir, { recursive: true, force: true });
    expect(left, 'ports still in use after the cluster stopped').toEqual([]);
  }, 60_000);

  it('both nodes register in the shared Redis, each with its own UDP port', async () => {
    const a = nodeIdOf('livekit');
    const b = nodeIdOf('livekit-2');
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(a).not.toBe(b);
    const deadline = Date.now() + 15_000;
    let registered: string[] = [];
    while (Date.now() < deadline) {
      registered = ((await redis('HKEYS', 'nodes')) as string[]).sort();
      if (registered.length === 2) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(registered).toEqual([a, b].sort());
    expect(await udpFree(nodeA.udpPort)).toBe(false);
    expect(await udpFree(nodeB.udpPort)).toBe(false);
  });

  it('places new rooms on both nodes (the one with fewer rooms first)', async () => {
    const ids = new Set([nodeIdOf('livekit'), nodeIdOf('livekit-2')]);
    const made: string[] = [];
    const seen = new Set<string>();
    try {
      // Node stats (room counts) reach Redis every 2 s: pause between creations.
      for (let i = 0; i < 4 && seen.size < 2; i++) {
        const name = `spread-${i}-${crypto.randomUUID()}`;
        await rooms.createRoom({ name, emptyTimeout: 120 });
        made.push(name);
        const node = (await roomNodes()).get(name);
        expect(ids.has(node), `room ${name} on ${node}`).toBe(true);
        seen.add(node ?? '');
        if (seen.size < 2) await new Promise((r) => setTimeout(r, 3000));
      }
      expect(seen.size).toBe(2);
    } finally {
      for (const name of made) await rooms.deleteRoom(name).catch(() => undefined);
    }
  }, 60_000);

  it('participants signalling through node A and node B share one room and hear each other', async () => {
    const room = `cross-${crypto.randomUUID()}`;
    const alice = await joinRoom(livekitNodeUrl(l, nodeA), keys, room, 'alice');
    opened.push(alice);
    const bob = await joinRoom(livekitNodeUrl(l, nodeB), keys, room, 'bob');
    opened.push(bob);
    const toneA = await publishTone(alice, 1000);
    const toneB = await publishTone(bob, 1500);
    try {
      const [fromAlice, fromBob] = await Promise.all([
        remoteAudio(bob, 'alice', 15_000),
        remoteAudio(alice, 'bob', 15_000),
      ]);
      const [heardByBob, heardByAlice] = await Promise.all([
        listen(fromAlice, 1000, 1500, 20_000),
        listen(fromBob, 1500, 1500, 20_000),
      ]);
      for (const h of [heardByBob, heardByAlice]) {
        expect(h.ms).toBeGreaterThanOrEqual(1400);
        expect(h.rms).toBeGreaterThan(TONE_AMPLITUDE / Math.SQRT2 / 3); // as in livekit.int.test.ts
        expect(h.toneShare).toBeGreaterThan(0.75);
      }
      // One room, hosted on one node, whichever node each participant signalled through.
      const host = (await roomNodes()).get(room);
      expect([nodeIdOf('livekit'), nodeIdOf('livekit-2')]).toContain(host);
      expect((await rooms.listParticipants(room)).map((p) => p.identity).sort()).toEqual(['alice', 'bob']);
    } finally {
      await toneA.stop();
      await toneB.stop();
      await alice.disconnect();
      await bob.disconnect();
      await rooms.deleteRoom(room).catch(() => undefined);
    }
  }, 90_000);
});
