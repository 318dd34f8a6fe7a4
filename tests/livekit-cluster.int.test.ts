// The whole stack with its media plane on two LiveKit nodes sharing a Redis, as
// `scripts/stack up --media cluster` runs it, in a folder and port base of its own (embedded
// databases): both nodes register in Redis, new rooms land on both, participants signalling
// through different nodes hear each other in one room; two groups' conferences (a guest page
// and a phone caller each) run on different nodes, and when the node of one is killed with
// SIGKILL its page and its caller are back on the other node within a stated bound while the
// other conference goes on undisturbed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dispose, type Room } from '@livekit/rtc-node';
import { RoomServiceClient, TrackSource } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerIdentity, livekitRoomOf, parseWebIdentity } from '@foyer/common/livekit';
import { stackLayout, tcpPorts, udpPorts } from '../scripts/lib/stack/layout.ts';
import { livekitNodes, livekitNodeUrl, redisCommand } from '../scripts/lib/stack/livekit.ts';
import { isAlive, logFile, portAnswers, udpFree } from '../scripts/lib/stack/proc.ts';
import { startTonePhone, type Baresip } from './helpers/baresip.ts';
import { consoleTail, openBrowser, type TestBrowser } from './helpers/browser.ts';
import { ConferenceClient, type StateMessage } from './helpers/conference.ts';
import { joinRoom, listen, publishTone, remoteAudio, TONE_AMPLITUDE } from './helpers/livekit.ts';
import {
  eventually,
  groupWithGuestAccess,
  guestLinkToken,
  metricValue,
  newUser,
  type TestUser,
} from './helpers/matrix.ts';
import { ROOT, runStack, type StackInfo } from './helpers/stack.ts';

// Below Linux's ephemeral range (from 32768) and apart from every other stack and port range of
// the tests (smoke stack 8000, test RTP 12000–17999, developer stack 18000, test stack 28000).
const env = {
  ...process.env,
  FOYER_STACK_DIR: join(ROOT, '.stack-test-cluster'),
  FOYER_PORT_BASE: process.env.FOYER_CLUSTER_PORT_BASE ?? '24000',
  FOYER_BOT_LOCALPART: undefined,
};
const l = stackLayout(env);
const [nodeA, nodeB] = livekitNodes(l, 'cluster');
if (!nodeA || !nodeB) throw new Error('two nodes expected');
let info: StackInfo;
const keys = () => ({ apiKey: info.livekit.apiKey, apiSecret: info.livekit.apiSecret });
const redis = (...args: string[]) => redisCommand(l.ports.redis, info.livekit.redis?.password ?? '', args);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long a conference whose node died may take to be back on the other node: the bound this suite states. */
const FAILOVER_BOUND_MS = 45_000;

/** The node ID a node's log gives at its latest start ("starting LiveKit server … nodeID"). */
const nodeIdOf = (service: string) =>
  [...readFileSync(logFile(l, service), 'utf8').matchAll(/"nodeID": "(ND_\w+)"/g)].at(-1)?.[1];

/** LiveKit's routing table in Redis: room name → the ID of the node that hosts it. */
async function roomNodes(): Promise<Map<string, string>> {
  const flat = (await redis('HGETALL', 'room_node_map')) as string[];
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i] ?? '', flat[i + 1] ?? '');
  return m;
}

