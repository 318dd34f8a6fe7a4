// Fixed conference rooms without a stack: validation and normalisation, PIN rules and lookups
// against an in-memory store, the CLI's command line.
import { describe, expect, it } from 'vitest';
import { createLogger, type GatewayNotification } from '@foyer/common';
import { staffInviteeProblem } from '@foyer/config';
import { parseCommandLine, UsageError } from '../../scripts/lib/admin/args.ts';
import { conferenceContent } from '../src/groups/conference-state.ts';
import { Identities } from '../src/groups/identity.ts';
import { nonStaffInvitees, type GroupRooms } from '../src/groups/room-lifecycle.ts';
import { desiredPowerLevels, isUnlimitedCreator } from '../src/groups/power.ts';
import { FixedRoomError, FixedRooms, moderatorPinHash, type Actor } from '../src/rooms/fixed-rooms.ts';
import { createRoomSchema, describeError, normaliseExtension, updateRoomSchema } from '../src/rooms/validation.ts';
import type { BridgeStore, FixedRoom, FixedRoomFields, FixedRoomStore } from '../src/store/store.ts';

const BOT = '@foyer:example.org';
const actor: Actor = { who: 'admin api' };

const createError = (body: unknown) => {
  const r = createRoomSchema.safeParse(body);
  return r.success ? undefined : describeError(r.error);
};
const updateError = (body: unknown) => {
  const r = updateRoomSchema.safeParse(body);
  return r.success ? undefined : describeError(r.error);
};

describe('validation', () => {
  it('normalises extensions to digits', () => {
    expect(normaliseExtension('+49 991 1234 4711')).toBe('4999112344711');
    expect(normaliseExtension('(0991) 1234-4711')).toBe('099112344711');
    expect(normaliseExtension('4711')).toBe('4711');
  });

  it('accepts a minimal room and fills nothing it was not given', () => {
    const r = createRoomSchema.parse({ name: '  Vertrieb ', extension: ' 4711 ' });
    expect(r).toEqual({ name: 'Vertrieb', extension: '4711' });
    expect(createRoomSchema.parse({ name: 'x', extension: '4711', pin: null }).pin).toBeNull();
  });

  it('names the field in every refusal', () => {
    expect(createError({ extension: '4711' })).toBe('name: required');
    expect(createError({ name: 7, extension: '4711' })).toBe('name: expected a string');
    expect(createError({ name: '', extension: '4711' })).toBe('name: must not be empty');
    expect(createError({ name: 'x' })).toBe('extension: required');
    expect(createError({ name: 'x', extension: '47a1' })).toMatch(/^extension: expected digits/);
    expect(createError({ name: 'x', extension: '4' })).toBe('extension: expected 2 to 20 digits');
    expect(createError({ name: 'x', extension: '1'.repeat(21) })).toBe('extension: expected 2 to 20 digits');
    expect(createError({ name: 'x', extension: '4711', pin: '' })).toMatch(/^pin: 4 to 16 digits/);
    expect(createError({ name: 'x', extension: '4711', pin: '0123456' })).toMatch(/^pin: /);
    expect(createError({ name: 'x', extension: '4711', pin: 12345678 })).toMatch(/^pin: /);
    expect(createError({ name: 'x', extension: '4711', pin: '12345678', moderatorPin: '12345678' })).toBe(
      'moderatorPin: must differ from the PIN',
    );
    expect(createError({ name: 'x', extension: '4711', moderatorPin: '12345678', newModeratorPin: true })).toMatch(
      /^newModeratorPin: /,
    );
    expect(createError({ name: 'x', extension: '4711', maxParticipants: 1 })).toBe('maxParticipants: at least 2');
    expect(createError({ name: 'x', extension: '4711', maxParticipants: 2.5 })).toMatch(/^maxParticipants: /);
    expect(createError({ name: 'x', extension: '4711', startMuted: 'yes' })).toBe('startMuted: expected true or false');
    expect(createError({ name: 'x', extension: '4711', invite: ['alice'] })).toMatch(/^invite\.0: expected a Matrix/);
    expect(createError({ name: 'x', extension: '4711', colour: 'red' })).toBe('unknown field "colour"');
    expect(createError({ name: 'x', extension: '4711', holdMusic: { loud: true } })).toBe(
      'holdMusic: unknown field "loud"',
    );
  });

  it('hold-music files are plain names in the prompts folder, never paths', () => {
    const file = (f: unknown) => createError({ name: 'x', extension: '4711', holdMusic: { file: f } });
    expect(file('hold.ul')).toBeUndefined();
    expect(file('music-2_de.ul')).toBeUndefined();
    expect(file(null)).toBeUndefined();
    for (const bad of ['../hold.ul', '/etc/passwd', 'a/b.ul', 'a\\b.ul', '.hidden', 'a..b', '', 'x'.repeat(101)])
      expect(file(bad), bad).toMatch(/^holdMusic\.file: /);
  });

  it('updates: something to change, and PIN options that exclude each other', () => {
    expect(updateError({})).toBe('body: nothing to change');
    expect(updateError({ pin: '12345678', newPin: true })).toBe('newPin: give pin or newPin, not both');
    expect(updateError({ pin: null, newPin: true })).toBe('newPin: give pin or newPin, not both');
    expect(updateError({ newPin: false })).toMatch(/^newPin: /);
    expect(updateError({ pin: null })).toBeUndefined();
    expect(updateError({ holdMusic: { file: null } })).toBeUndefined();
  });
});

