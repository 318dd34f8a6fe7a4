// The page's media as the conference view sees it, whichever plane the gateway runs: Janus
// (conference-media.svelte.ts: peer connections the gateway relays) or LiveKit
// (livekit-media.svelte.ts: the page in the group's LiveKit room). The welcome says which.
import type { MediaSource, ParticipantView } from '@foyer/common/conference-protocol';
import type { MediaPort } from './session.ts';
import type { ConferenceState } from './session-state.ts';
import type { ConferenceStats } from './stats.ts';

export type AudioStatus = 'idle' | 'connecting' | 'connected' | 'failed';

export interface RemoteVideo {
  feed: string;
  subscription: string;
  stream: MediaStream;
}

/** Sound to play: the AudioBridge mix (one), or each LiveKit participant's voice. */
export interface RemoteAudio {
  key: string;
  stream: MediaStream;
}

/** What the conference view uses of the page's media. */
export interface PageMedia extends MediaPort {
  readonly plane: 'janus' | 'livekit';
  readonly audioStatus: AudioStatus;
  readonly remoteAudio: RemoteAudio[];
  readonly remoteVideos: RemoteVideo[];
  readonly screenTrack: MediaStreamTrack | null;
  /** Sources whose publication the media plane accepted. */
  readonly published: MediaSource[];
  startScreenShare(): Promise<void>;
  stopScreenShare(): void;
  /** The participants as the page shows them (LiveKit: feeds and who speaks, from the room). */
  decorate(participants: ParticipantView[]): ParticipantView[];
  stats(): Promise<ConferenceStats>;
}

/**
 * One plane's side (plane-media.svelte.ts decides when): `admit` once the page is admitted,
 * `sync` with each state while it is, `reset` when it no longer is.
 */
export interface PlaneSide extends Omit<PageMedia, 'update'> {
  admit(): void;
  sync(state: ConferenceState): void;
}
