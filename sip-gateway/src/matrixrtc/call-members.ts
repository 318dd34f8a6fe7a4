// Element Call members as participants of the group's conference. The token service says whom it
// gave a token (`issued`); LiveKit's webhook says when that identity joined the room and when it
// left. In between the member is one of the conference's browsers: a moderator starts the
// conference (waiting callers and guests are let in) and the last one leaving puts it on hold;
// Foyer's moderators mute and remove them server-side, through LiveKit, as they do pages.
import type { Logger } from '@foyer/common';
import type { BrowserMedia, MuteCause, RoomParticipant } from '../conference/browser-media.ts';
import type { Conference } from '../conference/conference.ts';
import { newParticipantId, type WebParticipant } from '../conference/participants.ts';
import { MicrophoneControl } from '../livekit/livekit-browsers.ts';

/** Who a token was given to, until they join (or it could no longer be used). */
export interface IssuedMember {
  roomId: string;
  /** Their LiveKit room and identity (what the token names). */
  room: string;
  identity: string;
  userId: string;
  kind: 'staff' | 'federated';
  name: string;
  moderator: boolean;
}

/** What a call member's media needs of LiveKit (the browsers' side, livekit-browsers.ts). */
export interface CallMemberLiveKit {
  permit(m: { room: string; identity: string }, micAllowed: boolean): Promise<void>;
  muteMicrophone(m: { room: string; identity: string }): Promise<void>;
  remove(room: string, identity: string): Promise<void>;
  on(event: 'participantJoined' | 'participantLeft', listener: (p: RoomParticipant) => void): unknown;
}

export interface CallMembersDeps {
  livekit: CallMemberLiveKit;
  conferences: { get(roomId: string): Conference; sweep(roomId: string): void };
  log: Logger;
  /** How long a token given out may wait for its holder to join (its lifetime, and a margin). */
  issuedTtlMs?: number;
  now?: () => number;
}

interface Present {
  member: IssuedMember;
  sid: string;
  participantId: string;
  conference: Conference;
}

/** A call member's media: LiveKit's participant, connected by Element Call itself. */
class CallMemberMedia implements BrowserMedia {
  readonly room: string;
  readonly identity: string;
  private readonly livekit: CallMemberLiveKit;
  private readonly gone: () => void;
  private readonly mic: MicrophoneControl;

  constructor(livekit: CallMemberLiveKit, m: IssuedMember, gone: () => void) {
    this.livekit = livekit;
    this.room = m.room;
    this.identity = m.identity;
    this.gone = gone;
    this.mic = new MicrophoneControl(livekit, this);
  }

  token(): Promise<{ url: string; token: string }> {
    return Promise.reject(new Error('Element Call members get their tokens from the MatrixRTC token service'));
  }

  setMuted(muted: boolean, by: MuteCause): Promise<void> {
    return this.mic.set(muted, by);
  }

  /**
   * Out of the room. Element Call cannot wait in Foyer's waiting area, so a member who may not
   * stay (removed, or a participant when the last moderator left) leaves LiveKit's room; the
   * token service gives them a new token once they may come back.
   */
  async stop(): Promise<void> {
    await this.livekit.remove(this.room, this.identity);
  }

  /** LiveKit went away, and the member's connection with it: they are not in the conference now. */
  forget(): void {
    this.gone();
  }
}

const ISSUED_TTL_MS = 10 * 60_000;

export class CallMembers {
  private readonly d: CallMembersDeps;
  /** Tokens given out and not used yet, by identity. */
  private readonly issuedMembers = new Map<string, { member: IssuedMember; at: number }>();
  /** Members in the room now, by identity. */
  private readonly present = new Map<string, Present>();

  constructor(d: CallMembersDeps) {
    this.d = d;
    d.livekit.on('participantJoined', (p) => void this.joined(p));
    d.livekit.on('participantLeft', (p) => void this.left(p));
  }

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  /** The token service gave `m` a token: when that identity joins, it is this member. */
  issued(m: IssuedMember): void {
    const cutoff = this.now() - (this.d.issuedTtlMs ?? ISSUED_TTL_MS);
    for (const [identity, i] of this.issuedMembers) if (i.at < cutoff) this.issuedMembers.delete(identity);
    this.issuedMembers.set(m.identity, { member: m, at: this.now() });
  }

  /** Element Call members in a room now (for tests and health). */
  inRoom(roomId: string): IssuedMember[] {
    return [...this.present.values()].filter((p) => p.member.roomId === roomId).map((p) => p.member);
  }

  private async joined(p: RoomParticipant): Promise<void> {
    const already = this.present.get(p.identity);
    if (already) {
      // The same member again (Element Call reconnected; LiveKit replaced the connection).
      if (already.member.room === p.room) already.sid = p.sid;
      return;
    }
    const issued = this.issuedMembers.get(p.identity);
    if (!issued || issued.member.room !== p.room) return; // a page, a caller, the media agent
    this.issuedMembers.delete(p.identity);
    const m = issued.member;
    const conference = this.d.conferences.get(m.roomId);
    const participantId = newParticipantId();
    const entry: Present = { member: m, sid: p.sid, participantId, conference };
    this.present.set(p.identity, entry);
    const w: WebParticipant = {
      id: participantId,
      kind: m.kind,
      name: m.name,
      userId: m.userId,
      moderator: m.moderator,
      muted: false,
      media: new CallMemberMedia(this.d.livekit, m, () => void this.drop(entry, 'LiveKit went away')),
      // No page to tell: Element Call shows the room's chat and its own state.
      send: () => undefined,
      pendingChat: [],
      joinedAt: this.now(),
    };
    try {
      await conference.addWeb(w);
      this.d.log.info(
        { roomId: m.roomId, participant: participantId, userId: m.userId, moderator: m.moderator },
        'Element Call member joined the conference',
      );
    } catch (err) {
      this.present.delete(p.identity);
      this.d.log.error({ roomId: m.roomId, err: (err as Error).message }, 'Element Call member could not join');
    }
  }

  private async left(p: RoomParticipant): Promise<void> {
    const entry = this.present.get(p.identity);
    // A connection replaced by a newer one of the same member leaves after it: not the member.
    if (!entry || entry.member.room !== p.room || entry.sid !== p.sid) return;
    await this.drop(entry, 'left the call');
  }

  private async drop(entry: Present, why: string): Promise<void> {
    if (this.present.get(entry.member.identity) !== entry) return;
    this.present.delete(entry.member.identity);
    this.d.log.info(
      { roomId: entry.member.roomId, participant: entry.participantId, why },
      'Element Call member left the conference',
    );
    await entry.conference.removeWeb(entry.participantId, 'left');
    this.d.conferences.sweep(entry.member.roomId);
  }
}