describe('rooms the bot creates (room version 12)', () => {
  const create = (version: string, sender = BOT, extra: string[] = []) => ({
    sender,
    content: { room_version: version, additional_creators: extra },
  });

  it('the creator has unlimited power from version 12 on', () => {
    expect(isUnlimitedCreator(create('12'), BOT)).toBe(true);
    expect(isUnlimitedCreator(create('11'), BOT)).toBe(false);
    expect(isUnlimitedCreator(create('12', '@anna:example.org'), BOT)).toBe(false);
    expect(isUnlimitedCreator(create('12', '@anna:example.org', [BOT]), BOT)).toBe(true);
    expect(isUnlimitedCreator(create('org.example.custom'), BOT)).toBe(false);
    expect(isUnlimitedCreator(undefined, BOT)).toBe(false);
  });

  it('an unlimited bot sets its own events to 100, not to infinity', () => {
    const wanted = desiredPowerLevels({ users: {}, events: {} }, BOT, Infinity);
    expect(wanted?.events).toEqual({
      'org.foyer.guest_access': 0,
      'org.matrix.msc3401.call.member': 0,
      'org.foyer.conference': 100,
    });
    expect(wanted?.users).toEqual({});
  });

  it('org.foyer.conference shows a fixed room’s own number and PIN', () => {
    const group = {
      roomId: '!r',
      name: 'Vertrieb',
      guestAccess: false,
      pin: null,
      moderatorPin: null,
      linkToken: null,
      conferenceStatus: 'idle' as const,
      powerNoticeSent: false,
      encrypted: false,
    };
    const o = { dialInNumber: '+49 991 1234 166', webUrl: 'https://foyer.example' };
    expect(conferenceContent(group, [], o, { number: '+49 991 1234 4711', pin: '1234567890' })).toEqual({
      guest_access: false,
      dial_in: { number: '+49 991 1234 4711', pin: '1234567890' },
      join_url: null,
      status: 'idle',
      waiting: 0,
      fixed_room: true,
    });
  });
});

