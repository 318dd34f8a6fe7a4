// The bridge decides every way into a conference; the gateway carries the answer out. One answer
// (`Admission` in common/src/internal-protocol.ts) for a call's dialled number, a typed PIN, a
// guest link and a verified Matrix member: accept (room, role, the conference's policy), ask for
// a PIN, or refuse. The rules are pure functions below; `Admissions` only fetches what they need.
import {
  GROUP_CONFERENCE_POLICY as GROUP_POLICY,
  serverOf,
  localpartOf,
  type Admission,
  type AdmissionRequest,
  type ConferencePolicy,
  type FixedRoomInfo,
  type GroupInfo,
  type GroupWelcome,
} from '@foyer/common';
import type { FixedRooms } from './rooms/fixed-rooms.ts';
import type { GroupManager } from './groups/group-manager.ts';

/** A fixed room's conference, from its settings: with a moderator PIN it waits for a moderator. */
export function fixedRoomPolicy(room: FixedRoomInfo): ConferencePolicy {
  return {
    moderatorRequired: room.hasModeratorPin,
    holdMusicWhenAlone: room.holdMusic.enabled,
    holdMusicFile: room.holdMusic.file,
    announceNames: room.announce,
    startMuted: room.startMuted,
    maxParticipants: room.maxParticipants,
  };
}

/** What a page is told of the group: the moderator PIN only when it is a moderator's. */
export function welcomeOf(group: GroupInfo, role: 'moderator' | 'participant'): GroupWelcome {
  return {
    roomId: group.roomId,
    name: group.name,
    dialIn: group.dialIn,
    moderatorPin: role === 'moderator' ? group.moderatorPin : null,
  };
}

/** A call arrives: a fixed room's extension asks for that room's PIN (or none); anything else the lobby's. */
export function callAdmission(room: FixedRoomInfo | undefined): Admission {
  if (!room) return { decision: 'ask-pin', extension: null, allowEmpty: false };
  if (room.pinRequired || room.hasModeratorPin)
    return { decision: 'ask-pin', extension: room.extension, allowEmpty: !room.pinRequired };
  return { decision: 'accept', roomId: room.roomId, role: 'participant', policy: fixedRoomPolicy(room) };
}

/**
 * A Matrix user the gateway has verified: members of the group only. Our server's staff
 * moderate; partners of a trusted server (gateway.federation.trustedServers) too; other
 * federated members take part.
 */
export function memberAdmission(
  group: GroupInfo | undefined,
  userId: string,
  trustedServers: readonly string[],
  policy: ConferencePolicy,
): Admission {
  const member = group?.members.find((m) => m.userId === userId);
  if (!group || !member) return { decision: 'refuse', reason: 'not-member' };
  const role = member.kind === 'staff' || trustedServers.includes(serverOf(userId)) ? 'moderator' : 'participant';
  return {
    decision: 'accept',
    roomId: group.roomId,
    role,
    policy,
    group: welcomeOf(group, role),
    name: member.displayName ?? localpartOf(userId),
    kind: member.kind,
    ...(group.encrypted ? { encrypted: true } : {}),
  };
}

export interface AdmissionDeps {
  groups: Pick<GroupManager, 'lookupPin' | 'lookupToken' | 'groupInfo'>;
  rooms: Pick<FixedRooms, 'lookupExtension' | 'checkPin'>;
  trustedServers: readonly string[];
}

export class Admissions {
  private readonly d: AdmissionDeps;

  constructor(d: AdmissionDeps) {
    this.d = d;
  }

  /** The policy of a group's conference: its fixed room's settings, if it is one. */
  async policyOf(group: Pick<GroupInfo, 'extension'>): Promise<ConferencePolicy> {
    const room = group.extension ? await this.d.rooms.lookupExtension(group.extension) : undefined;
    return room ? fixedRoomPolicy(room) : GROUP_POLICY;
  }

  async admit(q: AdmissionRequest): Promise<Admission> {
    switch (q.way) {
      case 'call':
        return callAdmission(q.dialled ? await this.d.rooms.lookupExtension(q.dialled) : undefined);
      case 'pin': {
        if (q.extension !== null) {
          const access = await this.d.rooms.checkPin(q.extension, q.pin);
          const room = access && (await this.d.rooms.lookupExtension(q.extension));
          if (!access || !room) return { decision: 'refuse', reason: 'wrong-pin' };
          return { decision: 'accept', roomId: access.roomId, role: access.role, policy: fixedRoomPolicy(room) };
        }
        const group = await this.d.groups.lookupPin(q.pin);
        if (!group) return { decision: 'refuse', reason: 'wrong-pin' };
        const { role, ...info } = group;
        const policy = await this.policyOf(info);
        return { decision: 'accept', roomId: group.roomId, role, policy, group: welcomeOf(info, role) };
      }
      case 'link': {
        const group = await this.d.groups.lookupToken(q.token);
        if (!group) return { decision: 'refuse', reason: 'unknown-link' };
        return {
          decision: 'accept',
          roomId: group.roomId,
          role: 'participant',
          policy: await this.policyOf(group),
          group: welcomeOf(group, 'participant'),
        };
      }
      case 'member': {
        const group = await this.d.groups.groupInfo(q.roomId);
        const policy = group ? await this.policyOf(group) : GROUP_POLICY;
        return memberAdmission(group, q.userId, this.d.trustedServers, policy);
      }
    }
  }
}
