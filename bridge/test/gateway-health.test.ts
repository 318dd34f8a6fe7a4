// The bridge's view of the gateway's health without a stack: when it counts as down, what the
// watch does then and when it answers again (against a small HTTP server on loopback), and how
// the group manager resets and re-syncs rooms without undoing a newer report of the gateway.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type ConferenceReport, type ConferenceSnapshot } from '@foyer/common';
import { conferenceContent } from '../src/groups/conference-state.ts';
import { GatewayHealth, GatewayWatch, type ConferenceSync } from '../src/gateway-health.ts';
import { GroupManager } from '../src/groups/group-manager.ts';
import { Identities } from '../src/groups/identity.ts';
import type { MatrixApi } from '../src/matrix/api.ts';
import type { BridgeStore, ConferenceStatus, Group, Participant } from '../src/store/store.ts';

const log = createLogger('test', 'silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GatewayHealth', () => {
  it('down after N failed checks in a row, once; up at the first answer, once', () => {
    const h = new GatewayHealth(2);
    expect(h.state).toBe('unknown');
    expect(h.record(true)).toBe('up');
    expect(h.record(true)).toBeUndefined();
    expect(h.record(false)).toBeUndefined(); // one miss is not a dead gateway
    expect(h.record(true)).toBeUndefined();
    expect(h.record(false)).toBeUndefined();
    expect(h.record(false)).toBe('down');
    expect(h.state).toBe('down');
    expect(h.record(false)).toBeUndefined(); // reset once, not at every further miss
    expect(h.record(true)).toBe('up');
    expect(h.state).toBe('up');
  });

  it('a gateway that never answered since the bridge started counts as down too', () => {
    const h = new GatewayHealth(3);
    expect(h.record(false)).toBeUndefined();
    expect(h.record(false)).toBeUndefined();
    expect(h.record(false)).toBe('down');
  });

  it('refuses a limit below one', () => {
    expect(() => new GatewayHealth(0)).toThrow(RangeError);
    expect(() => new GatewayHealth(1.5)).toThrow(RangeError);
  });
});

describe('GatewayWatch', () => {
  let server: Server | undefined;
  let watch: GatewayWatch | undefined;
  afterEach(async () => {
    await watch?.stop();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  /** A stand-in gateway: /health, and its conference list behind the secret. */
  async function gateway(list: ConferenceSnapshot) {
    const seen: string[] = [];
    const s = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      if (req.url === '/health') return res.writeHead(503).end('{"status":"degraded"}'); // alive all the same
      if (req.url === '/internal/v1/conferences' && req.headers.authorization === 'Bearer s3cret')
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
      res.writeHead(401).end();
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    server = s;
    return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
  }

  function recorder(): ConferenceSync & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      resetConferences: async (o) => {
        calls.push(`reset since=${typeof o?.unlessReportedSince}`);
        return 0;
      },
      syncConferences: async (snap) => {
        calls.push(`sync ${snap.conferences.map((c) => c.roomId).join(',')}`);
      },
    };
  }

  it('syncs at the first answer, resets after the misses, syncs again when the gateway is back', async () => {
    const snapshot: ConferenceSnapshot = {
      conferences: [{ roomId: '!a', report: { status: 'idle', participants: [] } }],
    };
    const g = await gateway(snapshot);
    const conferences = recorder();
    watch = new GatewayWatch({
      gatewayUrl: g.url,
      secret: 's3cret',
      intervalMs: 1000,
      failuresBeforeDown: 2,
      conferences,
      log,
    });
    await watch.tick();
    expect(watch.state).toBe('up');
    expect(conferences.calls).toEqual(['sync !a']);
    expect(g.seen).toContain('GET /internal/v1/conferences Bearer s3cret');

    const port = new URL(g.url).port;
    await new Promise<void>((r) => server?.close(() => r()));
    server = undefined;
    await watch.tick();
    expect(watch.state).toBe('up');
    await watch.tick();
    expect(watch.state).toBe('down');
    expect(conferences.calls).toEqual(['sync !a', 'reset since=number']);
    await watch.tick();
    expect(conferences.calls).toHaveLength(2);

    // The gateway is back on the same address.
    const again = createServer((req, res) =>
      req.url === '/health'
        ? res.writeHead(200).end('{}')
        : res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ conferences: [] })),
    );
    await new Promise<void>((r) => again.listen(Number(port), '127.0.0.1', () => r()));
    server = again;
    await watch.tick();
    expect(watch.state).toBe('up');
    expect(conferences.calls).toEqual(['sync !a', 'reset since=number', 'sync ']);
  });

  it('running on its own, it declares a dead gateway down within failures × interval + timeout', async () => {
    const conferences = recorder();
    // Nothing listens on this port: every check fails at once.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    watch = new GatewayWatch({
      gatewayUrl: `http://127.0.0.1:${port}`,
      secret: 's3cret',
      intervalMs: 200,
      failuresBeforeDown: 3,
      conferences,
      log,
    });
    const started = Date.now();
    watch.start();
    while (watch.state !== 'down' && Date.now() - started < 5000) await sleep(20);
    expect(watch.state).toBe('down');
    // Checks at 0, 200, 400 ms: down after the third, well before 3 × 200 ms + 200 ms.
    expect(Date.now() - started).toBeLessThan(800 + 300);
    await sleep(50);
    expect(conferences.calls).toEqual(['reset since=number']);
  });
});