class MemoryRooms implements FixedRoomStore {
  rooms = new Map<string, FixedRoom>();
  listFixedRooms = async () => [...this.rooms.values()];
  getFixedRoom = async (id: string) => this.rooms.get(id);
  getFixedRoomByExtension = async (ext: string) => [...this.rooms.values()].find((r) => r.extension === ext);
  getFixedRoomByRoomId = async (roomId: string) => [...this.rooms.values()].find((r) => r.roomId === roomId);
  insertFixedRoom = async (r: Omit<FixedRoom, 'createdAt' | 'updatedAt'>) => {
    if (await this.getFixedRoomByExtension(r.extension)) return 'duplicate' as const;
    const room = { ...r, createdAt: new Date(), updatedAt: new Date() };
    this.rooms.set(r.id, room);
    return room;
  };
  updateFixedRoom = async (id: string, patch: Partial<FixedRoomFields>) => {
    const r = this.rooms.get(id);
    if (!r) return undefined;
    const other = patch.extension && (await this.getFixedRoomByExtension(patch.extension));
    if (other && other.id !== id) return 'duplicate' as const;
    const next = { ...r, ...patch, updatedAt: new Date() };
    this.rooms.set(id, next);
    return next;
  };
  deleteFixedRoom = async (id: string) => this.rooms.delete(id);
  setFixedRoomMatrixRoom = async (id: string, roomId: string) => {
    const r = this.rooms.get(id);
    if (!r) return undefined;
    const next = { ...r, roomId, updatedAt: new Date() };
    this.rooms.set(id, next);
    return next;
  };
  /** Groups the bridge knows: every room it made, unless a test says one is lost. */
  lost = new Set<string>();
  getGroup = async (roomId: string) => (this.lost.has(roomId) ? undefined : { roomId });
}

function setup(alwaysInvite: string[] = []) {
  const store = new MemoryRooms();
  const invited: string[][] = [];
  const notes: GatewayNotification[] = [];
  const made: string[] = [];
  const deleted: string[] = [];
  const forgotten: string[] = [];
  let homeserverDown = false;
  let n = 0;
  const groups = {
    createGroupRoom: async (o: { invite: string[] }) => {
      invited.push(o.invite);
      made.push(`!room${++n}`);
      return `!room${n}`;
    },
    refreshConference: async () => true,
    renameRoom: async () => undefined,
    inviteStaff: async () => undefined,
    deleteGroupRoom: async (roomId: string) => void deleted.push(roomId),
    roomHealth: async (roomId: string) => {
      if (homeserverDown) throw new Error('connect ECONNREFUSED');
      return store.lost.has(roomId) ? 'missing' : 'ok';
    },
    forgetLostRoom: async (roomId: string) => void forgotten.push(roomId),
  } satisfies GroupRooms;
  const rooms = new FixedRooms({
    store: store as unknown as BridgeStore,
    groups,
    ids: new Identities(BOT, 'example.org'),
    gateway: { notify: (x) => void notes.push(x) },
    log: createLogger('test', 'fatal'),
    pinDigits: 10,
    lobbyNumber: '+49 991 1234 166',
    alwaysInvite,
  });
  const setHomeserverDown = (down: boolean) => (homeserverDown = down);
  return { store, rooms, notes, made, invited, deleted, forgotten, setHomeserverDown };
}

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (err instanceof FixedRoomError) return { status: err.status, message: err.message };
    throw err;
  }
  return undefined;
};

