// The page in the group's LiveKit room, once admitted: it asks the gateway for a short-lived
// token (the gateway mints one only for admitted pages), connects with livekit-client, publishes
// microphone, camera and screen, and subscribes to everyone (browsers, and phone callers that the
// gateway's media agent brings in). What the page may publish is LiveKit's to enforce: a
// moderator's mute takes the microphone permission away, and the page publishes it again only
// once LiveKit allows it. The gateway's state stays the source of who is there; LiveKit adds
// each participant's tracks and who is speaking (active speakers).
import { DisconnectReason, Room, RoomEvent, Track, type Participant, type RemoteTrack } from 'livekit-client';
import type { ErrorCode, FeedView, MediaSource, ParticipantView } from '@foyer/common/conference-protocol';
import type { LocalMedia, TrackKind } from './local-media.svelte.ts';
import { MediaFailure, MediaRequests, shareScreen, retryOrGiveUp, type Signalling } from './media-requests.ts';
import type { PlaneSide } from './page-media.ts';
import { PlaneState } from './plane-state.svelte.ts';
import type { MediaServerMessage } from './session.ts';
import { collectStats, type ConferenceStats, type StatsSource } from './stats.ts';

interface Grant {
  url: string;
  token: string;
}

/** What LiveKit says about one participant: video feeds (track SIDs) and how loud they speak. */
interface Seen {
  feeds: FeedView[];
  level: number;
}

const SOURCES: Record<MediaSource | 'microphone', Track.Source> = {
  microphone: Track.Source.Microphone,
  camera: Track.Source.Camera,
  screen: Track.Source.ScreenShare,
};

/** Pauses before LiveKit's resume attempts after a lost connection (then the page starts anew). */
const RESUME_DELAYS_MS = [0, 300, 1200, 2700];

const feedSource = (source: Track.Source): MediaSource | null =>
  source === Track.Source.Camera ? 'camera' : source === Track.Source.ScreenShare ? 'screen' : null;

const trackStats =
  (track: { getRTCStatsReport(): Promise<RTCStatsReport | undefined> }): StatsSource =>
  () =>
    track.getRTCStatsReport();

export class LiveKitMedia extends PlaneState implements PlaneSide {
  readonly plane = 'livekit';
  /** By LiveKit identity; rebuilt on the room's events (the room object itself is not reactive). */
  private seen = $state.raw<Readonly<Record<string, Seen>>>({});

  private room: Room | null = null;
  private admitted = false;
  /** Bumped by reset(): work started before it is abandoned when it resumes. */
  private epoch = 0;
  private readonly tokens: MediaRequests<Grant>;

  constructor(signalling: Signalling, local: LocalMedia) {
    super(signalling, local);
    this.tokens = new MediaRequests(signalling);
  }

  // --- MediaPort ---------------------------------------------------------------------------

  admit(): void {
    this.admitted = true;
    void this.connect(1);
  }

  sync(): void {
    // The room tells the page who publishes what.
  }

  handle(message: MediaServerMessage): void {
    if (message.type === 'media.livekit') this.tokens.answer(message.rid, { url: message.url, token: message.token });
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
    this.clear();
    this.seen = {};
  }

  // --- for the UI --------------------------------------------------------------------------

  async startScreenShare(): Promise<void> {
    if (!this.admitted || this.screenTrack) return;
    const track = await shareScreen(this.signalling, () => this.admitted, this.screenEnded);
    if (!track) return;
    this.screenTrack = track;
    const room = this.room;
    if (room) await this.publish(room, 'screen', track);
  }

  stopScreenShare(): void {
    const track = this.screenTrack;
    this.screenTrack = null;
    if (track && this.room) void this.unpublish(this.room, 'screen');
    track?.stop();
  }