/** An in-memory store with just what conference reports touch. */
function fakeStore(rooms: string[]) {
  const groups = new Map<string, Group>(
    rooms.map((roomId) => [
      roomId,
      {
        roomId,
        name: null,
        guestAccess: true,
        pin: '1234567890',
        moderatorPin: null,
        linkToken: 'tok',
        conferenceStatus: 'idle' as ConferenceStatus,
        powerNoticeSent: false,
        encrypted: false,
      },
    ]),
  );
  const participants = new Map<string, Map<string, Participant>>(rooms.map((r) => [r, new Map()]));
  const store = {
    getGroup: async (roomId: string) => groups.get(roomId),
    setConferenceStatus: async (roomId: string, status: ConferenceStatus) => {
      const g = groups.get(roomId);
      if (g) g.conferenceStatus = status;
    },
    getParticipants: async (roomId: string) => [...(participants.get(roomId)?.values() ?? [])],
    upsertParticipant: async (roomId: string, p: Omit<Participant, 'removed'>) => {
      participants.get(roomId)?.set(p.participantId, { ...p, removed: false });
    },
    deleteParticipant: async (roomId: string, id: string) => {
      participants.get(roomId)?.delete(id);
    },
    roomsWithConference: async () =>
      [...groups.values()]
        .filter((g) => g.conferenceStatus !== 'idle' || (participants.get(g.roomId)?.size ?? 0) > 0)
        .map((g) => g.roomId),
    getFixedRoomByRoomId: async () => undefined,
  };
  return { store: store as unknown as BridgeStore, groups, participants };
}

function manager(rooms: string[]) {
  const { store, groups, participants } = fakeStore(rooms);
  const joined = new Set<string>();
  const states: { roomId: string; content: Record<string, unknown> }[] = [];
  const api = {
    registerVirtualUser: async () => undefined,
    setDisplayName: async () => undefined,
    invite: async () => undefined,
    join: async (roomId: string, as: string) => void joined.add(`${roomId} ${as}`),
    leave: async (roomId: string, as: string) => void joined.delete(`${roomId} ${as}`),
    sendState: async (roomId: string, _t: string, _k: string, content: Record<string, unknown>) => {
      states.push({ roomId, content });
      return '$e';
    },
  } as unknown as MatrixApi;
  const m = new GroupManager({
    api,
    store,
    ids: new Identities('@foyer:example.org', 'example.org'),
    gateway: { notify: () => undefined },
    log,
    dialInNumber: '+49 991 1234 166',
    webUrl: 'https://foyer.example',
    pinDigits: 10,
    maskCallerNumbers: true,
    deleteEmptyGroups: true,
    stateDelayMs: 1,
  });
  return { m, groups, participants, joined, states };
}