describe('fixed rooms', () => {
  it('a created room gets a CSPRNG PIN of bridge.pinDigits; the moderator PIN is kept only as a hash', async () => {
    const { rooms, store } = setup();
    const r = await rooms.create(
      createRoomSchema.parse({ name: 'Vertrieb', extension: '+49 991 4711', moderatorPin: '87654321' }),
      actor,
    );
    expect(r.pin).toMatch(/^[1-9][0-9]{9}$/);
    expect(r.moderatorPin).toBe('87654321');
    expect(r).toMatchObject({
      extension: '499914711',
      number: '+49 991 4711',
      pinRequired: true,
      hasModeratorPin: true,
    });
    const kept = store.rooms.get(r.id)!;
    expect(kept.moderatorPinHash).toBe(moderatorPinHash(r.id, '87654321'));
    expect(JSON.stringify(kept)).not.toContain('87654321');
    expect(Object.keys(await rooms.list().then((l) => l[0]!))).not.toContain('pin');
  });

  it('PIN lookups: participant, moderator, one answer for wrong PIN and unknown extension', async () => {
    const { rooms } = setup();
    const r = await rooms.create(
      createRoomSchema.parse({ name: 'x', extension: '4711', pin: '12345678', moderatorPin: '87654321' }),
      actor,
    );
    expect(await rooms.checkPin('4711', '12345678')).toEqual({ roomId: r.roomId, role: 'participant' });
    expect(await rooms.checkPin('47 11', '87654321')).toEqual({ roomId: r.roomId, role: 'moderator' });
    expect(await rooms.checkPin('4711', '12345679')).toBeUndefined();
    expect(await rooms.checkPin('4711', '')).toBeUndefined();
    expect(await rooms.checkPin('4712', '12345678')).toBeUndefined();
    expect(await rooms.checkPin('', '12345678')).toBeUndefined();
    expect(await rooms.lookupExtension('4711')).toMatchObject({ roomId: r.roomId, pinRequired: true });
    expect(await rooms.lookupExtension('4712')).toBeUndefined();
  });

  it('no PIN only when chosen; then anyone is a participant and the moderator PIN still counts', async () => {
    const { rooms } = setup();
    const r = await rooms.create(
      createRoomSchema.parse({ name: 'x', extension: '4711', pin: null, moderatorPin: '87654321' }),
      actor,
    );
    expect(r.pin).toBeNull();
    expect(await rooms.checkPin('4711', '')).toEqual({ roomId: r.roomId, role: 'participant' });
    expect(await rooms.checkPin('4711', '87654321')).toEqual({ roomId: r.roomId, role: 'moderator' });
  });

  it('extensions are unique and never the shared dial-in number', async () => {
    const { rooms, made } = setup();
    await rooms.create(createRoomSchema.parse({ name: 'a', extension: '4711' }), actor);
    expect(await refusal(rooms.create(createRoomSchema.parse({ name: 'b', extension: '47-11' }), actor))).toEqual({
      status: 409,
      message: expect.stringMatching(/^extension: 4711 is taken/) as string,
    });
    expect(
      await refusal(rooms.create(createRoomSchema.parse({ name: 'b', extension: '+49 991 1234 166' }), actor)),
    ).toMatchObject({ status: 409 });
    expect(made).toHaveLength(1); // no Matrix room for a refused create
    expect(
      await refusal(
        rooms.create(createRoomSchema.parse({ name: 'b', extension: '4712', invite: ['@x:other.org'] }), actor),
      ),
    ).toMatchObject({ status: 400, message: expect.stringMatching(/^invite: /) as string });
  });

  it('updates: a new PIN replaces the old, PINs stay different, the gateway hears of it', async () => {
    const { rooms, notes } = setup();
    const r = await rooms.create(
      createRoomSchema.parse({ name: 'x', extension: '4711', pin: '12345678', moderatorPin: '87654321' }),
      actor,
    );
    const u = await rooms.update(r.id, updateRoomSchema.parse({ newPin: true }), actor);
    expect(u.pin).toMatch(/^[1-9][0-9]{9}$/);
    expect(u).not.toHaveProperty('moderatorPin');
    expect(await rooms.checkPin('4711', '12345678')).toBeUndefined();
    expect(await rooms.checkPin('4711', u.pin!)).toMatchObject({ role: 'participant' });
    // The running conference gets the room's settings as its new policy.
    expect(notes).toContainEqual(
      expect.objectContaining({
        type: 'room.updated',
        roomId: r.roomId,
        extension: '4711',
        policy: expect.any(Object),
      }),
    );
    expect(await refusal(rooms.update('4711', updateRoomSchema.parse({ pin: '87654321' }), actor))).toEqual({
      status: 400,
      message: 'pin: must differ from the moderator PIN',
    });
    expect(await refusal(rooms.update('9999', updateRoomSchema.parse({ name: 'y' }), actor))).toMatchObject({
      status: 404,
    });
    const moved = await rooms.update(r.id, updateRoomSchema.parse({ extension: '+49 4712' }), actor);
    expect(moved).toMatchObject({ extension: '494712', number: '+49 4712' });
    expect(await rooms.lookupExtension('4711')).toBeUndefined();
  });

  it('deleting forgets the extension, tells the gateway and removes the Matrix room', async () => {
    const { rooms, notes, deleted } = setup();
    const r = await rooms.create(createRoomSchema.parse({ name: 'x', extension: '4711' }), actor);
    expect(await rooms.delete('4711', actor)).toEqual({ id: r.id, roomId: r.roomId, matrixRoomRemoved: true });
    expect(await rooms.lookupExtension('4711')).toBeUndefined();
    expect(notes).toContainEqual({ type: 'room.deleted', roomId: r.roomId, extension: '4711' });
    expect(deleted).toEqual([r.roomId]);
    expect(await refusal(rooms.delete(r.id, actor))).toMatchObject({ status: 404 });
  });
});