  decorate(participants: ParticipantView[]): ParticipantView[] {
    const seen = this.seen;
    return participants.map((p) => {
      const s = p.media === undefined ? undefined : seen[p.media];
      if (!s) return p;
      return { ...p, feeds: s.feeds, level: Math.max(p.level, s.level) };
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
      const grant = await this.tokens.send((rid) => ({ type: 'media.token', rid }));
      if (!current()) return;
      this.room = room;
      this.watch(room);
      await room.connect(grant.url, grant.token, { autoSubscribe: true });
      if (!current() || this.room !== room) {
        await room.disconnect(false);
        return;
      }
      this.audioStatus = 'connected';
      this.refresh();
      await this.publishLocal(room);
    } catch (err) {
      if (this.room === room) this.room = null;
      void room.disconnect(false);
      if (!current()) return;
      const failure = MediaFailure.of(err);
      if (!this.admitted) return;
      retryOrGiveUp(this.signalling, failure, attempt, 'audio', {
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
    const refresh = (): void => {
      if (mine()) this.refresh();
    };
    room
      .on(RoomEvent.TrackSubscribed, (track) => {
        if (mine()) this.subscribed(track);
      })
      .on(RoomEvent.TrackUnsubscribed, (track) => {
        if (mine()) this.unsubscribed(track);
      })
      .on(RoomEvent.TrackPublished, refresh)
      .on(RoomEvent.TrackUnpublished, refresh)
      .on(RoomEvent.TrackMuted, refresh)
      .on(RoomEvent.TrackUnmuted, refresh)
      .on(RoomEvent.ParticipantConnected, refresh)
      .on(RoomEvent.ParticipantDisconnected, refresh)
      .on(RoomEvent.ActiveSpeakersChanged, refresh)
      .on(RoomEvent.LocalTrackPublished, () => {
        if (mine()) this.refreshPublished();
      })
      .on(RoomEvent.LocalTrackUnpublished, () => {
        if (mine()) this.refreshPublished();
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
        this.remoteAudio = [];
        this.remoteVideos = [];
        this.published = [];
        this.seen = {};
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

  private subscribed(track: RemoteTrack): void {
    const sid = track.sid ?? track.mediaStreamTrack.id;
    const stream = new MediaStream([track.mediaStreamTrack]);
    if (track.kind === Track.Kind.Audio) {
      this.remoteAudio = [...this.remoteAudio.filter((a) => a.key !== sid), { key: sid, stream }];
    } else if (track.kind === Track.Kind.Video) {
      this.remoteVideos = [
        ...this.remoteVideos.filter((v) => v.feed !== sid),
        { feed: sid, subscription: sid, stream },
      ];
    }
    this.refresh();
  }

  private unsubscribed(track: RemoteTrack): void {
    const sid = track.sid ?? track.mediaStreamTrack.id;
    this.remoteAudio = this.remoteAudio.filter((a) => a.key !== sid);
    this.remoteVideos = this.remoteVideos.filter((v) => v.feed !== sid);
    this.refresh();
  }

  /** Who publishes which feed and who speaks, by identity. */
  private refresh(): void {
    const room = this.room;
    if (!room) return;
    const speaking = room.activeSpeakers;
    const view = (p: Participant): [string, Seen] => {
      const feeds = p.getTrackPublications().flatMap((pub) => {
        const source = feedSource(pub.source);
        return source && pub.trackSid && !pub.isMuted ? [{ id: pub.trackSid, source }] : [];
      });
      const level = speaking.find((s) => s.identity === p.identity)?.audioLevel ?? 0;
      return [p.identity, { feeds, level }];
    };
    this.seen = Object.fromEntries([room.localParticipant, ...room.remoteParticipants.values()].map(view));
  }

  private refreshPublished(): void {
    const room = this.room;
    if (!room) return;
    this.published = (['camera', 'screen'] as const).filter((s) =>
      room.localParticipant.getTrackPublication(SOURCES[s]),
    );
    this.refresh();
  }

  // --- publishing --------------------------------------------------------------------------

  /** Publishes what the person has and LiveKit allows, and is not published yet. */
  private async publishLocal(room: Room): Promise<void> {
    const { audioTrack, videoTrack } = this.local;
    if (audioTrack) await this.publish(room, 'microphone', audioTrack);
    if (videoTrack) await this.publish(room, 'camera', videoTrack);
    if (this.screenTrack) await this.publish(room, 'screen', this.screenTrack);
  }

  private allowed(room: Room, source: MediaSource | 'microphone'): boolean {
    const sources = room.localParticipant.permissions?.canPublishSources;
    return !sources || sources.length === 0 || sources.includes(Track.sourceToProto(SOURCES[source]));
  }

  private async publish(room: Room, source: MediaSource | 'microphone', track: MediaStreamTrack): Promise<void> {
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

  private async unpublish(room: Room, source: MediaSource | 'microphone'): Promise<void> {
    const pub = room.localParticipant.getTrackPublication(SOURCES[source]);
    if (pub?.track) await room.localParticipant.unpublishTrack(pub.track, false).catch(() => undefined);
  }

  /** Microphone or camera changed (device switch, camera off): swap it in, or stop sending it. */
  protected async onLocalTrack(kind: TrackKind, track: MediaStreamTrack | null): Promise<void> {
    const room = this.room;
    if (!room || room.state !== 'connected') return;
    const source = kind === 'audio' ? 'microphone' : 'camera';
    if (track) await this.publish(room, source, track);
    else await this.unpublish(room, source);
  }
}
