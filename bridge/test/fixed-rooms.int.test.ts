// Fixed conference rooms against the real stack: created through scripts/foyer-admin and the
// admin API, backed by a Matrix room the bot created (read back as a foreign client would), and
// found by the gateway's lookups by extension and PIN.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Admission, AdmissionRequest, ConferencePolicy, FixedRoomChange } from '@foyer/common';
import {
  cs,
  enc,
  eventually,
  joinedMembers,
  login,
  newUser,
  stateOf,
  type TestUser,
} from '../../tests/helpers/matrix.ts';
import { adminApi } from '../../tests/helpers/admin.ts';
import { ROOT, testStack } from '../../tests/helpers/stack.ts';

const { info, config } = testStack();
const adminSecret = config.adminApi?.secret ?? '';

type RoomAnswer = FixedRoomChange;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(ROOT, 'scripts', 'foyer-admin'),
      [...args, '--config', info.configFile],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const admin = (method: string, path: string, body?: unknown, secret = adminSecret) =>
  adminApi(info, config, method, path, body, secret);

/** The bridge's admission answer, as the gateway asks for it. */
async function admit(
  body: AdmissionRequest,
  secret = info.internalApiSecret,
): Promise<{ status: number; body: Admission }> {
  const res = await fetch(`${info.bridgeApiUrl}/internal/v1/admit`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Admission };
}
/** Where a call to this number leads. */
const wayIn = async (dialled: string) => (await admit({ way: 'call', dialled })).body;
/** What a PIN typed for this extension (null: in the lobby) opens. */
const withPin = async (extension: string | null, pin: string) => (await admit({ way: 'pin', extension, pin })).body;
const LOBBY: Admission = { decision: 'ask-pin', extension: null, allowEmpty: false };
const WRONG: Admission = { decision: 'refuse', reason: 'wrong-pin' };

/** A random extension no other test run uses: 4 to 6 digits, not starting with 0. */
const newExtension = () => String(randomInt(1000, 999_999));

interface Conference {
  dial_in: { number: string; pin: string } | null;
  fixed_room?: boolean;
}