const caller = (id: string, waiting = false): ConferenceReport['participants'][number] => ({
  id,
  kind: 'phone',
  number: '+4930123456789',
  waiting,
});

describe('GroupManager: reset and re-sync', () => {
  it('a lost gateway: rooms go idle and virtual users leave, unless the gateway reported since', async () => {
    const { m, groups, joined } = manager(['!a', '!b']);
    await m.reportConference('!a', { status: 'running', participants: [caller('aaaa')] });
    await m.reportConference('!b', { status: 'waiting', participants: [caller('bbbb', true)] });
    expect(joined).toEqual(new Set(['!a @foyer_phone_aaaa:example.org', '!b @foyer_phone_bbbb:example.org']));
    await sleep(2); // the reports above are older than the moment the gateway is declared down
    const since = Date.now();
    await sleep(2);
    // A restarted gateway already reported on !b: that report stays.
    await m.reportConference('!b', { status: 'waiting', participants: [caller('cccc', true)] });
    expect(await m.resetConferences({ unlessReportedSince: since })).toBe(2);
    expect(groups.get('!a')?.conferenceStatus).toBe('idle');
    expect(groups.get('!b')?.conferenceStatus).toBe('waiting');
    expect(joined).toEqual(new Set(['!b @foyer_phone_cccc:example.org']));
  });

  it('re-sync takes over the gateway’s list and ends what it does not list', async () => {
    const { m, groups, joined, states } = manager(['!a', '!b', '!c']);
    await m.reportConference('!a', { status: 'running', participants: [caller('aaaa')] });
    await m.reportConference('!b', { status: 'running', participants: [caller('bbbb')] });
    const since = Date.now() + 1;
    await sleep(3);
    await m.syncConferences(
      {
        conferences: [
          {
            roomId: '!b',
            report: { status: 'on_hold', media: 'unavailable', participants: [caller('bbbb', true)] },
          },
          { roomId: '!c', report: { status: 'waiting', participants: [caller('dddd', true)] } },
          { roomId: '!gone', report: { status: 'waiting', participants: [] } }, // not a group: skipped
        ],
      },
      since,
    );
    expect(groups.get('!a')?.conferenceStatus).toBe('idle');
    expect(groups.get('!b')?.conferenceStatus).toBe('on_hold');
    expect(groups.get('!c')?.conferenceStatus).toBe('waiting');
    expect(joined).toEqual(new Set(['!b @foyer_phone_bbbb:example.org', '!c @foyer_phone_dddd:example.org']));
    await sleep(30);
    const last = (roomId: string) => states.filter((s) => s.roomId === roomId).at(-1)?.content;
    expect(last('!b')).toMatchObject({ status: 'on_hold', waiting: 1, media: 'unavailable' });
    expect(last('!a')).toMatchObject({ status: 'idle', waiting: 0 });
    expect(last('!a')?.media).toBeUndefined();
    // Media back: the field goes.
    await m.reportConference('!b', { status: 'running', participants: [caller('bbbb')] });
    await sleep(30);
    expect(last('!b')).toMatchObject({ status: 'running', waiting: 0 });
    expect(last('!b')?.media).toBeUndefined();
  });

  it('org.foyer.conference carries media only while unavailable and a conference is on', () => {
    const group: Group = {
      roomId: '!r',
      name: null,
      guestAccess: false,
      pin: null,
      moderatorPin: null,
      linkToken: null,
      conferenceStatus: 'on_hold',
      powerNoticeSent: false,
      encrypted: false,
    };
    const o = { dialInNumber: '+49 991 1234 166', webUrl: 'https://foyer.example' };
    expect(conferenceContent(group, [], o, undefined, true).media).toBe('unavailable');
    expect(conferenceContent(group, [], o, undefined, false).media).toBeUndefined();
    expect(conferenceContent({ ...group, conferenceStatus: 'idle' }, [], o, undefined, true).media).toBeUndefined();
  });
});