describe('one invitee check (fixed rooms here, bridge.fixedRooms.invite in the config)', () => {
  const ids = new Identities(BOT, 'example.org');
  const own = { serverName: 'example.org', botUserId: BOT };

  it('staff of our server only: not partners, not the bot, not virtual users', () => {
    expect(staffInviteeProblem('@anna:example.org', own)).toBeUndefined();
    expect(staffInviteeProblem('@eve:elsewhere.org', own)).toBe('not a user of example.org');
    expect(staffInviteeProblem('@eve:evil.example.org', own)).toBe('not a user of example.org');
    expect(staffInviteeProblem('anna', own)).toBe('not a user of example.org');
    expect(staffInviteeProblem(BOT, own)).toBe('the bot or one of its virtual users');
    expect(staffInviteeProblem('@foyer_guest_ab12:example.org', own)).toBe('the bot or one of its virtual users');
    expect(
      nonStaffInvitees(ids, ['@anna:example.org', '@eve:elsewhere.org', '@foyer_phone_x1:example.org', BOT]),
    ).toEqual(['@eve:elsewhere.org', '@foyer_phone_x1:example.org', BOT]);
  });

  it('a fixed room refuses them with the field named', async () => {
    const { rooms } = setup();
    await expect(
      rooms.create(createRoomSchema.parse({ name: 'a', extension: '4711', invite: [BOT] }), actor),
    ).rejects.toMatchObject({ status: 400, message: `invite: only staff of example.org can be invited (not ${BOT})` });
  });
});

