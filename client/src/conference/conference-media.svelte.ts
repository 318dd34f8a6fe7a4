// WebRTC once the page is admitted: one peer connection for the AudioBridge mix (microphone up,
// everyone's mix down), one per published source (camera, screen) and one per subscribed feed.
// All signalling goes through the gateway (media.* messages); ICE is not trickled. A request that
// fails is tried again a few times (a feed may be listed a moment before Janus can serve it);
// only then does the person see a notice.
import type { ClientMessage, ErrorCode, Jsep, MediaSource, ParticipantView } from '@foyer/common/conference-protocol';
import type { LocalMedia, TrackKind } from './local-media.svelte.ts';
import { MediaFailure, MediaRequests, shareScreen, retryOrGiveUp, type Signalling } from './media-requests.ts';
import type { PlaneSide } from './page-media.ts';
import { PlaneState } from './plane-state.svelte.ts';
import { completeAnswer, completeOffer, newPeerConnection, streamOf } from './peer.ts';
import type { MediaServerMessage } from './session.ts';
import type { ConferenceState, NoticeTopic } from './session-state.ts';
import { collectStats, statsOf, type ConferenceStats } from './stats.ts';

interface Subscription {
  feed: string;
  rid: number;
  attempt: number;
  subscription: string | null;
  pc: RTCPeerConnection | null;
  /** Given up, or the gateway said it ended: not again while the state still lists the feed. */
  ended: boolean;
}

interface Publisher {
  pc: RTCPeerConnection;
  track: MediaStreamTrack;
}

/** On Janus, `remoteAudio` is the AudioBridge mix: everyone, including phone callers. */
export class ConferenceMedia extends PlaneState implements PlaneSide {
  readonly plane = 'janus';

  private audioPc: RTCPeerConnection | null = null;
  /** Whether the audio connection sends a microphone (else it was set up receive-only). */
  private audioSends = false;
  // Bookkeeping of connections, never shown: what the UI needs is in the $state fields above.
  /* eslint-disable svelte/prefer-svelte-reactivity */
  private readonly publishers = new Map<MediaSource, Publisher>();
  private readonly subscriptions = new Map<string, Subscription>();
  /* eslint-enable svelte/prefer-svelte-reactivity */
  private readonly answers: MediaRequests<Jsep>;
  private admitted = false;
  /** Bumped by reset(): work started before it is abandoned when it resumes. */
  private epoch = 0;

  constructor(signalling: Signalling, local: LocalMedia) {
    super(signalling, local);
    this.answers = new MediaRequests(signalling);
  }

  // --- MediaPort ---------------------------------------------------------------------------

  admit(): void {
    this.admitted = true;
    void this.startAudio(1);
    if (this.local.videoTrack) void this.publish('camera', this.local.videoTrack, 1);
  }

  sync(state: ConferenceState): void {
    this.syncSubscriptions(state);
  }

  decorate(participants: ParticipantView[]): ParticipantView[] {
    return participants;
  }

  stats(): Promise<ConferenceStats> {
    const { audio, subscriptions, publishers } = this.connections();
    return collectStats({
      audioIn: audio ? [statsOf(audio)] : null,
      audioOut: audio ? [statsOf(audio)] : [],
      video: subscriptions.map(({ feed, pc }) => ({ feed, source: statsOf(pc) })),
      published: publishers.map(({ source, pc }) => ({ source, from: statsOf(pc) })),
    });
  }

  handle(message: MediaServerMessage): void {
    switch (message.type) {
      case 'media.answer':
        this.answers.answer(message.rid, message.jsep);
        return;
      case 'media.offer':
        void this.acceptOffer(message.rid, message.subscription, message.feed, message.jsep);
        return;
      case 'media.ended': {
        const sub = [...this.subscriptions.values()].find((s) => s.subscription === message.subscription);
        if (sub) {
          this.closeSubscription(sub, false);
          sub.ended = true;
        }
        return;
      }
    }
  }

  handleError(rid: number, code: ErrorCode, message: string): boolean {
    const failure = new MediaFailure(code, message);
    if (this.answers.fail(rid, failure)) return true;
    const sub = [...this.subscriptions.values()].find((s) => s.rid === rid);
    if (!sub) return false;
    this.subscriptionFailed(sub, failure);
    return true;
  }

  reset(): void {
    this.epoch++;
    this.admitted = false;
    this.answers.failAll(new MediaFailure('not_admitted', 'media reset'));
    this.audioPc?.close();
    this.audioPc = null;
    for (const publisher of this.publishers.values()) publisher.pc.close();
    this.publishers.clear();
    for (const sub of this.subscriptions.values()) sub.pc?.close();
    this.subscriptions.clear();
    this.clear();
  }

  // --- for the UI --------------------------------------------------------------------------

