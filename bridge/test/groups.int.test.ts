// Groups against the real Synapse, Postgres and gateway of the test stack: the Matrix contract
// of the brief, read back as a foreign client would (plain room state and timeline).
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { BridgeClient } from '../../sip-gateway/src/bridge-client.ts';
import {
  cs,
  enc,
  eventually,
  joinedMembers,
  login,
  metricValue,
  newUser,
  stateOf,
  timeline,
  type TestUser,
} from '../../tests/helpers/matrix.ts';
import { runStack, testStack } from '../../tests/helpers/stack.ts';

const { info, registration, env } = testStack();
const gatewayLookup = new BridgeClient(info.bridgeApiUrl, info.internalApiSecret);

/** What the gateway learns from a typed PIN (the bridge's admission answer): group and role, or nothing. */
async function lookupPin(pin: string) {
  const a = await gatewayLookup.admit({ way: 'pin', extension: null, pin });
  return a.decision === 'accept' && a.group ? { ...a.group, role: a.role } : undefined;
}
/** What a guest link opens. */
async function lookupToken(token: string) {
  const a = await gatewayLookup.admit({ way: 'link', token });
  return a.decision === 'accept' ? a.group : undefined;
}
/** The group as a member's page is told it. */
async function groupInfo(roomId: string, member: TestUser) {
  const a = await gatewayLookup.admit({ way: 'member', roomId, userId: member.userId });
  return a.decision === 'accept' ? a.group : undefined;
}

interface Conference {
  guest_access: boolean;
  dial_in: { number: string; pin: string } | null;
  join_url: string | null;
  status: string;
  waiting: number;
  moderator_pin?: boolean;
}

const conference = (user: TestUser, roomId: string) => stateOf<Conference>(info, user, roomId, 'org.foyer.conference');

async function newGroup(
  owner: TestUser,
  opts: { botPower?: number; name?: string; invite?: string[] } = {},
): Promise<string> {
  // Room version 12: the creator has unlimited power and must not be listed in `users`.
  const users: Record<string, number> = {};
  if (opts.botPower !== undefined) users[info.botUserId] = opts.botPower;
  const { room_id: roomId } = await cs<{ room_id: string }>(info, owner, 'POST', '/createRoom', {
    name: opts.name ?? 'Support',
    preset: 'private_chat',
    invite: opts.invite ?? [],
    power_level_content_override: { users },
  });
  await cs(info, owner, 'POST', `/rooms/${enc(roomId)}/invite`, { user_id: info.botUserId });
  await eventually(async () => (await joinedMembers(info, owner, roomId)).includes(info.botUserId), 'the bot to join');
  return roomId;
}

async function setGuestAccess(user: TestUser, roomId: string, content: Record<string, unknown>): Promise<void> {
  await cs(info, user, 'PUT', `/rooms/${enc(roomId)}/state/org.foyer.guest_access/`, content);
}

async function notices(user: TestUser, roomId: string): Promise<string[]> {
  return (await timeline(info, user, roomId))
    .filter((e) => e.sender === info.botUserId && e.type === 'm.room.message' && e.content.msgtype === 'm.notice')
    .map((e) => String(e.content.body));
}

async function gatewayMetric(type: string): Promise<number> {
  const res = await fetch(`${info.gatewayUrl}/metrics`, {
    headers: { authorization: `Bearer ${info.internalApiSecret}` },
  });
  return metricValue(await res.text(), 'foyer_gateway_bridge_notifications_total', { type });
}

