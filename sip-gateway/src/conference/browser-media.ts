// Browsers' media as the conference sees it, on either plane: Janus (the gateway holds each
// page's handles and relays session descriptions: janus/web-media.ts) or LiveKit (the page
// connects to the group's room itself with a token the gateway mints once it is admitted:
// livekit/livekit-browsers.ts). The conference only asks for a participant's media, mutes it,
// and stops it when the participant is no longer admitted.
import type { EventEmitter } from 'node:events';
import type { FeedView } from '@foyer/common/conference-protocol';

/** Who mutes: the person themself, a moderator (holds until a moderator unmutes), or "mute all". */
export type MuteCause = 'self' | 'moderator' | 'mute-all';

export interface BrowserMediaEvents {
  /** Janus only: the page's voice started or stopped (LiveKit pages see active speakers). */
  talking: [boolean];
  /** Janus only: a subscription of this page ended (its feed is gone). */
  ended: [subscription: string];
  /** The page's published feeds changed. */
  feeds: [];
}

export interface BrowserMedia extends EventEmitter<BrowserMediaEvents> {
  readonly plane: 'janus' | 'livekit';
  /** The page's video feeds as the others' state lists them (Janus; none on LiveKit). */
  feeds(): FeedView[];
  /** LiveKit: the page's identity in the group's room. */
  readonly identity?: string;
  setMuted(muted: boolean, by: MuteCause): Promise<void>;
  /** Out of the media plane (back to waiting, or `final`: gone); resolves to the feeds that ended. */
  stop(final: boolean): Promise<string[]>;
  /** Janus: a feed this page watches went away. */
  feedEnded(feed: string): Promise<void>;
  /** The media plane went away with everything this page had there. */
  forget(): void;
}

export interface BrowserJoin {
  roomId: string;
  participantId: string;
  kind: 'guest' | 'staff' | 'federated';
  userId?: string;
  name: string;
}

export interface BrowserPlaneEvents {
  down: [];
  up: [];
}

export interface BrowserPlane<M extends BrowserMedia = BrowserMedia> extends EventEmitter<BrowserPlaneEvents> {
  readonly plane: 'janus' | 'livekit';
  /** Pages can be admitted to media now ('down' when this turns false, 'up' when true again). */
  readonly available: boolean;
  media(j: BrowserJoin): M;
}
