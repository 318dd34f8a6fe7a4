// The group manager on small fakes (an in-memory store, a fake homeserver): a group's life from
// the bot's invitation to the room's deletion, guest mode and the gateway's questions, in
// milliseconds. The real thing is in groups.int.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type GatewayNotification } from '@foyer/common';
import type { RoomEvent } from '../src/appservice/events.ts';
import { ExpiredError, GroupManager, ResyncNeededError, UnknownGroupError } from '../src/groups/group-manager.ts';
import { Identities } from '../src/groups/identity.ts';
import { notices, roomTexts } from '../src/groups/notices.ts';
import { parseGroupEvent } from '../src/groups/room-events.ts';
import { FakeMatrix } from './fakes/fake-matrix.ts';
import { MemoryStore } from './fakes/memory-store.ts';

const BOT = '@foyer:example.org';
const ANNA = '@anna:example.org';
const BERND = '@bernd:example.org';
const PARTNER = '@pat:partner.example';
const ROOM = '!group';

let n = 0;
const event = (type: string, sender: string, content: Record<string, unknown>, stateKey?: string): RoomEvent => ({
  type,
  event_id: `$e${++n}`,
  room_id: ROOM,
  sender,
  origin_server_ts: Date.now(),
  content,
  ...(stateKey !== undefined ? { state_key: stateKey } : {}),
});
const member = (target: string, membership: string, sender = target) =>
  event('m.room.member', sender, { membership }, target);
const guestAccess = (sender: string, content: Record<string, unknown>) =>
  event('org.foyer.guest_access', sender, content, '');

const managers: GroupManager[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.stop();
});

function setup(o: { deleteEmptyGroups?: boolean } = {}) {
  const store = new MemoryStore();
  const api = new FakeMatrix(BOT);
  const notes: GatewayNotification[] = [];
  const m = new GroupManager({
    api,
    store,
    ids: new Identities(BOT, 'example.org'),
    gateway: { notify: (x) => void notes.push(x) },
    log: createLogger('test', 'fatal'),
    dialInNumber: '+49 991 1234 166',
    webUrl: 'https://foyer.example',
    pinDigits: 10,
    maskCallerNumbers: true,
    deleteEmptyGroups: o.deleteEmptyGroups ?? true,
    stateDelayMs: 1,
  });
  managers.push(m);
  api.addRoom(ROOM, ANNA, [
    { type: 'm.room.name', state_key: '', sender: ANNA, content: { name: 'Vertrieb' } },
    { type: 'm.room.power_levels', state_key: '', sender: ANNA, content: { users: { [ANNA]: 100, [BOT]: 100 } } },
  ]);
  /** Anna invites the bot and it joins: ROOM is a group. */
  const joined = async () => {
    await m.handle(member(BOT, 'invite', ANNA));
    expect(await store.getGroup(ROOM)).toBeDefined();
  };
  return { store, api, notes, m, joined };
}