function pushAsSynapse(events: unknown[]): Promise<Response> {
  return fetch(`${info.appserviceUrl}/_matrix/app/v1/transactions/test-${randomBytes(6).toString('hex')}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${registration.hs_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
}

describe('groups', () => {
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    alice = await newUser(info, 'alice');
    bob = await newUser(info, 'bob');
  });

  it('the bot joins on invitation and writes its state, readable by any client', async () => {
    const roomId = await newGroup(alice, { botPower: 100 });
    const conf = await eventually(() => conference(alice, roomId), 'org.foyer.conference');
    expect(conf).toEqual({ guest_access: false, dial_in: null, join_url: null, status: 'idle', waiting: 0 });

    const bridgeEvent = await stateOf<{ bridgebot: string; protocol: { id: string } }>(
      info,
      alice,
      roomId,
      'm.bridge',
      `org.foyer://conference/${roomId}`,
    );
    expect(bridgeEvent).toMatchObject({ bridgebot: info.botUserId, protocol: { id: 'foyer' } });
    const widget = await stateOf<{ type: string; url: string }>(
      info,
      alice,
      roomId,
      'im.vector.modular.widgets',
      'foyer_conference',
    );
    expect(widget?.type).toBe('m.custom');
    expect(widget?.url.startsWith(`${info.webUrl}/widget/conference?`)).toBe(true);
    expect(widget?.url).toContain('$matrix_room_id');
    const pl = await stateOf<{ events: Record<string, number> }>(info, alice, roomId, 'm.room.power_levels');
    expect(pl?.events['org.foyer.guest_access']).toBe(0);
    // Members may press Call (Element Call's membership state events; callers' puppets too).
    expect(pl?.events['org.matrix.msc3401.call.member']).toBe(0);
  });

  it('without the power level to write its state, the bot says so, and acts once it gets it', async () => {
    const roomId = await newGroup(alice);
    const said = await eventually(
      async () => (await notices(alice, roomId)).find((n) => n.includes('admin')),
      'the notice',
    );
    expect(said).toContain(info.botUserId);
    expect(await conference(alice, roomId)).toBeUndefined();

    const pl = await stateOf<Record<string, unknown> & { users: Record<string, number> }>(
      info,
      alice,
      roomId,
      'm.room.power_levels',
    );
    await cs(info, alice, 'PUT', `/rooms/${enc(roomId)}/state/m.room.power_levels/`, {
      ...pl,
      users: { ...pl?.users, [info.botUserId]: 100 },
    });
    await eventually(() => conference(alice, roomId), 'org.foyer.conference after promotion');
  });

  it('guest mode: PIN and link on, stable, revoked at once, new when on again, rotated on request', async () => {
    const roomId = await newGroup(alice, { botPower: 100, invite: [bob.userId] });
    await cs(info, bob, 'POST', `/rooms/${enc(roomId)}/join`, {});
    await setGuestAccess(alice, roomId, { enabled: true });
    const on = await eventually(async () => {
      const c = await conference(alice, roomId);
      return c?.guest_access ? c : undefined;
    }, 'guest access on');
    expect(on.dial_in?.number).toBe(info.dialInNumber);
    expect(on.dial_in?.pin).toMatch(/^[1-9][0-9]{9,}$/);
    expect(on.join_url).toMatch(new RegExp(`^${info.webUrl}/join/[A-Za-z0-9_-]{32}$`));
    const pin = on.dial_in?.pin ?? '';
    const token = on.join_url?.split('/').pop() ?? '';

    const byPin = await lookupPin(pin);
    expect(byPin).toMatchObject({ roomId, name: 'Support', role: 'participant', moderatorPin: null });
    // Members are moderators (local) when they join; nobody else is told about the members.
    expect(Object.keys(byPin ?? {}).sort()).toEqual(['dialIn', 'moderatorPin', 'name', 'role', 'roomId']);
    for (const member of [alice, bob])
      expect(await gatewayLookup.admit({ way: 'member', roomId, userId: member.userId })).toMatchObject({
        decision: 'accept',
        role: 'moderator',
      });
    expect((await lookupToken(token))?.roomId).toBe(roomId);
    expect(await lookupPin(String(Number(pin) + 1))).toBeUndefined();

    // Stable: other changes and a bridge restart leave PIN and link as they are.
    await cs(info, alice, 'PUT', `/rooms/${enc(roomId)}/state/m.room.name/`, { name: 'Vertrieb' });
    expect((await runStack(['restart', 'bridge'], env)).code).toBe(0);
    await eventually(async () => (await lookupPin(pin))?.name === 'Vertrieb', 'the rename');
    expect((await conference(alice, roomId))?.dial_in?.pin).toBe(pin);

    await setGuestAccess(bob, roomId, { enabled: false });
    const off = await eventually(async () => {
      const c = await conference(alice, roomId);
      return c && !c.guest_access ? c : undefined;
    }, 'guest access off');
    expect(off).toMatchObject({ dial_in: null, join_url: null });
    expect(await lookupPin(pin)).toBeUndefined();
    expect(await lookupToken(token)).toBeUndefined();

    await setGuestAccess(alice, roomId, { enabled: true });
    const again = await eventually(async () => {
      const c = await conference(alice, roomId);
      return c?.guest_access ? c : undefined;
    }, 'guest access on again');
    expect(again.dial_in?.pin).not.toBe(pin);
    expect(again.join_url).not.toBe(on.join_url);
    expect(await lookupPin(pin)).toBeUndefined();

    await setGuestAccess(alice, roomId, { enabled: true, regenerate: true });
    const rotated = await eventually(async () => {
      const c = await conference(alice, roomId);
      return c?.dial_in?.pin !== again.dial_in?.pin ? c : undefined;
    }, 'rotation');
    expect(rotated.guest_access).toBe(true);
    expect(await lookupPin(again.dial_in?.pin ?? '')).toBeUndefined();
    expect((await lookupPin(rotated.dial_in?.pin ?? ''))?.roomId).toBe(roomId);
  });

  it('moderator PIN: on request a second PIN that makes a caller a moderator, never written to the room', async () => {
    const roomId = await newGroup(alice, { botPower: 100, name: 'Vorstand' });
    await setGuestAccess(alice, roomId, { enabled: true, moderator_pin: true });
    const on = await eventually(async () => {
      const c = await conference(alice, roomId);
      return c?.moderator_pin ? c : undefined;
    }, 'the moderator PIN');
    const guestPin = on.dial_in?.pin ?? '';
    const moderatorPin = (await groupInfo(roomId, alice))?.moderatorPin ?? '';
    expect(moderatorPin).toMatch(/^[1-9][0-9]{9,}$/);
    expect(moderatorPin).not.toBe(guestPin);
    expect(await lookupPin(guestPin)).toMatchObject({ roomId, role: 'participant' });
    expect(await lookupPin(moderatorPin)).toMatchObject({ roomId, role: 'moderator' });
    await eventually(async () => {
      const n = await notices(alice, roomId);
      return n.some((x) => x.includes('Moderator PIN is on')) || undefined;
    }, 'the notice');
    // Nowhere in the room: not in any state event, not in the timeline (partners could read it).
    const everything = JSON.stringify([
      await cs(info, alice, 'GET', `/rooms/${enc(roomId)}/state`),
      await timeline(info, alice, roomId),
    ]);
    expect(everything).not.toContain(moderatorPin);

    // A request without the field keeps it; a rotation renews it with the guest PIN and link.
    await setGuestAccess(alice, roomId, { enabled: true });
    await setGuestAccess(alice, roomId, { enabled: true, regenerate: true });
    const rotated = await eventually(async () => {
      const c = await conference(alice, roomId);
      return c?.dial_in?.pin !== guestPin ? c : undefined;
    }, 'rotation');
    expect(rotated.moderator_pin).toBe(true);
    const renewed = (await groupInfo(roomId, alice))?.moderatorPin ?? '';
    expect(renewed).toMatch(/^[1-9][0-9]{9,}$/);
    expect(renewed).not.toBe(moderatorPin);
    expect(await lookupPin(moderatorPin)).toBeUndefined();

    // Off: the PIN opens nothing, the guest PIN still works; off with guest access: both gone.
    await setGuestAccess(alice, roomId, { enabled: true, moderator_pin: false });
    const off = await eventually(async () => {
      const c = await conference(alice, roomId);
      return c && !c.moderator_pin ? c : undefined;
    }, 'the moderator PIN off');
    expect(off.guest_access).toBe(true);
    expect(await lookupPin(renewed)).toBeUndefined();
    expect((await lookupPin(off.dial_in?.pin ?? ''))?.role).toBe('participant');
    expect((await groupInfo(roomId, alice))?.moderatorPin).toBeNull();

    await setGuestAccess(alice, roomId, { enabled: true, moderator_pin: true });
    const again = await eventually(
      async () => (await groupInfo(roomId, alice))?.moderatorPin ?? undefined,
      'a new one',
    );
    expect(again).not.toBe(renewed);
    await setGuestAccess(alice, roomId, { enabled: false });
    await eventually(async () => (await conference(alice, roomId))?.guest_access === false || undefined, 'guests off');
    expect(await lookupPin(again)).toBeUndefined();
    expect(await conference(alice, roomId)).not.toHaveProperty('moderator_pin');
  });

  it('refuses guest-mode requests from other servers, non-members and of the wrong shape, saying why', async () => {
    const roomId = await newGroup(alice, { botPower: 100 });
    await eventually(() => conference(alice, roomId), 'org.foyer.conference');
    const request = (sender: string, content: unknown) => ({
      type: 'org.foyer.guest_access',
      state_key: '',
      event_id: `$fake${randomBytes(6).toString('hex')}`,
      room_id: roomId,
      sender,
      origin_server_ts: Date.now(),
      content,
    });
    expect((await pushAsSynapse([request('@eve:partner.example', { enabled: true })])).status).toBe(200);
    expect((await pushAsSynapse([request(`@mallory:${info.serverName}`, { enabled: true })])).status).toBe(200);
    await setGuestAccess(alice, roomId, { enabled: 'yes' });
    const said = await eventually(async () => {
      const n = await notices(alice, roomId);
      return n.length >= 3 ? n : undefined;
    }, 'three notices');
    expect(said.some((n) => n.includes('@eve:partner.example') && n.includes(`staff of ${info.serverName}`))).toBe(
      true,
    );
    expect(said.some((n) => n.includes(`@mallory:${info.serverName}`) && n.includes('only members'))).toBe(true);
    expect(said.some((n) => n.includes('"enabled" must be true or false'))).toBe(true);
    expect((await conference(alice, roomId))?.guest_access).toBe(false);
  });

  it('guests and callers appear as virtual users; status is mirrored with bursts coalesced; a kick ends the participant', async () => {
    const roomId = await newGroup(alice, { botPower: 100 });
    await setGuestAccess(alice, roomId, { enabled: true });
    await eventually(async () => (await conference(alice, roomId))?.guest_access, 'guest access');
    const before = (await timeline(info, alice, roomId)).filter((e) => e.type === 'org.foyer.conference').length;

    for (let waiting = 1; waiting <= 5; waiting++) {
      await gatewayLookup.reportConference(roomId, {
        status: 'waiting',
        participants: [
          { id: 'anna0001', kind: 'guest', name: 'Anna\u202e', waiting: true },
          { id: 'call0001', kind: 'phone', number: '+499911234166', waiting: waiting > 1 },
        ],
      });
    }
    const guest = `@foyer_guest_anna0001:${info.serverName}`;
    const caller = `@foyer_phone_call0001:${info.serverName}`;
    await eventually(async () => {
      const m = await joinedMembers(info, alice, roomId);
      return m.includes(guest) && m.includes(caller);
    }, 'the virtual users to join');
    expect(await stateOf(info, alice, roomId, 'm.room.member', guest)).toMatchObject({ displayname: 'Anna (Gast)' });
    expect(await stateOf(info, alice, roomId, 'm.room.member', caller)).toMatchObject({
      displayname: '+49 991 •••• 166 (Telefon)',
    });
    const conf = await eventually(async () => {
      const c = await conference(alice, roomId);
      return c?.waiting === 2 ? c : undefined;
    }, 'waiting 2');
    expect(conf.status).toBe('waiting');
    const writes =
      (await timeline(info, alice, roomId)).filter((e) => e.type === 'org.foyer.conference').length - before;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(2); // five reports, coalesced

    const removedBefore = await gatewayMetric('participant.removed');
    await cs(info, alice, 'POST', `/rooms/${enc(roomId)}/kick`, { user_id: guest, reason: 'bye' });
    await eventually(
      async () => (await gatewayMetric('participant.removed')) === removedBefore + 1,
      'the gateway to be told',
    );
    // Until the gateway has ended the session it may still report her: she must not come back.
    await gatewayLookup.reportConference(roomId, {
      status: 'running',
      participants: [{ id: 'anna0001', kind: 'guest', name: 'Anna', waiting: false }],
    });
    await eventually(async () => (await conference(alice, roomId))?.status === 'running', 'status running');
    expect(await joinedMembers(info, alice, roomId)).not.toContain(guest);
    expect(await joinedMembers(info, alice, roomId)).not.toContain(caller); // left with the report

    // Guest mode off removes everyone who came in with the old PIN or link.
    await gatewayLookup.reportConference(roomId, {
      status: 'waiting',
      participants: [{ id: 'call0002', kind: 'phone', number: null, waiting: true }],
    });
    await eventually(
      async () => (await joinedMembers(info, alice, roomId)).includes(`@foyer_phone_call0002:${info.serverName}`),
      'caller 2',
    );
    const revokedBefore = await gatewayMetric('group.revoked');
    await setGuestAccess(alice, roomId, { enabled: false });
    await eventually(
      async () => !(await joinedMembers(info, alice, roomId)).includes(`@foyer_phone_call0002:${info.serverName}`),
      'caller 2 gone',
    );
    expect(await gatewayMetric('group.revoked')).toBe(revokedBefore + 1);
  });

  it('a guest message reaches the room once as the virtual user, also across a restart and while Synapse is away', async () => {
    const roomId = await newGroup(alice, { botPower: 100 });
    await setGuestAccess(alice, roomId, { enabled: true });
    await eventually(async () => (await conference(alice, roomId))?.guest_access, 'guest access');
    await gatewayLookup.reportConference(roomId, {
      status: 'running',
      participants: [{ id: 'gina0001', kind: 'guest', name: 'Gina', waiting: false }],
    });
    const gina = `@foyer_guest_gina0001:${info.serverName}`;
    await eventually(async () => (await joinedMembers(info, alice, roomId)).includes(gina), 'Gina joins');

    const chatBefore = await gatewayMetric('chat.message');
    await cs(info, alice, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/r${Date.now()}`, {
      msgtype: 'm.text',
      body: 'Willkommen',
      format: 'org.matrix.custom.html',
      formatted_body: '<b>Willkommen</b><script>alert(1)</script>',
    });
    await eventually(
      async () => (await gatewayMetric('chat.message')) > chatBefore,
      'room chat relayed to the gateway',
    );

    const first = await gatewayLookup.postMessage(roomId, {
      participantId: 'gina0001',
      txnId: 'm1',
      body: 'Hallo zusammen',
    });
    const retry = await gatewayLookup.postMessage(roomId, {
      participantId: 'gina0001',
      txnId: 'm1',
      body: 'Hallo zusammen',
    });
    expect(retry.id).toBe(first.id);
    const fromGina = async (body: string) =>
      (await timeline(info, alice, roomId)).filter(
        (e) => e.sender === gina && e.type === 'm.room.message' && e.content.body === body,
      );
    await eventually(async () => (await fromGina('Hallo zusammen')).length === 1, 'the message in the room');

    await expect(
      gatewayLookup.postMessage(roomId, { participantId: 'gina0001', txnId: 'm9', body: 'x'.repeat(4001) }),
    ).rejects.toMatchObject({
      status: 413,
    });
    await expect(
      gatewayLookup.postMessage(roomId, { participantId: 'nobody01', txnId: 'm9', body: 'hi' }),
    ).rejects.toMatchObject({
      status: 404,
    });

    // Synapse goes away; the message is kept, survives a bridge restart, and arrives once.
    expect((await runStack(['stop', 'synapse'], env)).code).toBe(0);
    try {
      const queued = await gatewayLookup.postMessage(roomId, {
        participantId: 'gina0001',
        txnId: 'm2',
        body: 'Bin gleich da',
      });
      expect(queued.status).toBe('pending');
      expect((await runStack(['restart', 'bridge'], env)).code).toBe(0);
      // The restarted bridge asks the gateway what it hosts, and the real one knows no Gina: the
      // test plays the gateway that does, reporting her again until the bridge has settled.
      const again = await eventually(async () => {
        await gatewayLookup.reportConference(roomId, {
          status: 'running',
          participants: [{ id: 'gina0001', kind: 'guest', name: 'Gina', waiting: false }],
        });
        await new Promise((r) => setTimeout(r, 300));
        return gatewayLookup.postMessage(roomId, { participantId: 'gina0001', txnId: 'm2', body: 'Bin gleich da' });
      }, 'the bridge to take the message again after its restart');
      expect(again.id).toBe(queued.id);
    } finally {
      expect((await runStack(['start', 'synapse'], env)).code).toBe(0);
    }
    await eventually(
      async () => (await fromGina('Bin gleich da')).length === 1,
      'the queued message after Synapse returns',
      60_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await fromGina('Bin gleich da')).toHaveLength(1);
    expect(await fromGina('Hallo zusammen')).toHaveLength(1);
  });

  it('the last member leaving deletes the room and forgets its PIN', async () => {
    const roomId = await newGroup(alice, { botPower: 100, invite: [bob.userId] });
    await cs(info, bob, 'POST', `/rooms/${enc(roomId)}/join`, {});
    await setGuestAccess(alice, roomId, { enabled: true });
    const pin = await eventually(async () => (await conference(alice, roomId))?.dial_in?.pin, 'a PIN');
    const admin = await login(info, 'admin', info.accounts.admin.password);
    const roomOnServer = async () =>
      (
        await fetch(`${info.homeserverUrl}/_synapse/admin/v1/rooms/${enc(roomId)}`, {
          headers: { authorization: `Bearer ${admin.accessToken}` },
        })
      ).status;

    await cs(info, bob, 'POST', `/rooms/${enc(roomId)}/leave`, {});
    await new Promise((r) => setTimeout(r, 1000));
    expect(await roomOnServer()).toBe(200);
    expect((await lookupPin(pin))?.roomId).toBe(roomId);

    await cs(info, alice, 'POST', `/rooms/${enc(roomId)}/leave`, {});
    await eventually(async () => (await roomOnServer()) === 404, 'the room to be deleted', 30_000);
    expect(await lookupPin(pin)).toBeUndefined();
  });
});
