// Element Call members in the conference, with a real Conference and small fakes for LiveKit's
// side: a token given out makes that identity a participant once LiveKit says it joined; a
// moderator among them starts the conference, leaving puts it on hold; mute and removal act on
// LiveKit; a replaced connection leaving is not the member leaving.
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ConferenceReport } from '@foyer/common';
import type { RoomParticipant } from '../src/conference/browser-media.ts';
import { Conference, type ConferenceDeps } from '../src/conference/conference.ts';
import type { WebParticipant } from '../src/conference/participants.ts';
import { CallMembers, type IssuedMember } from '../src/matrixrtc/call-members.ts';

const ROOM = '!group:example.org';
const LK_ROOM = 'foyer_room';

class FakeLiveKit extends EventEmitter<{ participantJoined: [RoomParticipant]; participantLeft: [RoomParticipant] }> {
  readonly calls: string[] = [];
  async permit(m: { identity: string }, micAllowed: boolean) {
    this.calls.push(`permit ${m.identity} mic=${micAllowed}`);
  }
  async muteMicrophone(m: { identity: string }) {
    this.calls.push(`mute ${m.identity}`);
  }
  async remove(room: string, identity: string) {
    this.calls.push(`remove ${identity}`);
    this.emit('participantLeft', { room, identity, sid: this.sids.get(identity) ?? '' });
  }
  readonly sids = new Map<string, string>();
  join(identity: string, sid: string) {
    this.sids.set(identity, sid);
    this.emit('participantJoined', { room: LK_ROOM, identity, sid });
  }
}

const settle = () => new Promise((r) => setTimeout(r, 10));

function setup() {
  const reports: ConferenceReport[] = [];
  const deps = {
    browsers: { available: true },
    bridge: { reportConference: async (_: string, r: ConferenceReport) => void reports.push(r) },
    prompts: {},
    log: pino({ level: 'silent' }),
    mix: Object.assign(new EventEmitter(), { available: true, identity: (id: string) => `phone ${id}` }),
    reportDelayMs: 0,
  } as unknown as ConferenceDeps;
  const conference = new Conference(ROOM, deps);
  const livekit = new FakeLiveKit();
  let swept = 0;
  const members = new CallMembers({
    livekit,
    conferences: { get: () => conference, sweep: () => void swept++ },
    log: pino({ level: 'silent' }),
  });
  const member = (user: string, moderator: boolean): IssuedMember => ({
    roomId: ROOM,
    room: LK_ROOM,
    identity: `@${user}:example.org:EC${user}`,
    userId: `@${user}:example.org`,
    kind: moderator ? 'staff' : 'federated',
    name: user,
    moderator,
  });
  const guest: WebParticipant = {
    id: 'guest1',
    kind: 'guest',
    name: 'Gast',
    moderator: false,
    muted: false,
    media: {
      identity: 'g',
      token: async () => ({ url: '', token: '' }),
      setMuted: async () => {},
      stop: async () => {},
      forget() {},
    },
    send: () => {},
    pendingChat: [],
    joinedAt: 0,
  };
  return { conference, livekit, members, member, guest, swept: () => swept };
}

/** A moderator (alice) and a federated participant in the call through Element Call. */
async function moderatorAndPartnerInCall() {
  const s = setup();
  const alice = s.member('alice', true);
  const partner = s.member('partner', false);
  for (const m of [alice, partner]) s.members.issued(m);
  s.livekit.join(alice.identity, 'PA');
  await settle();
  s.livekit.join(partner.identity, 'PP');
  await settle();
  return { ...s, alice, partner };
}