describe('GroupManager on fakes: the room', () => {
  it('joins on a local user’s invitation and writes its state', async () => {
    const { store, api, joined } = setup();
    await joined();
    expect(api.membershipOf(ROOM, BOT)).toBe('join');
    expect((await store.getGroup(ROOM))?.name).toBe('Vertrieb');
    expect((await store.getMembers(ROOM)).map((x) => x.userId).sort()).toEqual([ANNA, BOT].sort());
    expect(api.stateOf(ROOM, 'm.bridge', `org.foyer://conference/${ROOM}`)).toMatchObject({ bridgebot: BOT });
    expect(api.stateOf(ROOM, 'im.vector.modular.widgets', 'foyer_conference')).toMatchObject({
      name: roomTexts.widgetName,
    });
    expect(api.stateOf(ROOM, 'org.foyer.conference')).toMatchObject({ guest_access: false, status: 'idle' });
    expect(api.stateOf(ROOM, 'm.room.power_levels')).toMatchObject({ events: { 'org.foyer.guest_access': 0 } });
  });

  it('declines an invitation from another server', async () => {
    const { store, api, m } = setup();
    await m.handle(member(BOT, 'invite', PARTNER));
    expect(await store.getGroup(ROOM)).toBeUndefined();
    expect(api.calls).toContain(`leave ${ROOM} ${BOT}`);
    expect(api.calls).not.toContain(`join ${ROOM} ${BOT}`);
  });

  it('says once that it needs power, and writes its state when given it', async () => {
    const { store, api, m } = setup();
    api.addRoom(ROOM, ANNA, [
      { type: 'm.room.power_levels', state_key: '', sender: ANNA, content: { users: { [ANNA]: 100 } } },
    ]);
    await m.handle(member(BOT, 'invite', ANNA));
    await m.handle(event('m.room.power_levels', ANNA, { users: { [ANNA]: 100 } }, ''));
    expect(api.noticesIn(ROOM)).toEqual([notices.needPower(BOT, 100)]);
    expect((await store.getGroup(ROOM))?.powerNoticeSent).toBe(true);
    await api.sendState(ROOM, 'm.room.power_levels', '', { users: { [ANNA]: 100, [BOT]: 100 } });
    await m.handle(event('m.room.power_levels', ANNA, { users: { [ANNA]: 100, [BOT]: 100 } }, ''));
    expect(api.stateOf(ROOM, 'org.foyer.conference')).toBeDefined();
    expect((await store.getGroup(ROOM))?.powerNoticeSent).toBe(false);
  });

  it('follows names and members, and tells the gateway who moderates', async () => {
    const { store, notes, m, joined } = setup();
    await joined();
    await m.handle(event('m.room.name', ANNA, { name: 'x'.repeat(300) }, ''));
    expect((await store.getGroup(ROOM))?.name).toHaveLength(255);
    await m.handle(event('m.room.name', ANNA, { name: '' }, ''));
    expect((await store.getGroup(ROOM))?.name).toBeNull();
    await m.handle(member(BERND, 'join'));
    await m.handle(member(PARTNER, 'join'));
    expect(notes.filter((x) => x.type === 'group.moderators').at(-1)).toEqual({
      type: 'group.moderators',
      roomId: ROOM,
      moderators: [ANNA, BERND],
    });
  });

  it('deletes a group whose last person left, but keeps a fixed room', async () => {
    const { store, api, notes, m, joined } = setup();
    await joined();
    await m.handle(member(PARTNER, 'join'));
    await m.handle(member(ANNA, 'leave'));
    expect(api.deleted).toEqual([]);
    await m.handle(member(PARTNER, 'leave'));
    expect(api.deleted).toEqual([{ roomId: ROOM, message: roomTexts.groupEmpty }]);
    expect(await store.getGroup(ROOM)).toBeUndefined();
    expect(notes.at(-1)).toEqual({ type: 'group.deleted', roomId: ROOM });

    const fixed = setup();
    await fixed.joined();
    await fixed.store.insertFixedRoom({
      id: 'fr000000000001',
      roomId: ROOM,
      name: 'Team',
      extension: '4711',
      number: '4711',
      pin: null,
      moderatorPinHash: null,
      announce: false,
      holdMusic: true,
      holdMusicFile: null,
      maxParticipants: null,
      startMuted: false,
    });
    await fixed.m.handle(member(ANNA, 'leave'));
    expect(fixed.api.deleted).toEqual([]);
    expect(await fixed.store.getGroup(ROOM)).toBeDefined();
  });

  it('leaves instead of deleting when deletion is off; forgets a group the bot was kicked from', async () => {
    const a = setup({ deleteEmptyGroups: false });
    await a.joined();
    await a.m.handle(member(ANNA, 'leave'));
    expect(a.api.deleted).toEqual([]);
    expect(a.api.membershipOf(ROOM, BOT)).toBe('leave');

    const b = setup();
    await b.joined();
    await b.m.handle(member(BOT, 'leave', ANNA));
    expect(await b.store.getGroup(ROOM)).toBeUndefined();
    expect(b.notes.at(-1)).toEqual({ type: 'group.deleted', roomId: ROOM });
  });
});