describe('fixed conference rooms', () => {
  let staff: TestUser;

  beforeAll(async () => {
    expect(adminSecret, 'the stack config has adminApi.secret').not.toBe('');
    staff = await newUser(info, 'staff');
  });

  it('created through the CLI: a Matrix room the bot made, staff invited, found by extension and PIN', async () => {
    const ext = newExtension();
    const number = `+49 991 ${ext}`;
    const r = await cli([
      'rooms',
      'create',
      '--name',
      'Vertrieb',
      '--extension',
      number,
      '--invite',
      staff.userId,
      '--new-moderator-pin',
      '--announce',
      '--max-participants',
      '12',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const room = JSON.parse(r.stdout) as RoomAnswer;
    const digits = `49991${ext}`;
    expect(room).toMatchObject({
      name: 'Vertrieb',
      extension: digits,
      number,
      pinRequired: true,
      hasModeratorPin: true,
      announce: true,
      holdMusic: { enabled: true, file: null },
      maxParticipants: 12,
      startMuted: false,
    });
    expect(room.pin).toMatch(/^[1-9][0-9]{11}$/); // bridge.pinDigits (default 12), from the CSPRNG
    expect(room.moderatorPin).toMatch(/^[1-9][0-9]{11}$/);
    expect(room.moderatorPin).not.toBe(room.pin);

    // The Matrix room: staff is invited and can join; the bot is in it and wrote its state.
    await cs(info, staff, 'POST', `/rooms/${enc(room.roomId)}/join`, {});
    const members = await joinedMembers(info, staff, room.roomId);
    expect(members).toEqual(expect.arrayContaining([info.botUserId, staff.userId]));
    const conf = await eventually(() => stateOf<Conference>(info, staff, room.roomId, 'org.foyer.conference'), 'state');
    expect(conf.dial_in).toEqual({ number, pin: room.pin });
    expect(conf.fixed_room).toBe(true);
    const bridgeEvent = await stateOf(info, staff, room.roomId, 'm.bridge', `org.foyer://conference/${room.roomId}`);
    expect(bridgeEvent).toMatchObject({ bridgebot: info.botUserId });
    expect(await stateOf(info, staff, room.roomId, 'im.vector.modular.widgets', 'foyer_conference')).toMatchObject({
      type: 'm.custom',
    });
    const name = await stateOf<{ name: string }>(info, staff, room.roomId, 'm.room.name');
    expect(name?.name).toBe('Vertrieb');

    // The bridge decides the way in: the extension (any formatting) asks for the room's PIN, which
    // lets in as participant (moderator with the moderator PIN) under the room's policy.
    const askPin: Admission = { decision: 'ask-pin', extension: digits, allowEmpty: false };
    expect(await wayIn(digits)).toEqual(askPin);
    expect(await wayIn(number)).toEqual(askPin);
    const policy: ConferencePolicy = {
      moderatorRequired: true,
      holdMusicWhenAlone: true,
      holdMusicFile: null,
      announceNames: true,
      startMuted: false,
      maxParticipants: 12,
    };
    expect(await withPin(digits, room.pin ?? '')).toEqual({
      decision: 'accept',
      roomId: room.roomId,
      role: 'participant',
      policy,
    });
    expect(await withPin(digits, room.moderatorPin ?? '')).toMatchObject({ roomId: room.roomId, role: 'moderator' });
    const wrong = await withPin(digits, '1111111111');
    const unknown = await withPin('98765432109876', room.pin ?? '');
    expect(wrong).toEqual(WRONG);
    expect(unknown).toEqual(wrong); // one answer: nothing learnt about which part was wrong
    expect(await wayIn('98765432109876')).toEqual(LOBBY);
    // The lobby's PIN check does not find a fixed room's PIN.
    expect(await withPin(null, room.pin ?? '')).toEqual(WRONG);

    // list and show, human-readable: never a PIN.
    const list = await cli(['rooms', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(room.id);
    expect(list.stdout).toContain(digits);
    expect(list.stdout).not.toContain(room.pin);
    const show = await cli(['rooms', 'show', number, '--json']);
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout) as RoomAnswer;
    expect(shown.id).toBe(room.id);
    expect(shown).not.toHaveProperty('pin');
    expect(show.stdout).not.toContain(room.pin);

    // The last member leaving does not delete a fixed room (callers need no staff).
    await cs(info, staff, 'POST', `/rooms/${enc(room.roomId)}/leave`, {});
    await new Promise((r) => setTimeout(r, 1500));
    const admin = await login(info, info.accounts.admin.userId, info.accounts.admin.password);
    const res = await fetch(`${info.homeserverUrl}/_synapse/admin/v1/rooms/${enc(room.roomId)}`, {
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    expect(res.status).toBe(200);
    expect((await res.json()) as { joined_members: number }).toMatchObject({ joined_members: 1 });
    expect(await wayIn(digits)).toMatchObject({ decision: 'ask-pin', extension: digits });

    // Deleting: the extension is unknown at once, the Matrix room goes.
    expect((await cli(['rooms', 'delete', room.id])).code).toBe(2); // needs --yes
    const del = await cli(['rooms', 'delete', room.id, '--yes']);
    expect(del.code).toBe(0);
    expect(del.stdout).toContain(`deleted fixed room ${room.id}`);
    expect(await wayIn(digits)).toEqual(LOBBY);
    expect(await withPin(digits, room.pin ?? '')).toEqual(WRONG);
    await eventually(async () => {
      const r2 = await fetch(`${info.homeserverUrl}/_synapse/admin/v1/rooms/${enc(room.roomId)}`, {
        headers: { authorization: `Bearer ${admin.accessToken}` },
      });
      return r2.status === 404 || ((await r2.json()) as { joined_members: number }).joined_members === 0;
    }, 'the Matrix room to be deleted');
    const gone = await cli(['rooms', 'show', room.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^foyer-admin: refused \(404\): no fixed room/);
  });

  it('repair: a room whose Matrix room was deleted outside Foyer gets a new one, with extension and PIN kept', async () => {
    const ext = newExtension();
    const created = await admin('POST', '/rooms', { name: 'Lager', extension: ext, invite: [staff.userId] });
    expect(created.status).toBe(201);
    const room = created.body as unknown as RoomAnswer;
    const fine = await cli(['rooms', 'repair', room.id]);
    expect(fine.code, fine.stderr).toBe(0);
    expect(fine.stdout).toContain('nothing to repair');

    // A server admin deletes the Matrix room with Synapse's own API, past Foyer.
    const serverAdmin = await login(info, info.accounts.admin.userId, info.accounts.admin.password);
    const del = await fetch(`${info.homeserverUrl}/_synapse/admin/v2/rooms/${enc(room.roomId)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${serverAdmin.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ purge: true }),
    });
    expect(del.status).toBe(200);
    // The bridge sees the bot removed: the listing says so, and calls still reach the room's PIN.
    const missing = await eventually(async () => {
      const r = await admin('GET', `/rooms/${room.id}`);
      return r.body.matrixRoom === 'missing' ? r : undefined;
    }, 'the room to show as missing');
    expect(missing.status).toBe(200);
    const list = await cli(['rooms', 'list']);
    expect(list.stdout).toMatch(/MISSING/);
    expect(await withPin(ext, room.pin ?? '')).toMatchObject({ decision: 'accept' });

    const repaired = await cli(['rooms', 'repair', ext, '--invite', staff.userId, '--json']);
    expect(repaired.code, repaired.stderr).toBe(0);
    const answer = JSON.parse(repaired.stdout) as RoomAnswer & { repaired: boolean; previousRoomId: string };
    expect(answer).toMatchObject({ repaired: true, previousRoomId: room.roomId, matrixRoom: 'ok', extension: ext });
    expect(answer.roomId).not.toBe(room.roomId);
    expect(repaired.stdout).not.toContain(room.pin ?? 'no pin');

    // The new room is a group like the first: staff invited, the room's own number and PIN shown,
    // and the gateway's lookups lead there.
    await cs(info, staff, 'POST', `/rooms/${enc(answer.roomId)}/join`, {});
    const conf = await eventually(
      () => stateOf<Conference>(info, staff, answer.roomId, 'org.foyer.conference'),
      'org.foyer.conference in the new room',
    );
    expect(conf).toMatchObject({ fixed_room: true, dial_in: { pin: room.pin } });
    expect(await withPin(ext, room.pin ?? '')).toMatchObject({ decision: 'accept', roomId: answer.roomId });
    expect((await admin('DELETE', `/rooms/${room.id}`)).status).toBe(200);
  });

  it('through the API: validation, duplicates, secrets, PIN changes, no PIN', async () => {
    const ext = newExtension();
    const created = await admin('POST', '/rooms', {
      name: 'Technik',
      extension: ext,
      pin: '12345678',
      moderatorPin: '87654321',
      startMuted: true,
      holdMusic: { enabled: false },
      invite: [staff.userId],
    });
    expect(created.status).toBe(201);
    const room = created.body as unknown as RoomAnswer;
    expect(room).toMatchObject({ extension: ext, pin: '12345678', moderatorPin: '87654321', startMuted: true });
    expect(room.holdMusic).toEqual({ enabled: false, file: null });

    // Validation: one clear line naming the field.
    const bad = async (body: unknown) => (await admin('POST', '/rooms', body)).body.message;
    expect(await bad({ extension: newExtension() })).toBe('name: required');
    expect(await bad({ name: 'x', extension: 'abc' })).toMatch(/^extension: expected digits/);
    expect(await bad({ name: 'x', extension: newExtension(), pin: '0123' })).toMatch(/^pin: /);
    expect(await bad({ name: 'x', extension: newExtension(), pin: '' })).toMatch(/^pin: /);
    expect(await bad({ name: 'x', extension: newExtension(), colour: 'red' })).toBe('unknown field "colour"');
    expect(
      await bad({ name: 'x', extension: newExtension(), holdMusic: { enabled: true, file: '../../etc/passwd' } }),
    ).toMatch(/^holdMusic\.file: /);
    expect(await bad({ name: 'x', extension: newExtension(), invite: ['@someone:elsewhere.example'] })).toMatch(
      /^invite: only staff/,
    );
    expect((await admin('POST', '/rooms', { name: 'x', extension: newExtension(), pin: 'abc' })).status).toBe(400);

    // Duplicate extension (any formatting), and the shared dial-in number, are refused.
    const dup = await admin('POST', '/rooms', { name: 'Zweite', extension: `${ext.slice(0, 2)} ${ext.slice(2)}` });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toMatch(/^extension: .* is taken/);
    expect((await admin('POST', '/rooms', { name: 'Lobby', extension: info.dialInNumber })).status).toBe(409);

    // Secrets: the admin API wants its own; the gateway's secret does not open it, nor vice versa.
    expect((await admin('GET', '/rooms', undefined, 'wrong-secret')).status).toBe(401);
    expect((await admin('GET', '/rooms', undefined, info.internalApiSecret)).status).toBe(401);
    expect((await admit({ way: 'call', dialled: ext }, adminSecret)).status).toBe(401);
    const noAuth = await fetch(`${info.bridgeApiUrl}/admin/v1/rooms`);
    expect(noAuth.status).toBe(401);

    // List and show: never a PIN.
    const list = await admin('GET', '/rooms');
    const rooms = list.body.rooms as RoomAnswer[];
    expect(rooms.map((r) => r.id)).toContain(room.id);
    expect(JSON.stringify(list.body)).not.toContain('12345678');
    expect((await admin('GET', `/rooms/${ext}`)).body).toMatchObject({ id: room.id, pinRequired: true });
    expect((await admin('GET', '/rooms/fr000000000000')).status).toBe(404);

    // A new PIN: the old one stops working at once; the room's state shows the new one.
    const renewed = await admin('PATCH', `/rooms/${room.id}`, { newPin: true });
    expect(renewed.status).toBe(200);
    const newPin = renewed.body.pin as string;
    expect(newPin).toMatch(/^[1-9][0-9]{11}$/);
    expect(renewed.body).not.toHaveProperty('moderatorPin');
    expect(await withPin(ext, '12345678')).toEqual(WRONG);
    expect(await withPin(ext, newPin)).toMatchObject({ decision: 'accept', roomId: room.roomId, role: 'participant' });
    await cs(info, staff, 'POST', `/rooms/${enc(room.roomId)}/join`, {});
    await eventually(
      async () =>
        (await stateOf<Conference>(info, staff, room.roomId, 'org.foyer.conference'))?.dial_in?.pin === newPin,
      'the new PIN in org.foyer.conference',
    );

    // PIN and moderator PIN must differ.
    const same = await admin('PATCH', `/rooms/${room.id}`, { pin: '87654321' });
    expect(same.status).toBe(400);
    expect(same.body.message).toBe('pin: must differ from the moderator PIN');

    // Through the CLI: a chosen PIN, shown once; other settings.
    const upd = await cli(['rooms', 'update', ext, '--pin', '55554444', '--announce', '--name', 'Technik 2']);
    expect(upd.stderr).toBe('');
    expect(upd.code).toBe(0);
    expect(upd.stdout).toContain('PIN: 55554444');
    expect(await withPin(ext, newPin)).toEqual(WRONG);
    expect(await withPin(ext, '55554444')).toMatchObject({ decision: 'accept', policy: { announceNames: true } });
    await eventually(
      async () => (await stateOf<{ name: string }>(info, staff, room.roomId, 'm.room.name'))?.name === 'Technik 2',
      'the new room name',
    );
    // An extension another room has: 409 through the CLI too (exit 1, one line).
    const other = await admin('POST', '/rooms', { name: 'Andere', extension: newExtension(), pin: null });
    expect(other.status).toBe(201);
    expect(other.body.pin).toBeNull();
    const clash = await cli(['rooms', 'update', room.id, '--extension', String(other.body.extension)]);
    expect(clash.code).toBe(1);
    expect(clash.stderr.trim().split('\n')).toHaveLength(1);
    expect(clash.stderr).toContain('refused (409)');

    // No PIN, explicitly: callers go straight in; the moderator PIN still makes a moderator.
    const open = await cli(['rooms', 'update', room.id, '--no-pin', '--json']);
    expect(open.code).toBe(0);
    expect(JSON.parse(open.stdout)).toMatchObject({ pin: null, pinRequired: false });
    // The bridge still asks for a PIN (the moderator PIN), but a lone # lets in.
    expect(await wayIn(ext)).toEqual({ decision: 'ask-pin', extension: ext, allowEmpty: true });
    expect(await withPin(ext, '')).toMatchObject({ decision: 'accept', roomId: room.roomId, role: 'participant' });
    expect(await withPin(ext, '87654321')).toMatchObject({
      decision: 'accept',
      roomId: room.roomId,
      role: 'moderator',
    });
    const other2 = await wayIn(String(other.body.extension));
    // Neither PIN nor moderator PIN: callers go straight in, no question asked.
    expect(other2).toMatchObject({ decision: 'accept', roomId: other.body.roomId, role: 'participant' });

    // Usage mistakes: exit 2 and a clear line.
    const usage = await cli(['rooms', 'update', room.id, '--pin', '1', '--new-pin']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--pin and --new-pin exclude each other');

    for (const id of [room.id, String(other.body.id)]) expect((await admin('DELETE', `/rooms/${id}`)).status).toBe(200);
    expect(await wayIn(ext)).toEqual(LOBBY);
    expect((await admin('DELETE', `/rooms/${room.id}`)).status).toBe(404);
  });
});
