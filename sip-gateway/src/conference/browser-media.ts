// Browsers' media as the conference sees it: an admitted page connects to the group's LiveKit
// room itself, with a short-lived token the gateway mints (livekit/livekit-browsers.ts). The
// conference only asks for a participant's media, mutes it, and stops it when the participant is
// no longer admitted; its tests put fakes behind these interfaces.
import type { EventEmitter } from 'node:events';

/** Who mutes: the person themself, a moderator (holds until a moderator unmutes), or "mute all". */
export type MuteCause = 'self' | 'moderator' | 'mute-all';

export interface BrowserMedia {
  /** The page's identity in the group's LiveKit room (its tracks and active-speaker entries). */
  readonly identity: string;
  /** For an admitted page: where to connect, and the token. */
  token(): Promise<{ url: string; token: string }>;
  setMuted(muted: boolean, by: MuteCause): Promise<void>;
  /** Out of the room: back to waiting, or `final`: gone for good. */
  stop(final: boolean): Promise<void>;
  /** LiveKit went away, and the page's connection with it. */
  forget(): void;
}

export interface BrowserJoin {
  roomId: string;
  participantId: string;
  kind: 'guest' | 'staff' | 'federated';
  userId?: string;
  name: string;
}

/** Someone in one of the plane's rooms, as LiveKit's webhook reports them (sid: this connection). */
export interface RoomParticipant {
  room: string;
  identity: string;
  sid: string;
}

export interface BrowserPlaneEvents {
  down: [];
  up: [];
  /** Anyone joined or left a room (Element Call members become the conference's participants). */
  participantJoined: [RoomParticipant];
  participantLeft: [RoomParticipant];
}

export interface BrowserPlane extends EventEmitter<BrowserPlaneEvents> {
  /** Pages can be admitted to media now ('down' when this turns false, 'up' when true again). */
  readonly available: boolean;
  media(j: BrowserJoin): BrowserMedia;
}