describe('GroupManager on fakes: guest mode', () => {
  it('turns guest access on, adds a moderator PIN, answers lookups, and turns it off', async () => {
    const { store, api, notes, m, joined } = setup();
    await joined();
    await m.handle(guestAccess(ANNA, { enabled: true }));
    const group = await store.getGroup(ROOM);
    expect(group?.guestAccess).toBe(true);
    expect(api.noticesIn(ROOM)).toEqual([notices.guestAccessOn()]);
    expect(api.stateOf(ROOM, 'org.foyer.conference')).toMatchObject({
      guest_access: true,
      dial_in: { number: '+49 991 1234 166', pin: group?.pin },
      join_url: `https://foyer.example/join/${group?.linkToken}`,
    });
    expect(await m.lookupPin(group?.pin ?? '')).toMatchObject({
      roomId: ROOM,
      role: 'participant',
      moderators: [ANNA],
    });
    expect(await m.lookupToken(group?.linkToken ?? '')).toMatchObject({ roomId: ROOM, name: 'Vertrieb' });

    await m.handle(guestAccess(ANNA, { enabled: true, moderator_pin: true }));
    const withPin = await store.getGroup(ROOM);
    expect(withPin?.pin).toBe(group?.pin); // only the moderator PIN changed
    expect(api.noticesIn(ROOM).at(-1)).toBe(notices.moderatorPinOn());
    expect(await m.lookupPin(withPin?.moderatorPin ?? '')).toMatchObject({ role: 'moderator' });
    expect(api.stateOf(ROOM, 'org.foyer.conference')).toMatchObject({ moderator_pin: true });

    await m.handle(guestAccess(ANNA, { enabled: true, regenerate: true }));
    const rotated = await store.getGroup(ROOM);
    expect(rotated?.pin).not.toBe(group?.pin);
    expect(rotated?.moderatorPin).not.toBeNull();
    expect(api.noticesIn(ROOM).at(-1)).toBe(notices.guestAccessRotated());
    expect(notes).toContainEqual({ type: 'group.revoked', roomId: ROOM });
    expect(await m.lookupPin(group?.pin ?? '')).toBeUndefined();

    await m.handle(guestAccess(ANNA, { enabled: false }));
    expect(api.noticesIn(ROOM).at(-1)).toBe(notices.guestAccessOff());
    expect(await m.lookupPin(rotated?.pin ?? '')).toBeUndefined();
    expect(await m.lookupToken(rotated?.linkToken ?? '')).toBeUndefined();
    expect(api.stateOf(ROOM, 'org.foyer.conference')).toMatchObject({ guest_access: false, dial_in: null });
  });

  it('refuses requests from partners, non-members and of the wrong shape, saying why', async () => {
    const { store, api, m, joined } = setup();
    await joined();
    await m.handle(member(PARTNER, 'join'));
    await m.handle(guestAccess(PARTNER, { enabled: true }));
    await m.handle(guestAccess(BERND, { enabled: true }));
    await m.handle(guestAccess(ANNA, { enabled: 'yes' }));
    expect(api.noticesIn(ROOM)).toEqual([
      notices.guestAccessFederated(PARTNER, 'example.org'),
      notices.guestAccessNotMember(BERND),
      notices.guestAccessInvalid('"enabled" must be true or false'),
    ]);
    expect((await store.getGroup(ROOM))?.guestAccess).toBe(false);
  });

  it('honours a request made before the bot joined', async () => {
    const { store, api, m } = setup();
    await api.sendState(ROOM, 'org.foyer.guest_access', '', { enabled: true });
    api.rooms.get(ROOM)?.state.forEach((e) => {
      if (e.type === 'org.foyer.guest_access') e.sender = ANNA;
    });
    await m.handle(member(BOT, 'invite', ANNA));
    expect((await store.getGroup(ROOM))?.guestAccess).toBe(true);
  });
});