describe('Element Call members in the conference', () => {
  it('a moderator joining through Element Call lets the waiting guest in; leaving puts it on hold', async () => {
    const { conference: c, livekit, members, member, guest } = setup();
    await c.addWeb(guest);
    expect(c.status).toBe('waiting');
    const alice = member('alice', true);
    members.issued(alice);
    livekit.join(alice.identity, 'PA_1');
    await settle();
    expect(c.status).toBe('running');
    expect(c.admitted(guest)).toBe(true);
    const view = c.view().find((p) => p.userId === '@alice:example.org');
    expect(view).toMatchObject({ kind: 'staff', moderator: true, waiting: false, media: alice.identity });
    expect(members.inRoom(ROOM)).toEqual([alice]);

    livekit.emit('participantLeft', { room: LK_ROOM, identity: alice.identity, sid: 'PA_1' });
    await settle();
    expect(c.status).toBe('on_hold');
    expect(c.admitted(guest)).toBe(false);
    expect(members.inRoom(ROOM)).toEqual([]);
  });

  it('only identities it gave a token to, in that room, become participants', async () => {
    const { conference: c, livekit, members, member } = setup();
    livekit.join('@mallory:example.org:X', 'PM');
    const bob = member('bob', true);
    members.issued(bob);
    livekit.emit('participantJoined', { room: 'another_room', identity: bob.identity, sid: 'PB' });
    await settle();
    expect(c.webs.size).toBe(0);
  });

  it('a reconnect (same identity, new connection) keeps the member; the old connection leaving does not end it', async () => {
    const { conference: c, livekit, members, member } = setup();
    const alice = member('alice', true);
    members.issued(alice);
    livekit.join(alice.identity, 'PA_1');
    await settle();
    livekit.join(alice.identity, 'PA_2');
    livekit.emit('participantLeft', { room: LK_ROOM, identity: alice.identity, sid: 'PA_1' });
    await settle();
    expect(c.status).toBe('running');
    expect(c.webs.size).toBe(1);
    livekit.emit('participantLeft', { room: LK_ROOM, identity: alice.identity, sid: 'PA_2' });
    await settle();
    expect(c.webs.size).toBe(0);
  });

  it('Foyer’s moderator mutes (LiveKit’s permission) and removes (out of LiveKit’s room) a member', async () => {
    const { conference: c, livekit, members, swept, alice, partner } = await moderatorAndPartnerInCall();
    const id = [...c.webs.values()].find((w) => w.userId === partner.userId)!.id;
    expect(await c.setMuted(id, true, 'moderator')).toBe('done');
    expect(livekit.calls).toContain(`permit ${partner.identity} mic=false`);
    await c.removeWeb(id, 'removed');
    await settle();
    expect(livekit.calls).toContain(`remove ${partner.identity}`);
    expect(c.webs.size).toBe(1);
    expect(members.inRoom(ROOM)).toEqual([alice]);
    expect(swept()).toBeGreaterThan(0);
  });

  it('a participant leaves LiveKit’s room when the last moderator goes (Element Call has no waiting area)', async () => {
    const { conference: c, livekit, alice, partner } = await moderatorAndPartnerInCall();
    livekit.emit('participantLeft', { room: LK_ROOM, identity: alice.identity, sid: 'PA' });
    await settle();
    expect(livekit.calls).toContain(`remove ${partner.identity}`);
    expect(c.webs.size).toBe(0);
    expect(c.status).toBe('idle');
  });

  it('LiveKit gone: members are out of the conference (Element Call joins again when it is back)', async () => {
    const { conference: c, livekit, members, member } = setup();
    const alice = member('alice', true);
    members.issued(alice);
    livekit.join(alice.identity, 'PA');
    await settle();
    await c.browserMediaLost();
    await settle();
    expect(c.webs.size).toBe(0);
    expect(members.inRoom(ROOM)).toEqual([]);
  });

  it('a token not used within its time is forgotten', async () => {
    let now = 0;
    const { conference: c, livekit, member } = setup();
    const members = new CallMembers({
      livekit,
      conferences: { get: () => c, sweep: () => {} },
      log: pino({ level: 'silent' }),
      issuedTtlMs: 1000,
      now: () => now,
    });
    const old = member('old', true);
    members.issued(old);
    now = 5000;
    members.issued(member('new', true)); // forgets what is too old
    livekit.join(old.identity, 'PO');
    await settle();
    expect(c.webs.size).toBe(0);
  });
});
