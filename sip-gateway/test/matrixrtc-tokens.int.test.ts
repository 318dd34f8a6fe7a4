// Element Call's way into a group's conference: the homeserver advertises Foyer's token service
// as its MatrixRTC transport, the service checks the OpenID token at the homeserver and the
// membership at the bridge, and the token puts the member into the very LiveKit room where the
// group's phone callers and Foyer's pages are. Real Synapse, bridge, gateway, LiveKit, media
// agent and a baresip phone; a @livekit/rtc-node participant connects with the token as Element
// Call would (its full widget comes with the call memberships).
import { dispose, Room, RoomEvent } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callerIdentity,
  encryptedCallRoomOf,
  livekitRoomOf,
  MATRIX_RTC_SERVICE_PATH,
  rtcMemberIdentity,
} from '@foyer/common/livekit';
import { startTonePhone } from '../../tests/helpers/baresip.ts';
import { ConferenceClient, type StateMessage } from '../../tests/helpers/conference.ts';
import { listen, publishTone, remoteAudio, type Tone } from '../../tests/helpers/livekit.ts';
import {
  askService,
  callMemberships,
  getTokenBody,
  jwtClaims,
  rtcServiceUrl,
  sfuGetBody,
} from '../../tests/helpers/matrixrtc.ts';
import {
  cs,
  enc,
  eventually,
  groupWithGuestAccess,
  guestLinkToken,
  newUser,
  openIdToken,
  stateOf,
  timeline,
  type TestUser,
} from '../../tests/helpers/matrix.ts';
import { testStack } from '../../tests/helpers/stack.ts';

const { info } = testStack();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const callers = (s: StateMessage) => s.participants.filter((p) => p.kind === 'phone');

let alice: TestUser;
let roomId: string;
let pin: string;
let service: string;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  alice = await newUser(info, 'ecalice');
  ({ roomId, pin } = await groupWithGuestAccess(info, alice, 'Element Call'));
  service = await rtcServiceUrl(info, alice);
}, 60_000);

afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  // Bounded: rtc-node's shutdown must not hold the suite (the next file needs the stack).
  await Promise.race([dispose(), sleep(10_000)]);
});

describe('the homeserver’s MatrixRTC transport', () => {
  it('is Foyer’s token service on the gateway', () => {
    expect(service).toBe(`${info.gatewayUrl}${MATRIX_RTC_SERVICE_PATH}`);
  });
});

describe('Foyer’s token service', () => {
  it('gives a group member a token for the group’s conference room, readable as Element Call reads it', async () => {
    const token = await openIdToken(info, alice);
    const legacy = await askService(`${service}/sfu/get`, { body: sfuGetBody(roomId, token, 'ECDEVICE1') });
    expect(legacy.status, JSON.stringify(legacy.body)).toBe(200);
    expect(legacy.headers['access-control-allow-origin']).toBe('*');
    expect(legacy.body.url).toBe(info.livekit.url);
    const claims = jwtClaims(String(legacy.body.jwt)); // atob: throws on base64url's - and _
    expect(claims.sub).toBe(`${alice.userId}:ECDEVICE1`);
    expect(claims.video).toMatchObject({ room: livekitRoomOf(roomId), roomJoin: true, canPublish: true });
    expect(claims.exp * 1000 - Date.now()).toBeLessThanOrEqual(300_000);

    const matrix2 = await askService(`${service}/get_token`, {
      body: getTokenBody(roomId, await openIdToken(info, alice), alice.userId, 'ECDEVICE1', 'member-1'),
    });
    expect(matrix2.status, JSON.stringify(matrix2.body)).toBe(200);
    const m2 = jwtClaims(String(matrix2.body.jwt));
    expect(m2.sub).toBe(rtcMemberIdentity(alice.userId, 'ECDEVICE1', 'member-1'));
    expect(m2.video.room).toBe(livekitRoomOf(roomId));
  });

  it('answers the browser’s preflight and says it keeps no delayed leaves', async () => {
    const preflight = await askService(`${service}/sfu/get`, {
      method: 'OPTIONS',
      headers: { origin: 'https://call.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(String(preflight.headers['access-control-allow-headers'])).toMatch(/content-type/i);
    const delegate = await askService(`${service}/delegate_delayed_leave`, { body: {} });
    expect(delegate.status).toBe(404);
  });

  it('refuses clearly: malformed (400), a bad OpenID token (401), not a member (403)', async () => {
    const from = '127.0.0.61'; // its own address: its failures count against nobody else
    const notJson = await askService(`${service}/sfu/get`, { body: 'room=1', from });
    expect(notJson).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } });
    expect(notJson.headers['access-control-allow-origin']).toBe('*');
    const missing = await askService(`${service}/sfu/get`, { body: { room: roomId }, from });
    expect(missing).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
    expect(String(missing.body.error)).toMatch(/openid_token/);
    const delegated = await askService(`${service}/sfu/get`, {
      body: { ...sfuGetBody(roomId, await openIdToken(info, alice), 'D'), delay_id: 'syd_x', delay_timeout: 1000 },
      from,
    });
    expect(delegated).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });

    const forged = { access_token: 'forged-0123456789', matrix_server_name: info.serverName, expires_in: 3600 };
    expect(await askService(`${service}/sfu/get`, { body: sfuGetBody(roomId, forged, 'D'), from })).toMatchObject({
      status: 401,
      body: { errcode: 'M_UNAUTHORIZED' },
    });
    // Alice's token claimed for someone else.
    const claimsOther = getTokenBody(roomId, await openIdToken(info, alice), '@mallory:' + info.serverName, 'D', 'm');
    expect(await askService(`${service}/get_token`, { body: claimsOther, from })).toMatchObject({
      status: 401,
      body: { errcode: 'M_UNAUTHORIZED' },
    });

    const outsider = await newUser(info, 'ecoutsider');
    const refused = await askService(`${service}/sfu/get`, {
      body: sfuGetBody(roomId, await openIdToken(info, outsider), 'D'),
      from,
    });
    expect(refused).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
  });

  it('holds back a flood of bad tokens from one address, counted while in flight, and only that address', async () => {
    const from = '127.0.0.62';
    const forged = { access_token: 'forged-flood', matrix_server_name: info.serverName, expires_in: 3600 };
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        askService(`${service}/sfu/get`, { body: sfuGetBody(roomId, forged, 'D'), from }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    // At most 8 of one address are checked at once: the rest is refused before any work.
    expect(statuses.filter((s) => s === 429).length, statuses.join(',')).toBeGreaterThanOrEqual(10);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    // Failures fill the address's window (20): then it is held back, even with a good token…
    let held = false;
    for (let i = 0; i < 25 && !held; i++)
      held = (await askService(`${service}/sfu/get`, { body: sfuGetBody(roomId, forged, 'D'), from })).status === 429;
    expect(held, 'the address held back once its failures filled the window').toBe(true);
    const good = sfuGetBody(roomId, await openIdToken(info, alice), 'D2');
    expect((await askService(`${service}/sfu/get`, { body: good, from })).status).toBe(429);
    // …while everyone else is served.
    expect(
      (await askService(`${service}/sfu/get`, { body: sfuGetBody(roomId, await openIdToken(info, alice), 'D3') }))
        .status,
    ).toBe(200);
  });
});