describe('GroupManager on fakes: the gateway’s side', () => {
  it('joins callers’ virtual users, ends a kicked caller’s session, and lets them go', async () => {
    const { store, api, notes, m, joined } = setup();
    await joined();
    await m.handle(guestAccess(ANNA, { enabled: true }));
    const caller = '@foyer_phone_c1:example.org';
    await m.reportConference(ROOM, {
      status: 'running',
      participants: [{ id: 'c1', kind: 'phone', number: '+4930123456789', waiting: false }],
    });
    await m.presenceIdle();
    expect(api.membershipOf(ROOM, caller)).toBe('join');
    expect(api.displayNames.get(caller)).toBe('+49 301 •••• 789 (Telefon)');
    // What a caller costs the homeserver: register, invite, and the join naming them — no more.
    expect(api.calls.filter((c) => c.includes('foyer_phone_c1'))).toEqual([
      'register foyer_phone_c1',
      `invite ${ROOM} ${caller}`,
      `join ${ROOM} ${caller}`,
    ]);
    expect(await m.senderFor(ROOM, 'c1')).toBe(caller);

    await m.handle(member(caller, 'leave', ANNA));
    expect(notes).toContainEqual({ type: 'participant.removed', roomId: ROOM, participantId: 'c1', by: ANNA });
    expect(await m.senderFor(ROOM, 'c1')).toBeUndefined();

    await m.reportConference(ROOM, { status: 'idle', participants: [] });
    expect(await store.getParticipants(ROOM)).toEqual([]);
    expect((await store.getGroup(ROOM))?.conferenceStatus).toBe('idle');
  });

  it('relays room chat to web guests only while some are in the conference', async () => {
    const { notes, m, joined } = setup();
    await joined();
    await m.handle(event('m.room.message', ANNA, { msgtype: 'm.text', body: 'hallo' }));
    expect(notes.filter((x) => x.type === 'chat.message')).toEqual([]);
    await m.reportConference(ROOM, {
      status: 'waiting',
      participants: [{ id: 'g1', kind: 'guest', name: 'Eva', waiting: true }],
    });
    await m.handle(event('m.room.message', ANNA, { msgtype: 'm.text', body: 'hallo' }));
    await m.handle(event('m.room.redaction', ANNA, { redacts: '$old' }));
    expect(notes.filter((x) => x.type === 'chat.message')).toHaveLength(1);
    expect(notes).toContainEqual({ type: 'chat.redaction', roomId: ROOM, redacts: '$old' });
  });

  it('applies changes that follow the last report, writes only what changed, and asks for the whole after a gap', async () => {
    const { store, api, m, joined } = setup();
    await joined();
    await m.handle(guestAccess(ANNA, { enabled: true }));
    const writes: string[] = [];
    const upsert = store.upsertParticipant.bind(store);
    store.upsertParticipant = async (roomId, p) => {
      writes.push(p.participantId);
      return upsert(roomId, p);
    };
    const phone = (id: string, waiting = true) => ({ id, kind: 'phone' as const, number: '+4930123456789', waiting });
    await m.reportConference(ROOM, { seq: 1, status: 'waiting', participants: [phone('c1'), phone('c2')] });
    expect(writes).toEqual(['c1', 'c2']);
    // The same list again writes nothing.
    await m.reportConference(ROOM, { seq: 2, status: 'waiting', participants: [phone('c1'), phone('c2')] });
    expect(writes).toEqual(['c1', 'c2']);

    await m.reportChanges(ROOM, {
      seq: 3,
      since: 2,
      status: 'running',
      joined: [phone('c3', false)],
      changed: [phone('c1', false)],
      left: ['c2'],
    });
    expect(writes).toEqual(['c1', 'c2', 'c3', 'c1']);
    expect((await store.getParticipants(ROOM)).map((p) => [p.participantId, p.waiting])).toEqual([
      ['c1', false],
      ['c3', false],
    ]);
    expect((await store.getGroup(ROOM))?.conferenceStatus).toBe('running');
    await m.presenceIdle();
    expect(api.membershipOf(ROOM, '@foyer_phone_c2:example.org')).toBe('leave');
    expect(api.membershipOf(ROOM, '@foyer_phone_c3:example.org')).toBe('join');

    // A report went missing (since 4, the bridge has 3): nothing applied, the whole is asked for.
    await expect(
      m.reportChanges(ROOM, { seq: 5, since: 4, status: 'idle', joined: [], changed: [], left: ['c1', 'c3'] }),
    ).rejects.toBeInstanceOf(ResyncNeededError);
    expect(await store.getParticipants(ROOM)).toHaveLength(2);
    // After a re-sync snapshot (no number) changes cannot follow either, until a whole report.
    const since = Date.now() + 1000; // (no direct report came after the bridge lost the gateway)
    await m.syncConferences(
      { conferences: [{ roomId: ROOM, report: { status: 'running', participants: [] } }] },
      since,
    );
    await expect(
      m.reportChanges(ROOM, { seq: 6, since: 3, status: 'idle', joined: [], changed: [], left: [] }),
    ).rejects.toBeInstanceOf(ResyncNeededError);
  });

  it('gives up a report whose sender stopped waiting before the room got to it', async () => {
    const { store, m, joined } = setup();
    await joined();
    await expect(
      m.reportConference(
        ROOM,
        { seq: 1, status: 'running', participants: [{ id: 'c1', kind: 'phone', number: null, waiting: false }] },
        Date.now() - 1,
      ),
    ).rejects.toBeInstanceOf(ExpiredError);
    expect(await store.getParticipants(ROOM)).toEqual([]);
    // The gateway's next report starts from what was confirmed (nothing): a whole one applies.
    await m.reportConference(ROOM, { seq: 2, status: 'running', participants: [] }, Date.now() + 10_000);
    expect((await store.getGroup(ROOM))?.conferenceStatus).toBe('running');
  });

  it('knows no unknown room', async () => {
    const { m } = setup();
    expect(await m.groupInfo('!nothing')).toBeUndefined();
    await expect(m.reportConference('!nothing', { status: 'idle', participants: [] })).rejects.toBeInstanceOf(
      UnknownGroupError,
    );
  });
});