describe('foyer-admin command line', () => {
  const usage = (argv: string[]) => {
    try {
      parseCommandLine(argv);
    } catch (err) {
      if (err instanceof UsageError) return err.message;
      throw err;
    }
    return undefined;
  };

  it('turns options into admin API bodies', () => {
    expect(
      parseCommandLine([
        'rooms',
        'create',
        '--name',
        'Vertrieb',
        '--extension',
        '4711',
        '--no-pin',
        '--new-moderator-pin',
        '--announce',
        '--no-hold-music',
        '--max-participants',
        '20',
        '--invite',
        '@a:example.org',
        '--invite',
        '@b:example.org',
        '--json',
        '--config',
        'x.yaml',
      ]),
    ).toEqual({
      config: 'x.yaml',
      url: undefined,
      json: true,
      command: {
        kind: 'create',
        body: {
          name: 'Vertrieb',
          extension: '4711',
          pin: null,
          newModeratorPin: true,
          announce: true,
          holdMusic: { enabled: false },
          maxParticipants: 20,
          invite: ['@a:example.org', '@b:example.org'],
        },
      },
    });
    expect(parseCommandLine(['rooms', 'update', '4711', '--new-pin', '--default-hold-music']).command).toEqual({
      kind: 'update',
      ref: '4711',
      body: { newPin: true, holdMusic: { file: null } },
    });
    expect(parseCommandLine(['rooms', 'delete', 'fr0123456789ab', '--yes']).command).toEqual({
      kind: 'delete',
      ref: 'fr0123456789ab',
    });
    expect(parseCommandLine(['rooms', 'repair', '4711', '--invite', '@a:x', '--invite', '@b:x']).command).toEqual({
      kind: 'repair',
      ref: '4711',
      body: { invite: ['@a:x', '@b:x'] },
    });
    expect(parseCommandLine(['rooms', 'repair', '4711']).command).toEqual({ kind: 'repair', ref: '4711', body: {} });
  });

  it('refuses mistakes with one clear line', () => {
    expect(usage([])).toMatch(/^missing command/);
    expect(usage(['groups', 'list'])).toMatch(/^unknown command "groups"/);
    expect(usage(['rooms'])).toMatch(/needs a command/);
    expect(usage(['rooms', 'create', '--name', 'x'])).toBe('"rooms create" needs --extension');
    expect(usage(['rooms', 'create', '--name', 'x', '--extension', '1', '--new-pin'])).toMatch(
      /^--new-pin is for update/,
    );
    expect(usage(['rooms', 'update', 'x', '--pin', '1', '--no-pin'])).toBe('--pin and --no-pin exclude each other');
    expect(usage(['rooms', 'update', 'x'])).toMatch(/needs something to change/);
    expect(usage(['rooms', 'update'])).toMatch(/needs the room's ID or extension/);
    expect(usage(['rooms', 'delete', 'x'])).toMatch(/confirm with --yes/);
    expect(usage(['rooms', 'repair', 'x', '--pin', '1'])).toBe(
      '--pin does not apply to "rooms repair" (only --invite)',
    );
    expect(usage(['rooms', 'repair'])).toMatch(/needs the room's ID or extension/);
    expect(usage(['rooms', 'list', '--name', 'x'])).toBe('--name does not apply to "rooms list"');
    expect(usage(['rooms', 'update', 'x', '--max-participants', 'ten'])).toMatch(/^--max-participants: expected/);
    expect(usage(['rooms', 'list', '--colour'])).toMatch(/colour/);
  });

  it('invites the configured staff to every new room, with the room’s own, each once', async () => {
    const { rooms, invited } = setup(['@empfang:example.org']);
    await rooms.create(
      createRoomSchema.parse({
        name: 'Vertrieb',
        extension: '4711',
        invite: ['@anna:example.org', '@empfang:example.org'],
      }),
      actor,
    );
    await rooms.create(createRoomSchema.parse({ name: 'Lager', extension: '4712' }), actor);
    expect(invited).toEqual([['@empfang:example.org', '@anna:example.org'], ['@empfang:example.org']]);
  });

  it('repair: a room whose Matrix room is gone gets a new one; one in order is left alone', async () => {
    const { rooms, store, notes, made, forgotten, setHomeserverDown } = setup();
    const r = await rooms.create(createRoomSchema.parse({ name: 'Vertrieb', extension: '4711' }), actor);
    const fine = await rooms.repair('4711', {}, actor);
    expect(fine).toMatchObject({ repaired: false, roomId: r.roomId, matrixRoom: 'ok' });
    expect(made).toHaveLength(1);

    store.lost.add(r.roomId);
    expect((await rooms.list())[0]?.matrixRoom).toBe('missing');
    expect(await refusal(rooms.repair('4711', { invite: ['@eve:elsewhere.org'] }, actor))).toMatchObject({
      status: 400,
    });
    setHomeserverDown(true);
    expect(await refusal(rooms.repair('4711', {}, actor))).toMatchObject({ status: 502 });
    setHomeserverDown(false);

    const fixed = await rooms.repair(r.id, { invite: ['@staff:example.org'] }, actor);
    expect(fixed).toMatchObject({ repaired: true, previousRoomId: r.roomId, matrixRoom: 'ok' });
    expect(fixed.roomId).not.toBe(r.roomId);
    expect(made).toHaveLength(2);
    expect(forgotten).toEqual([r.roomId]);
    // Extension, PIN and settings stay; the gateway forgets what it cached for the old room.
    const now = await rooms.find('4711');
    expect(now).toMatchObject({ roomId: fixed.roomId, extension: '4711', pin: store.rooms.get(r.id)?.pin });
    expect(notes).toContainEqual(
      expect.objectContaining({ type: 'room.updated', roomId: r.roomId, extension: '4711' }),
    );
    expect((await rooms.checkPin('4711', String(r.pin)))?.roomId).toBe(fixed.roomId);
  });
});
