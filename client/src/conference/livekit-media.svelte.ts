// The page's media: once admitted, the page asks the gateway for a short-lived token (the gateway
// mints one only for admitted pages), connects to the group's LiveKit room with livekit-client,
// publishes microphone, camera and screen, and subscribes to everyone (browsers, and phone
// callers that the gateway's media agent brings in). Media stops when the page is no longer
// admitted. What the page may publish is LiveKit's to enforce: a moderator's mute takes the
// microphone permission away, and the page publishes it again only once LiveKit allows it. The
// gateway's state stays the source of who is there; LiveKit adds each participant's tracks and
// who is speaking (active speakers).
import {
  DisconnectReason,
  Room,
  RoomEvent,
  Track,
  type Participant,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
} from 'livekit-client';
import type { ErrorCode, MediaSource, ParticipantView } from '@foyer/common/conference-protocol';
import { pickScreen } from './devices.ts';
import type { LocalMedia, TrackKind } from './local-media.svelte.ts';
import { MediaFailure, TokenRequests, retryOrGiveUp, type Signalling } from './media-token.ts';
import type { MediaPort, MediaServerMessage } from './session.ts';
import type { ConferenceState } from './session-state.ts';
import { collectStats, type ConferenceStats, type StatsSource } from './stats.ts';
import type { RemoteVideo } from './tiles.ts';

export type AudioStatus = 'idle' | 'connecting' | 'connected' | 'failed';

/** One participant's voice (each plays in an <audio> element of its own). */
export interface RemoteAudio {
  key: string;
  stream: MediaStream;
}

/** What the page publishes. */
type OwnSource = MediaSource | 'microphone';

const SOURCES: Record<OwnSource, Track.Source> = {
  microphone: Track.Source.Microphone,
  camera: Track.Source.Camera,
  screen: Track.Source.ScreenShare,
};

/** Pauses before LiveKit's resume attempts after a lost connection (then the page starts anew). */
const RESUME_DELAYS_MS = [0, 300, 1200, 2700];

const trackStats =
  (track: { getRTCStatsReport(): Promise<RTCStatsReport | undefined> }): StatsSource =>
  () =>
    track.getRTCStatsReport();

export class LiveKitMedia implements MediaPort {
  audioStatus = $state<AudioStatus>('idle');
  remoteAudio = $state.raw<RemoteAudio[]>([]);
  remoteVideos = $state.raw<RemoteVideo[]>([]);
  screenTrack = $state.raw<MediaStreamTrack | null>(null);
  /** How loud the room's active speakers are, by LiveKit identity (the room itself is not reactive). */
  private levels = $state.raw<Readonly<Record<string, number>>>({});

  private room: Room | null = null;
  private admitted = false;
  /** The gateway's state had this page muted by a moderator: only a new mute mutes the microphone. */
  private serverMuted = false;
  /** Bumped by reset(): work started before it is abandoned when it resumes. */
  private epoch = 0;
  private readonly signalling: Signalling;
  private readonly local: LocalMedia;
  private readonly tokens: TokenRequests;

  constructor(signalling: Signalling, local: LocalMedia) {
    this.signalling = signalling;
    this.local = local;
    this.tokens = new TokenRequests(signalling);
    local.onTrackChange((kind, track) => void this.onLocalTrack(kind, track));
  }

  // --- MediaPort ---------------------------------------------------------------------------

  update(state: ConferenceState): void {
    if (!state.admitted) {
      if (this.admitted) this.reset();
      return;
    }
    if (!this.admitted) {
      this.admitted = true;
      void this.connect(1);
    }
    this.followServerMute(state);
  }

  handle(message: MediaServerMessage): void {
    this.tokens.answer(message);
  }

  handleError(rid: number, code: ErrorCode, message: string): boolean {
    return this.tokens.fail(rid, new MediaFailure(code, message));
  }

  reset(): void {
    this.epoch++;
    this.admitted = false;
    this.tokens.failAll(new MediaFailure('not_admitted', 'media reset'));
    const room = this.room;
    this.room = null;
    void room?.disconnect(false);
    this.screenTrack?.stop();
    this.screenTrack = null;
    this.audioStatus = 'idle';
    this.clearRemote();
  }

  // --- for the UI --------------------------------------------------------------------------

  /** Shares a screen (or window or tab) the person picks. */
  async startScreenShare(): Promise<void> {
    if (!this.admitted || this.screenTrack) return;
    let track: MediaStreamTrack | null;
    try {
      track = await pickScreen();
    } catch (err) {
      this.signalling.notify('unavailable', String(err), 'screen');
      return;
    }
    if (!track) return;
    if (!this.admitted) {
      track.stop();
      return;
    }
    // The browser's own "stop sharing" button.
    track.addEventListener('ended', () => {
      if (this.screenTrack === track) this.stopScreenShare();
    });
    this.screenTrack = track;
    if (this.room) await this.publish(this.room, 'screen', track);
  }