describe('LiveKit cluster: two nodes on one Redis', () => {
  let rooms: RoomServiceClient;
  const opened: Room[] = [];

  beforeAll(async () => {
    await runStack(['reset'], env); // a run killed half-way
    const up = await runStack(['up', '--media', 'cluster'], env);
    if (up.code !== 0) throw new Error(`the cluster stack did not start:\n${up.stdout}\n${up.stderr}`);
    info = JSON.parse(readFileSync(l.stackJson, 'utf8')) as StackInfo;
    rooms = new RoomServiceClient(livekitNodeUrl(l, nodeA).replace(/^ws/, 'http'), keys().apiKey, keys().apiSecret);
  }, 240_000);

  afterAll(async () => {
    for (const r of opened) await r.disconnect().catch(() => undefined);
    await Promise.race([dispose(), sleep(10_000)]);
    await runStack(['reset'], env);
    const left: string[] = [];
    for (const p of tcpPorts(l)) if (await portAnswers(p)) left.push(String(p));
    for (const p of udpPorts(l)) if (!(await udpFree(p))) left.push(`${p}/udp`);
    expect(left, 'ports still in use after the cluster stack stopped').toEqual([]);
  }, 120_000);

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
    const alice = await joinRoom(livekitNodeUrl(l, nodeA), keys(), room, 'alice');
    opened.push(alice);
    const bob = await joinRoom(livekitNodeUrl(l, nodeB), keys(), room, 'bob');
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

  interface Group {
    name: string;
    roomId: string;
    lkRoom: string;
    toneHz: number;
    moderator: ConferenceClient;
    page: TestBrowser;
    phone: Baresip & { close(): Promise<void> };
    /** The caller's participant ID in the conference. */
    caller: string;
  }
  const groups: Group[] = [];
  let owner: TestUser;
  const phones = (s: StateMessage) => s.participants.filter((p) => p.kind === 'phone');

  /**
   * LiveKit's view of a group's room: the page publishing its microphone, the caller its track;
   * `since` (ms): only participants that joined after it (a room that moved to another node keeps
   * its participant list in Redis until they are back, so old entries prove nothing).
   */
  async function roomWorks(g: Group, since = 0): Promise<boolean> {
    const ps = (await rooms.listParticipants(g.lkRoom).catch(() => [])).filter(
      (p) => Number(p.joinedAtMs || p.joinedAt * 1000n) >= since,
    );
    const page = ps.some(
      (p) => parseWebIdentity(p.identity) !== undefined && p.tracks.some((t) => t.source === TrackSource.MICROPHONE),
    );
    const caller = ps.some((p) => p.identity === callerIdentity(g.caller, info.serverName) && p.tracks.length === 1);
    return page && caller;
  }

  /** A group with guest access, its moderator on the conference socket, a guest page, a caller. */
  async function conference(i: number, name: string, toneHz: number): Promise<Group> {
    const { roomId, pin } = await groupWithGuestAccess(info, owner, name);
    const joinToken = await guestLinkToken(info, owner, roomId);
    const moderator = await ConferenceClient.asMember(info, owner, roomId);
    moderator.send({ type: 'join' });
    await moderator.state((s) => s.status === 'running');
    const page = await openBrowser({ name: `cluster-${i}`, microphone: { speech: `Hier spricht Gast ${i + 1}.` } });
    await page.page.goto(`${info.webUrl}/join/${joinToken}`);
    await page.page.locator('#guest-name').fill(`Gast ${i + 1}`);
    await page.page.locator('button[data-action=join]').click();
    await page.page.locator('section[data-phase=conference]').waitFor({ timeout: 20_000 });
    const phone = await startTonePhone(`cluster${i}`, toneHz);
    await phone.dial(`sip:4999112341660@${info.sip.host}:${info.sip.port}`);
    await phone.waitFor('CALL_ESTABLISHED', 20_000);
    await phone.press(`${pin}#`);
    const s = await moderator.state((x) => phones(x).length === 1 && !phones(x)[0]?.waiting, 30_000);
    return { name, roomId, lkRoom: livekitRoomOf(roomId), toneHz, moderator, page, phone, caller: phones(s)[0]!.id };
  }

  afterAll(async () => {
    for (const g of groups) {
      await g.phone.close().catch(() => undefined);
      await g.page.close().catch(() => undefined);
      await g.moderator.close();
    }
  }, 60_000);

  it('two groups’ conferences run on different nodes, each with a guest page and a phone caller in its room', async () => {
    owner = await newUser(info, 'cluster');
    for (const [i, name] of ['Cluster Nord', 'Cluster Süd'].entries()) {
      const g = await conference(i, name, [440, 1000][i]!);
      groups.push(g);
      await eventually(async () => (await roomNodes()).has(g.lkRoom), `${name}: its room in LiveKit's routing table`);
      // Node load reaches Redis every 2 s: after a pause the next room goes to the node with fewer rooms.
      if (i === 0) await sleep(4000);
    }
    const map = await roomNodes();
    const [one, two] = groups.map((g) => map.get(g.lkRoom));
    expect(new Set([one, two])).toEqual(new Set([nodeIdOf('livekit'), nodeIdOf('livekit-2')]));
    for (const g of groups) await eventually(() => roomWorks(g), `${g.name}: page and caller in the room`, 30_000);
  }, 180_000);

  it(`SIGKILL of one conference's node: its page and caller are back on the other node within ${FAILOVER_BOUND_MS / 1000} s; the other conference goes on`, async () => {
    const nodeOfB = nodeIdOf('livekit-2');
    const map = await roomNodes();
    const victim = groups.find((g) => map.get(g.lkRoom) === nodeOfB);
    const other = groups.find((g) => g !== victim);
    if (!victim || !other) throw new Error('no conference on node B');
    const pid = Number(readFileSync(join(l.run, 'livekit-2.pid'), 'utf8'));
    const victimSince = victim.moderator.messages.length;
    const otherSince = other.moderator.messages.length;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await eventually(async () => !isAlive(pid), 'node B to die');

    // The caller notices when its connection to the dead node fails (ICE: about 15 s) and waits
    // on hold music until it is in the room again, now on node A, as is the page.
    await victim.moderator.stateSince(victimSince, (s) => phones(s)[0]?.waiting === true, FAILOVER_BOUND_MS);
    await eventually(
      async () => (await roomNodes()).get(victim.lkRoom) === nodeIdOf('livekit') && (await roomWorks(victim, killedAt)),
      `${victim.name}: back on node A with its page and caller`,
      FAILOVER_BOUND_MS - (Date.now() - killedAt),
    ).catch((err: Error) => {
      throw new Error(`${err.message}\npage:\n${consoleTail(victim.page)}`);
    });
    await victim.moderator.state((s) => phones(s)[0]?.waiting === false, FAILOVER_BOUND_MS - (Date.now() - killedAt));
    const backAfterS = (Date.now() - killedAt) / 1000;
    console.log(`failover: ${victim.name} back on node A ${backAfterS.toFixed(1)} s after the kill`);
    expect(backAfterS).toBeLessThan(FAILOVER_BOUND_MS / 1000);
    await victim.page.page.locator('section[data-phase=conference]').waitFor({ timeout: 10_000 });

    // The room hears the caller again (a stand-in listener on node A).
    const listener = await joinRoom(livekitNodeUrl(l, nodeA), keys(), victim.lkRoom, 'failover-listener');
    opened.push(listener);
    const track = await remoteAudio(listener, callerIdentity(victim.caller, info.serverName), 15_000);
    const heard = await listen(track, victim.toneHz, 1500, 20_000);
    expect(heard.toneShare, 'the caller heard in the room again').toBeGreaterThan(0.5);
    const metrics = await (
      await fetch(`${info.gatewayUrl}/metrics`, { headers: { authorization: `Bearer ${info.internalApiSecret}` } })
    ).text();
    expect(metricValue(metrics, 'foyer_gateway_media_agent', { what: 'legs_interrupted' })).toBeGreaterThanOrEqual(1);

    // The other conference never noticed: its caller never waited, page and caller still in.
    const otherStates = other.moderator.messages.slice(otherSince).filter((m): m is StateMessage => m.type === 'state');
    expect(otherStates.some((s) => phones(s).some((p) => p.waiting))).toBe(false);
    expect(await roomWorks(other)).toBe(true);
    expect((await roomNodes()).get(other.lkRoom)).toBe(nodeIdOf('livekit'));
  }, 120_000);

  it('node B, started again, registers in Redis', async () => {
    const start = await runStack(['start', 'livekit-2'], env);
    expect(start.code, start.stderr).toBe(0);
    await eventually(
      async () => ((await redis('HKEYS', 'nodes')) as string[]).includes(nodeIdOf('livekit-2') ?? '-'),
      'node B registered again',
    );
  });
});