describe('room events at the edge', () => {
  it('types what the manager acts on and leaves the rest as other', () => {
    expect(parseGroupEvent(member(ANNA, 'join'))).toMatchObject({ kind: 'member', target: ANNA, membership: 'join' });
    expect(parseGroupEvent(event('m.room.member', ANNA, { membership: 'dance' }, ANNA))).toMatchObject({
      kind: 'malformed_member',
    });
    expect(parseGroupEvent(event('m.room.name', ANNA, { name: 7 }, ''))).toMatchObject({ kind: 'name', name: null });
    expect(parseGroupEvent(event('m.room.name', ANNA, { name: 'x' }, 'other'))).toMatchObject({ kind: 'other' });
    expect(parseGroupEvent(guestAccess(ANNA, { enabled: true }))).toMatchObject({ kind: 'guest_access' });
    expect(parseGroupEvent({ ...event('m.room.redaction', ANNA, {}), redacts: '$a' })).toMatchObject({
      kind: 'redaction',
      redacts: '$a',
    });
    expect(parseGroupEvent(event('m.room.redaction', ANNA, {}))).toMatchObject({ kind: 'other' });
    expect(parseGroupEvent(event('m.reaction', ANNA, {}))).toMatchObject({ kind: 'other', type: 'm.reaction' });
  });
});