  stopScreenShare(): void {
    const track = this.screenTrack;
    this.screenTrack = null;
    if (track && this.room) void this.unpublish(this.room, 'screen');
    track?.stop();
  }

  /** The participants with how loud LiveKit hears them speak (callers' levels come from the relay). */
  withActiveSpeakers(participants: ParticipantView[]): ParticipantView[] {
    const levels = this.levels;
    return participants.map((p) => {
      const level = p.media === undefined ? undefined : levels[p.media];
      return level === undefined ? p : { ...p, level: Math.max(p.level, level) };
    });
  }

  stats(): Promise<ConferenceStats> {
    const room = this.room;
    if (!room) return collectStats({ audioIn: null, audioOut: [], video: [], published: [] });
    const remote = [...room.remoteParticipants.values()].flatMap((p) => [...p.trackPublications.values()]);
    const subscribed = (kind: Track.Kind) =>
      remote.flatMap((pub) => (pub.track && pub.kind === kind ? [{ sid: pub.trackSid, track: pub.track }] : []));
    const own = (source: Track.Source) => room.localParticipant.getTrackPublication(source)?.track;
    const mic = own(Track.Source.Microphone);
    return collectStats({
      audioIn: subscribed(Track.Kind.Audio).map(({ track }) => trackStats(track)),
      audioOut: mic ? [trackStats(mic)] : [],
      video: subscribed(Track.Kind.Video).map(({ sid, track }) => ({ feed: sid, source: trackStats(track) })),
      published: (['camera', 'screen'] as const).flatMap((source) => {
        const track = own(SOURCES[source]);
        return track ? [{ source, from: trackStats(track) }] : [];
      }),
    });
  }

  // --- the room ----------------------------------------------------------------------------

  private async connect(attempt: number): Promise<void> {
    const epoch = this.epoch;
    const current = (): boolean => epoch === this.epoch && this.admitted;
    this.audioStatus = 'connecting';
    const room = new Room({
      // Our own <video> elements show the tracks, so LiveKit cannot see their size: no adaptive stream.
      adaptiveStream: false,
      dynacast: true,
      // The person's camera and microphone belong to LocalMedia, which stops them itself.
      stopLocalTrackOnUnpublish: false,
      disconnectOnPageLeave: true,
      // LiveKit's own resume is tried for a few seconds only: a restarted server has forgotten
      // the session, and a new connection with a fresh token (Disconnected below) is quicker.
      reconnectPolicy: { nextRetryDelayInMs: ({ retryCount }) => RESUME_DELAYS_MS[retryCount] ?? null },
    });
    try {
      const grant = await this.tokens.request();
      if (!current()) return;
      this.room = room;
      this.watch(room);
      await room.connect(grant.url, grant.token, { autoSubscribe: true });
      if (!current() || this.room !== room) {
        await room.disconnect(false);
        return;
      }
      this.audioStatus = 'connected';
      await this.publishLocal(room);
    } catch (err) {
      if (this.room === room) this.room = null;
      void room.disconnect(false);
      if (!current()) return;
      retryOrGiveUp(this.signalling, MediaFailure.of(err), attempt, 'audio', {
        again: () => {
          if (this.room === null) void this.connect(attempt + 1);
        },
        giveUp: () => (this.audioStatus = 'failed'),
        current,
      });
    }
  }

  private watch(room: Room): void {
    const mine = (): boolean => this.room === room;
    room
      .on(RoomEvent.TrackSubscribed, (track, publication, participant) => {
        if (mine()) this.subscribed(track, publication, participant);
      })
      .on(RoomEvent.TrackUnsubscribed, (track) => {
        if (mine()) this.unsubscribed(track);
      })
      .on(RoomEvent.ActiveSpeakersChanged, (speakers: Participant[]) => {
        if (mine()) this.levels = Object.fromEntries(speakers.map((s) => [s.identity, s.audioLevel]));
      })
      .on(RoomEvent.ParticipantPermissionsChanged, (_before, participant: Participant) => {
        // A moderator's unmute gives the microphone back: publish it again.
        if (mine() && participant === room.localParticipant) void this.publishLocal(room);
      })
      .on(RoomEvent.Reconnecting, () => {
        if (mine()) this.audioStatus = 'connecting';
      })
      .on(RoomEvent.Reconnected, () => {
        if (mine()) this.audioStatus = 'connected';
      })
      .on(RoomEvent.Disconnected, (reason?: DisconnectReason) => {
        if (!mine()) return;
        this.room = null;
        this.clearRemote();
        // Removed by the gateway: its state (not admitted, or removed) follows within a moment
        // and ends this; a lost connection (or a removal that crossed a new admission) is
        // followed by a new token and the page comes back.
        if (!this.admitted) return;
        if (reason !== DisconnectReason.CLIENT_INITIATED) console.info('conference: LiveKit disconnected', reason);
        this.audioStatus = 'connecting';
        const epoch = this.epoch;
        setTimeout(() => {
          if (epoch === this.epoch && this.admitted && this.room === null) void this.connect(1);
        }, 1000);
      });
  }