  /** Shares a screen (or window or tab) the person picks. */
  async startScreenShare(): Promise<void> {
    if (!this.admitted || this.screenTrack) return;
    const track = await shareScreen(this.signalling, () => this.admitted, this.screenEnded);
    if (!track) return;
    this.screenTrack = track;
    await this.publish('screen', track, 1);
  }

  stopScreenShare(): void {
    this.unpublish('screen', true);
    this.screenTrack?.stop();
    this.screenTrack = null;
  }

  /** The peer connections, for statistics. */
  connections(): {
    audio: RTCPeerConnection | null;
    subscriptions: { feed: string; pc: RTCPeerConnection }[];
    publishers: { source: MediaSource; pc: RTCPeerConnection }[];
  } {
    return {
      audio: this.audioPc,
      subscriptions: [...this.subscriptions.values()].flatMap((s) => (s.pc ? [{ feed: s.feed, pc: s.pc }] : [])),
      publishers: [...this.publishers].map(([source, p]) => ({ source, pc: p.pc })),
    };
  }

  // --- audio -------------------------------------------------------------------------------

  private async startAudio(attempt: number): Promise<void> {
    const epoch = this.epoch;
    this.audioPc?.close();
    const pc = newPeerConnection(this.signalling.iceServers);
    this.audioPc = pc;
    this.audioStatus = 'connecting';
    const track = this.local.audioTrack;
    this.audioSends = track !== null;
    if (track) pc.addTransceiver(track, { direction: 'sendrecv' });
    else pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addEventListener('track', (event) => {
      if (this.audioPc === pc) this.remoteAudio = [{ key: 'mix', stream: streamOf(event) }];
    });
    const failed = (err: unknown): void => {
      if (epoch !== this.epoch || this.audioPc !== pc) return;
      pc.close();
      this.audioPc = null;
      this.retry(MediaFailure.of(err), attempt, 'audio', {
        again: () => {
          if (this.audioPc === null) void this.startAudio(attempt + 1);
        },
        giveUp: () => (this.audioStatus = 'failed'),
      });
    };
    pc.addEventListener('connectionstatechange', () => {
      if (this.audioPc !== pc) return;
      if (pc.connectionState === 'connected') this.audioStatus = 'connected';
      else if (pc.connectionState === 'failed') failed(new MediaFailure('unavailable', 'audio connection failed'));
    });
    try {
      const offer = await completeOffer(pc);
      if (epoch !== this.epoch || this.audioPc !== pc) return;
      const answer = await this.request((rid) => ({ type: 'media.audio', rid, jsep: offer }));
      if (epoch !== this.epoch || this.audioPc !== pc) return;
      await pc.setRemoteDescription(answer);
    } catch (err) {
      failed(err);
    }
  }

  /** Microphone or camera changed: swap the track in, or set up anew to start sending. */
  protected onLocalTrack(kind: TrackKind, track: MediaStreamTrack | null): void {
    if (!this.admitted) return;
    if (kind === 'audio') {
      const pc = this.audioPc;
      if (!pc) return;
      if (this.audioSends || track === null) void replaceTrack(pc.getTransceivers()[0]?.sender, track);
      else void this.startAudio(1); // set up receive-only: a microphone needs a new offer
      return;
    }
    const camera = this.publishers.get('camera');
    if (track === null) this.unpublish('camera', true);
    else if (camera) {
      camera.track = track;
      void replaceTrack(camera.pc.getSenders()[0], track);
    } else void this.publish('camera', track, 1);
  }

  // --- publishing --------------------------------------------------------------------------

  private async publish(source: MediaSource, track: MediaStreamTrack, attempt: number): Promise<void> {
    const epoch = this.epoch;
    this.unpublish(source, false);
    const pc = newPeerConnection(this.signalling.iceServers);
    const publisher: Publisher = { pc, track };
    this.publishers.set(source, publisher);
    pc.addTransceiver(track, { direction: 'sendonly' });
    const current = (): boolean => epoch === this.epoch && this.publishers.get(source) === publisher;
    try {
      const offer = await completeOffer(pc);
      if (!current()) return;
      const answer = await this.request((rid) => ({ type: 'media.publish', rid, source, jsep: offer }));
      if (!current()) return;
      await pc.setRemoteDescription(answer);
      this.published = [...this.published.filter((s) => s !== source), source];
    } catch (err) {
      if (!current()) return;
      this.unpublish(source, false);
      /** Still the track to send (not switched off or replaced meanwhile). */
      const wanted = (): boolean =>
        source === 'camera' ? this.local.videoTrack === track : this.screenTrack === track;
      this.retry(MediaFailure.of(err), attempt, source, {
        again: () => {
          if (wanted() && !this.publishers.has(source)) void this.publish(source, track, attempt + 1);
        },
        giveUp: () => {
          if (source === 'screen' && this.screenTrack === track) {
            track.stop();
            this.screenTrack = null;
          }
        },
      });
    }
  }