describe('an Element Call member in the group’s conference', () => {
  let tone: Tone | undefined;

  /** Element Call's way in: a token from the service, then LiveKit's room at the answered URL. */
  async function elementCall(user: TestUser, device: string): Promise<Room> {
    const answer = await askService(`${service}/sfu/get`, {
      body: sfuGetBody(roomId, await openIdToken(info, user), device),
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const member = new Room();
    cleanup.push(() => member.disconnect());
    await member.connect(String(answer.body.url), String(answer.body.jwt), { autoSubscribe: true, dynacast: false });
    expect(member.name).toBe(livekitRoomOf(roomId));
    return member;
  }

  it('a moderator pressing Call starts the conference: the waiting caller and guest are let in, hear and are heard', async () => {
    // A guest page and a caller wait: nobody moderates yet.
    const guest = await ConferenceClient.asGuest(info, await guestLinkToken(info, alice, roomId), 'Gast');
    cleanup.push(() => guest.close());
    guest.send({ type: 'join' });
    await guest.state((s) => s.joined && !s.admitted);
    const phone = await startTonePhone('ec-caller', 440);
    cleanup.push(() => phone.close());
    await phone.dial(`sip:4999112341660@${info.sip.host}:${info.sip.port}`);
    await phone.waitFor('CALL_ESTABLISHED', 20_000);
    await phone.press(`${pin}#`);
    await guest.state((s) => callers(s).length === 1 && callers(s)[0]!.waiting, 30_000);

    const member = await elementCall(alice, 'ECDEVICE2');
    const running = await guest.state(
      (s) => s.admitted && s.status === 'running' && callers(s).length === 1 && !callers(s)[0]!.waiting,
      20_000,
    );
    // Foyer's pages list the Element Call member, as the moderator they are.
    expect(running.participants).toContainEqual(
      expect.objectContaining({
        kind: 'staff',
        userId: alice.userId,
        moderator: true,
        media: `${alice.userId}:ECDEVICE2`,
      }),
    );
    const caller = callers(running)[0]!;
    const guestView = running.participants.find((p) => p.kind === 'guest')!;

    // Callers and guests are call members, as Element Call (matrix-js-sdk) reads them: each
    // membership names exactly the LiveKit identity the gateway gave its participant.
    const members = await eventually(async () => {
      const ms = await callMemberships(info, alice, roomId);
      return ms.length === 2 ? ms : undefined;
    }, 'the caller’s and the guest’s call memberships');
    expect(members.map((m) => m.rtcBackendIdentity).sort()).toEqual(
      [callerIdentity(caller.id, info.serverName), guestView.media].sort(),
    );
    for (const m of members) {
      expect(m.isExpired()).toBe(false);
      expect(m.transports).toContainEqual(expect.objectContaining({ type: 'livekit', livekit_service_url: service }));
    }

    tone = await publishTone(member, 600);
    cleanup.push(async () => tone?.stop());
    const heard = await listen(
      await remoteAudio(member, callerIdentity(caller.id, info.serverName), 15_000),
      440,
      2000,
      20_000,
    );
    expect(heard.toneShare, 'the Element Call member hears the caller').toBeGreaterThan(0.5);
    const mixFrom = Date.now() + 1000;
    await sleep(4000);
    const mixTo = Date.now();

    // The moderator hangs up in Element Call: the conference is on hold, guest and caller wait.
    await tone.stop();
    tone = undefined;
    await member.disconnect();
    await guest.state((s) => s.status === 'on_hold' && !s.admitted && callers(s)[0]?.waiting === true, 20_000);
    // Waiting again: out of the call.
    await eventually(async () => (await callMemberships(info, alice, roomId)).length === 0, 'the memberships ended');
    const holdFrom = Date.now() + 1000;
    await sleep(4000);
    const holdTo = Date.now();
    const hungUpAt = Date.now();
    await phone.hangup();
    expect(phone.heard(hungUpAt, mixFrom, mixTo).tone(600), 'the caller hears the Element Call member').toBeGreaterThan(
      0.2,
    );
    const onHold = phone.heard(hungUpAt, holdFrom, holdTo);
    expect(onHold.rms, 'hold music once the moderator left').toBeGreaterThan(200);
    expect(onHold.tone(600)).toBeLessThan(0.05);
  });

  it('Foyer’s moderator removes an Element Call member: out of LiveKit’s room and the conference', async () => {
    const bob = await newUser(info, 'ecbob');
    await cs(info, alice, 'POST', `/rooms/${enc(roomId)}/invite`, { user_id: bob.userId });
    await cs(info, bob, 'POST', `/rooms/${enc(roomId)}/join`, {});
    const moderator = await ConferenceClient.asMember(info, alice, roomId);
    cleanup.push(() => moderator.close());
    moderator.send({ type: 'join' });
    await moderator.state((s) => s.status === 'running');

    const member = await eventually(
      async () => elementCall(bob, 'BOBDEVICE').catch(() => undefined),
      'bob a member the bridge knows',
    );
    const disconnected = new Promise<void>((resolve) => member.once(RoomEvent.Disconnected, () => resolve()));
    const inConference = await moderator.state((s) => s.participants.some((p) => p.userId === bob.userId));
    const bobView = inConference.participants.find((p) => p.userId === bob.userId)!;
    moderator.send({ type: 'remove', participantId: bobView.id });
    await Promise.race([disconnected, sleep(15_000).then(() => Promise.reject(new Error('not removed from LiveKit')))]);
    await moderator.state((s) => !s.participants.some((p) => p.userId === bob.userId));
  });
});

describe('an encrypted group', () => {
  it('is told once, in both languages; Element Call there gets a room of its own; guests still come in', async () => {
    const owner = await newUser(info, 'ecenc');
    const { roomId: group } = await groupWithGuestAccess(info, owner, 'Verschlüsselt');
    await cs(info, owner, 'PUT', `/rooms/${enc(group)}/state/m.room.encryption/`, {
      algorithm: 'm.megolm.v1.aes-sha2',
    });
    const conference = await eventually(async () => {
      const c = await stateOf<{ matrix_rtc?: boolean; guest_access: boolean }>(
        info,
        owner,
        group,
        'org.foyer.conference',
      );
      return c?.matrix_rtc === false ? c : undefined;
    }, 'org.foyer.conference saying matrix_rtc: false');
    expect(conference.guest_access).toBe(true);
    const notices = (await timeline(info, owner, group)).filter(
      (e) => e.sender === info.botUserId && /Element Call/.test(String(e.content.body)),
    );
    expect(notices).toHaveLength(1);
    expect(String(notices[0]?.content.body)).toMatch(/verschlüsselt[\s\S]*encrypted/);

    const answer = await askService(`${service}/sfu/get`, {
      body: sfuGetBody(group, await openIdToken(info, owner), 'ENCDEV'),
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(jwtClaims(String(answer.body.jwt)).video.room).toBe(encryptedCallRoomOf(group));
    expect(encryptedCallRoomOf(group)).not.toBe(livekitRoomOf(group));

    // Foyer's own page still works there: a guest with the link joins and waits for a moderator.
    const guest = await ConferenceClient.asGuest(info, await guestLinkToken(info, owner, group), 'Gast');
    cleanup.push(() => guest.close());
    expect(guest.messages[0]).toMatchObject({ type: 'welcome' });
    guest.send({ type: 'join' });
    await guest.state((st) => st.joined && !st.admitted);
  });
});