  private subscribed(track: RemoteTrack, publication: RemoteTrackPublication, participant: RemoteParticipant): void {
    const sid = track.sid ?? track.mediaStreamTrack.id;
    const stream = new MediaStream([track.mediaStreamTrack]);
    if (track.kind === Track.Kind.Audio) {
      this.remoteAudio = [...this.remoteAudio.filter((a) => a.key !== sid), { key: sid, stream }];
    } else if (track.kind === Track.Kind.Video) {
      const source = publication.source === Track.Source.ScreenShare ? 'screen' : 'camera';
      this.remoteVideos = [
        ...this.remoteVideos.filter((v) => v.feed !== sid),
        { feed: sid, source, owner: participant.identity, stream },
      ];
    }
  }

  private unsubscribed(track: RemoteTrack): void {
    const sid = track.sid ?? track.mediaStreamTrack.id;
    this.remoteAudio = this.remoteAudio.filter((a) => a.key !== sid);
    this.remoteVideos = this.remoteVideos.filter((v) => v.feed !== sid);
  }

  /** Nothing heard or seen from the room any more. */
  private clearRemote(): void {
    this.remoteAudio = [];
    this.remoteVideos = [];
    this.levels = {};
  }

  /** A moderator muted this page: mute the microphone here too (unmuting stays the person's call). */
  private followServerMute(state: ConferenceState): void {
    const muted = state.participants.find((p) => p.id === state.participantId)?.muted ?? false;
    if (muted && !this.serverMuted && !this.local.micMuted) this.local.setMicMuted(true);
    this.serverMuted = muted;
  }

  // --- publishing --------------------------------------------------------------------------

  /** Publishes what the person has and LiveKit allows, and is not published yet. */
  private async publishLocal(room: Room): Promise<void> {
    const { audioTrack, videoTrack } = this.local;
    if (audioTrack) await this.publish(room, 'microphone', audioTrack);
    if (videoTrack) await this.publish(room, 'camera', videoTrack);
    if (this.screenTrack) await this.publish(room, 'screen', this.screenTrack);
  }

  private allowed(room: Room, source: OwnSource): boolean {
    const sources = room.localParticipant.permissions?.canPublishSources;
    return !sources || sources.length === 0 || sources.includes(Track.sourceToProto(SOURCES[source]));
  }

  private async publish(room: Room, source: OwnSource, track: MediaStreamTrack): Promise<void> {
    if (this.room !== room || !this.allowed(room, source)) return;
    const existing = room.localParticipant.getTrackPublication(SOURCES[source]);
    try {
      if (existing?.track) {
        if (existing.track.mediaStreamTrack !== track)
          await existing.track.replaceTrack(track, { userProvidedTrack: true });
        return;
      }
      await room.localParticipant.publishTrack(track, {
        source: SOURCES[source],
        // The camera in simulcast layers (LiveKit sends each subscriber what fits); the
        // microphone with livekit-client's defaults (Opus with DTX and RED).
        ...(source === 'camera' ? { simulcast: true } : {}),
      });
    } catch (err) {
      if (this.room !== room) return;
      console.warn(`conference: could not publish the ${source}`, err);
      this.signalling.notify('unavailable', String(err), source === 'microphone' ? 'audio' : source);
    }
  }

  private async unpublish(room: Room, source: OwnSource): Promise<void> {
    const pub = room.localParticipant.getTrackPublication(SOURCES[source]);
    if (pub?.track) await room.localParticipant.unpublishTrack(pub.track, false).catch(() => undefined);
  }

  /** Microphone or camera changed (device switch, camera off): swap it in, or stop sending it. */
  private async onLocalTrack(kind: TrackKind, track: MediaStreamTrack | null): Promise<void> {
    const room = this.room;
    if (!room || room.state !== 'connected') return;
    const source = kind === 'audio' ? 'microphone' : 'camera';
    if (track) await this.publish(room, source, track);
    else await this.unpublish(room, source);
  }
}