  private unpublish(source: MediaSource, tellGateway: boolean): void {
    const publisher = this.publishers.get(source);
    if (!publisher) return;
    publisher.pc.close();
    this.publishers.delete(source);
    this.published = this.published.filter((s) => s !== source);
    if (tellGateway) this.signalling.send({ type: 'media.unpublish', source });
  }

  // --- subscribing -------------------------------------------------------------------------

  private syncSubscriptions(state: ConferenceState): void {
    const wanted = state.participants
      .filter((p) => p.id !== state.participantId)
      .flatMap((p) => p.feeds.map((f) => f.id));
    for (const feed of wanted) {
      if (this.subscriptions.has(feed)) continue;
      const sub: Subscription = { feed, rid: 0, attempt: 0, subscription: null, pc: null, ended: false };
      this.subscriptions.set(feed, sub);
      this.subscribe(sub);
    }
    for (const sub of [...this.subscriptions.values()]) {
      if (wanted.includes(sub.feed)) continue;
      this.closeSubscription(sub, true);
      this.subscriptions.delete(sub.feed);
    }
  }

  private subscribe(sub: Subscription): void {
    sub.attempt++;
    sub.rid = this.signalling.nextRid();
    this.signalling.send({ type: 'media.subscribe', rid: sub.rid, feed: sub.feed });
  }

  private subscriptionFailed(sub: Subscription, failure: MediaFailure): void {
    this.closeSubscription(sub, true);
    this.retry(failure, sub.attempt, 'video', {
      again: () => {
        if (this.subscriptions.get(sub.feed) === sub && !sub.ended && !sub.pc) this.subscribe(sub);
      },
      giveUp: () => (sub.ended = true),
    });
  }

  private async acceptOffer(rid: number, subscription: string, feed: string, offer: Jsep): Promise<void> {
    const sub = [...this.subscriptions.values()].find((s) => s.rid === rid) ?? this.subscriptions.get(feed);
    if (!sub || sub.ended || (sub.pc && sub.subscription !== subscription)) {
      // Not (or no longer) wanted.
      this.signalling.send({ type: 'media.unsubscribe', subscription });
      return;
    }
    const epoch = this.epoch;
    // A second offer for the same subscription renegotiates the existing connection.
    const pc = sub.pc ?? this.newSubscriberConnection(sub, subscription);
    try {
      const answer = await completeAnswer(pc, offer);
      if (epoch !== this.epoch || sub.pc !== pc) return;
      this.signalling.send({ type: 'media.start', rid: this.signalling.nextRid(), subscription, jsep: answer });
    } catch (err) {
      if (epoch !== this.epoch || sub.pc !== pc) return;
      this.subscriptionFailed(sub, MediaFailure.of(err));
    }
  }

  private newSubscriberConnection(sub: Subscription, subscription: string): RTCPeerConnection {
    const pc = newPeerConnection(this.signalling.iceServers);
    sub.subscription = subscription;
    sub.pc = pc;
    pc.addEventListener('track', (event) => {
      if (sub.pc !== pc || event.track.kind !== 'video') return;
      const others = this.remoteVideos.filter((v) => v.feed !== sub.feed);
      this.remoteVideos = [...others, { feed: sub.feed, subscription, stream: streamOf(event) }];
    });
    return pc;
  }

  private closeSubscription(sub: Subscription, tellGateway: boolean): void {
    sub.pc?.close();
    sub.pc = null;
    if (tellGateway && sub.subscription !== null) {
      this.signalling.send({ type: 'media.unsubscribe', subscription: sub.subscription });
    }
    sub.subscription = null;
    this.remoteVideos = this.remoteVideos.filter((v) => v.feed !== sub.feed);
  }

  // --- requests ----------------------------------------------------------------------------

  /** Sends a request that the gateway answers with `media.answer` (same rid). */
  private async request(build: (rid: number) => ClientMessage): Promise<Jsep> {
    const jsep = await this.answers.send(build);
    if (jsep.type !== 'answer') throw new MediaFailure('bad_message', 'the gateway answered with an offer');
    return jsep;
  }

  /** After a failed attempt: try again a little later, or give up and tell the person. */
  private retry(
    failure: MediaFailure,
    attempt: number,
    about: NoticeTopic,
    { again, giveUp }: { again: () => void; giveUp: () => void },
  ): void {
    if (!this.admitted) return;
    const epoch = this.epoch;
    retryOrGiveUp(this.signalling, failure, attempt, about, { again, giveUp, current: () => epoch === this.epoch });
  }
}

function replaceTrack(sender: RTCRtpSender | undefined, track: MediaStreamTrack | null): Promise<void> {
  return (sender?.replaceTrack(track) ?? Promise.resolve()).catch((err: unknown) =>
    console.warn('conference: could not switch the track', err),
  );
}
