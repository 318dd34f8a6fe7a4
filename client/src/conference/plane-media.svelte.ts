// The page's media on the plane the gateway's welcome names. What is the same on both planes is
// here: media starts when the page is admitted and stops when it is not any more, and a
// moderator's mute mutes the microphone on the page too. A different plane after a reconnect
// (the gateway was switched) resets the old one first.
import type { ErrorCode, ParticipantView } from '@foyer/common/conference-protocol';
import { ConferenceMedia } from './conference-media.svelte.ts';
import { LiveKitMedia } from './livekit-media.svelte.ts';
import type { LocalMedia } from './local-media.svelte.ts';
import { ServerMuteFollower, type Signalling } from './media-requests.ts';
import type { PageMedia, PlaneSide } from './page-media.ts';
import type { MediaServerMessage } from './session.ts';
import type { ConferenceState } from './session-state.ts';
import type { ConferenceStats } from './stats.ts';

export class PlaneMedia implements PageMedia {
  private current = $state.raw<PlaneSide>() as PlaneSide;
  private readonly make: Record<PageMedia['plane'], () => PlaneSide>;
  private readonly planeOf: () => PageMedia['plane'];
  private readonly local: LocalMedia;
  private readonly serverMute = new ServerMuteFollower();
  private admitted = false;

  constructor(signalling: Signalling & { readonly mediaPlane: PageMedia['plane'] }, local: LocalMedia) {
    let janus: PlaneSide | undefined;
    let livekit: PlaneSide | undefined;
    this.local = local;
    this.make = {
      janus: () => (janus ??= new ConferenceMedia(signalling, local)),
      livekit: () => (livekit ??= new LiveKitMedia(signalling, local)),
    };
    this.planeOf = () => signalling.mediaPlane;
    this.current = this.make.janus();
  }

  get plane(): PageMedia['plane'] {
    return this.current.plane;
  }
  get audioStatus(): PageMedia['audioStatus'] {
    return this.current.audioStatus;
  }
  get remoteAudio(): PageMedia['remoteAudio'] {
    return this.current.remoteAudio;
  }
  get remoteVideos(): PageMedia['remoteVideos'] {
    return this.current.remoteVideos;
  }
  get screenTrack(): MediaStreamTrack | null {
    return this.current.screenTrack;
  }
  get published(): PageMedia['published'] {
    return this.current.published;
  }

  update(state: ConferenceState): void {
    const plane = this.planeOf();
    if (plane !== this.current.plane) {
      this.reset();
      this.current = this.make[plane]();
    }
    if (!state.admitted) {
      if (this.admitted) this.reset();
      return;
    }
    if (!this.admitted) {
      this.admitted = true;
      this.current.admit();
    }
    this.current.sync(state);
    this.serverMute.follow(state, this.local);
  }

  handle(message: MediaServerMessage): void {
    this.current.handle(message);
  }

  handleError(rid: number, code: ErrorCode, message: string): boolean {
    return this.current.handleError(rid, code, message);
  }

  reset(): void {
    this.admitted = false;
    this.current.reset();
  }

  startScreenShare(): Promise<void> {
    return this.current.startScreenShare();
  }

  stopScreenShare(): void {
    this.current.stopScreenShare();
  }

  decorate(participants: ParticipantView[]): ParticipantView[] {
    return this.current.decorate(participants);
  }

  stats(): Promise<ConferenceStats> {
    return this.current.stats();
  }
}
