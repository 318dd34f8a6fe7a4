// The bridge's one admission answer for every way in: pure rules, every branch.
import { describe, expect, it } from 'vitest';
import { GROUP_CONFERENCE_POLICY, type FixedRoomInfo, type GroupInfo } from '@foyer/common';
import { Admissions, callAdmission, fixedRoomPolicy, memberAdmission } from '../src/admission.ts';

const room: FixedRoomInfo = {
  roomId: '!room:example.org',
  name: 'Technik',
  extension: '4711',
  pinRequired: true,
  announce: true,
  holdMusic: { enabled: true, file: 'jazz.ul' },
  maxParticipants: 8,
  startMuted: true,
  hasModeratorPin: false,
};

const group: GroupInfo = {
  roomId: '!group:example.org',
  name: 'Vertrieb',
  guestAccess: true,
  extension: null,
  dialIn: { number: '+49 991 1234 166', pin: '123456789012' },
  moderatorPin: '987654321098',
  moderators: ['@anna:example.org'],
  members: [
    { userId: '@anna:example.org', displayName: 'Anna', kind: 'staff' },
    { userId: '@bob:partner.org', displayName: null, kind: 'federated' },
    { userId: '@carl:trusted.org:8448', displayName: 'Carl', kind: 'federated' },
  ],
  encrypted: false,
};

describe('admission rules', () => {
  it('a fixed room’s settings become its conference policy', () => {
    expect(fixedRoomPolicy(room)).toEqual({
      moderatorRequired: false,
      holdMusicWhenAlone: true,
      holdMusicFile: 'jazz.ul',
      announceNames: true,
      startMuted: true,
      maxParticipants: 8,
    });
    expect(fixedRoomPolicy({ ...room, hasModeratorPin: true }).moderatorRequired).toBe(true);
  });

  it('a call: the lobby, a room’s PIN, a lone # when only a moderator PIN exists, or straight in', () => {
    expect(callAdmission(undefined)).toEqual({ decision: 'ask-pin', extension: null, allowEmpty: false });
    expect(callAdmission(room)).toEqual({ decision: 'ask-pin', extension: '4711', allowEmpty: false });
    expect(callAdmission({ ...room, pinRequired: false, hasModeratorPin: true })).toEqual({
      decision: 'ask-pin',
      extension: '4711',
      allowEmpty: true,
    });
    expect(callAdmission({ ...room, pinRequired: false })).toEqual({
      decision: 'accept',
      roomId: room.roomId,
      role: 'participant',
      policy: fixedRoomPolicy(room),
    });
  });

  it('a member: staff and trusted partners moderate, other partners take part, strangers are refused', () => {
    const trusted = ['trusted.org:8448'];
    const p = GROUP_CONFERENCE_POLICY;
    expect(memberAdmission(group, '@anna:example.org', trusted, p)).toMatchObject({
      decision: 'accept',
      role: 'moderator',
      name: 'Anna',
      kind: 'staff',
      group: { roomId: group.roomId, name: 'Vertrieb', dialIn: group.dialIn, moderatorPin: '987654321098' },
    });
    // A participant's page is not told the moderator PIN, nor anything about the members.
    expect(memberAdmission(group, '@bob:partner.org', trusted, p)).toMatchObject({
      role: 'participant',
      name: 'bob',
      kind: 'federated',
      group: { roomId: group.roomId, name: 'Vertrieb', dialIn: group.dialIn, moderatorPin: null },
    });
    expect(memberAdmission(group, '@carl:trusted.org:8448', trusted, p)).toMatchObject({ role: 'moderator' });
    expect(memberAdmission(group, '@eve:example.org', trusted, p)).toEqual({
      decision: 'refuse',
      reason: 'not-member',
    });
    expect(memberAdmission(undefined, '@anna:example.org', trusted, p)).toEqual({
      decision: 'refuse',
      reason: 'not-member',
    });
  });

  it('says when the room is encrypted (Element Call’s media there is not the conference’s)', () => {
    const p = GROUP_CONFERENCE_POLICY;
    expect(memberAdmission(group, '@anna:example.org', [], p)).not.toHaveProperty('encrypted');
    expect(memberAdmission({ ...group, encrypted: true }, '@anna:example.org', [], p)).toMatchObject({
      decision: 'accept',
      encrypted: true,
    });
  });
});

describe('admissions (with small fakes)', () => {
  const admissions = new Admissions({
    trustedServers: [],
    groups: {
      lookupPin: async (pin) => (pin === '123456789012' ? { ...group, role: 'participant' } : undefined),
      lookupToken: async (token) => (token === 'good' ? { ...group, extension: '4711' } : undefined),
      groupInfo: async (roomId) => (roomId === group.roomId ? group : undefined),
    },
    rooms: {
      lookupExtension: async (e) => (e === '4711' ? room : undefined),
      checkPin: async (e, pin) =>
        e === '4711' && pin === '2468' ? { roomId: room.roomId, role: 'participant' } : undefined,
    },
  });

  it('answers each way in with room, role and policy, or one refusal', async () => {
    expect(await admissions.admit({ way: 'call', dialled: '4711' })).toMatchObject({ extension: '4711' });
    expect(await admissions.admit({ way: 'pin', extension: null, pin: '123456789012' })).toMatchObject({
      decision: 'accept',
      roomId: group.roomId,
      role: 'participant',
      policy: GROUP_CONFERENCE_POLICY,
    });
    expect(await admissions.admit({ way: 'pin', extension: null, pin: '1' })).toEqual({
      decision: 'refuse',
      reason: 'wrong-pin',
    });
    expect(await admissions.admit({ way: 'pin', extension: '4711', pin: '2468' })).toMatchObject({
      decision: 'accept',
      policy: fixedRoomPolicy(room),
    });
    expect(await admissions.admit({ way: 'pin', extension: '4711', pin: '1' })).toEqual({
      decision: 'refuse',
      reason: 'wrong-pin',
    });
    // A link to a fixed room's Matrix room brings the room's policy (for pages as for callers).
    expect(await admissions.admit({ way: 'link', token: 'good' })).toMatchObject({ policy: fixedRoomPolicy(room) });
    expect(await admissions.admit({ way: 'link', token: 'bad' })).toEqual({
      decision: 'refuse',
      reason: 'unknown-link',
    });
    expect(await admissions.admit({ way: 'member', roomId: '!nope:example.org', userId: '@anna:example.org' })).toEqual(
      {
        decision: 'refuse',
        reason: 'not-member',
      },
    );
  });
});
