// What the view shows of either plane's media, and what both do with it alike: the screen share
// the browser's own "stop sharing" button ends, and everything cleared when the page is out.
import type { MediaSource } from '@foyer/common/conference-protocol';
import type { LocalMedia, TrackKind } from './local-media.svelte.ts';
import type { Signalling } from './media-requests.ts';
import type { AudioStatus, RemoteAudio, RemoteVideo } from './page-media.ts';

export abstract class PlaneState {
  audioStatus = $state<AudioStatus>('idle');
  remoteAudio = $state.raw<RemoteAudio[]>([]);
  remoteVideos = $state.raw<RemoteVideo[]>([]);
  screenTrack = $state.raw<MediaStreamTrack | null>(null);
  /** Sources whose publication the media plane accepted. */
  published = $state.raw<MediaSource[]>([]);

  protected readonly signalling: Signalling;
  protected readonly local: LocalMedia;

  constructor(signalling: Signalling, local: LocalMedia) {
    this.signalling = signalling;
    this.local = local;
    local.onTrackChange((kind, track) => void this.onLocalTrack(kind, track));
  }

  abstract stopScreenShare(): void;

  /** Microphone or camera changed (device switch, camera on or off). */
  protected abstract onLocalTrack(kind: TrackKind, track: MediaStreamTrack | null): void | Promise<void>;

  protected readonly screenEnded = (track: MediaStreamTrack): void => {
    if (this.screenTrack === track) this.stopScreenShare();
  };

  /** Nothing shown or shared any more (the page left the conference, or went back to waiting). */
  protected clear(): void {
    this.screenTrack?.stop();
    this.screenTrack = null;
    this.audioStatus = 'idle';
    this.remoteAudio = [];
    this.remoteVideos = [];
    this.published = [];
  }
}
