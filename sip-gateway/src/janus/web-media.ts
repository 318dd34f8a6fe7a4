// The Janus side of one browser in a conference: its leg in the AudioBridge mix, its camera and
// screen publishers and its subscriptions in the VideoRoom. The browser only ever sees session
// descriptions; handles, room numbers and secrets stay here.
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { FeedView, Jsep, MediaSource } from '@foyer/common/conference-protocol';
import type {
  BrowserJoin,
  BrowserMedia,
  BrowserMediaEvents,
  BrowserPlane,
  BrowserPlaneEvents,
} from '../conference/browser-media.ts';
import type { ConferenceRooms } from '../conference/rooms.ts';
import type { JanusHandle } from './connection.ts';
import type { JanusService } from './janus-service.ts';
import type { JanusMessage } from './protocol.ts';

const jsepOf = (j: JanusMessage['jsep'], expected: Jsep['type']): Jsep => {
  if (!j || j.type !== expected) throw new Error(`Janus sent no ${expected}`);
  return { type: expected, sdp: j.sdp };
};

const joinedSchema = z.looseObject({ id: z.number() });
const talkingSchema = z.looseObject({ audiobridge: z.enum(['talking', 'stopped-talking']), id: z.number() });

export interface WebMediaDeps {
  janus: JanusService;
  rooms: ConferenceRooms;
  roomId: string;
  /** Shown in Janus's own listings (never to users). */
  display: string;
}

let subscriptionCounter = 0;

/** Browsers on Janus: each page's media is a set of Janus handles the gateway holds. */
export class JanusBrowsers extends EventEmitter<BrowserPlaneEvents> implements BrowserPlane<WebMedia> {
  readonly plane = 'janus';
  private readonly janus: JanusService;
  private readonly rooms: ConferenceRooms;

  constructor(janus: JanusService, rooms: ConferenceRooms) {
    super();
    this.janus = janus;
    this.rooms = rooms;
    janus.on('down', () => this.emit('down'));
    janus.on('up', () => this.emit('up'));
  }

  get available(): boolean {
    return this.janus.connected;
  }

  media(j: BrowserJoin): WebMedia {
    return new WebMedia({
      janus: this.janus,
      rooms: this.rooms,
      roomId: j.roomId,
      display: `${j.kind} ${j.participantId}`,
    });
  }
}

export class WebMedia extends EventEmitter<BrowserMediaEvents> implements BrowserMedia {
  readonly plane = 'janus';
  private readonly d: WebMediaDeps;
  private audio: { handle: JanusHandle; id: number } | undefined;
  /** Feeds are `live` once Janus has the browser's media (webrtcup): only then can others subscribe. */
  private readonly publishers = new Map<MediaSource, { handle: JanusHandle; feed: string; live: boolean }>();
  private readonly subscriptions = new Map<string, { handle: JanusHandle; feed: string }>();
  private closed = false;

  constructor(d: WebMediaDeps) {
    super();
    this.d = d;
  }

  /** This browser's video feeds, as the other pages subscribe to them. */
  feeds(): FeedView[] {
    return [...this.publishers].filter(([, p]) => p.live).map(([source, p]) => ({ id: p.feed, source }));
  }

  get hasAudio(): boolean {
    return this.audio !== undefined;
  }

  private async attach(plugin: string): Promise<JanusHandle> {
    if (this.closed) throw new Error('this participant has left');
    return this.d.janus.attach(plugin);
  }

  /** Join (or re-join) the AudioBridge mix with the browser's offer; resolves to Janus's answer. */
  async joinAudio(offer: Jsep, muted: boolean): Promise<Jsep> {
    await this.leaveAudio();
    const room = await this.d.rooms.ensure(this.d.roomId);
    const handle = await this.attach('janus.plugin.audiobridge');
    try {
      const res = await handle.message(
        { request: 'join', room: room.janusRoom, display: this.d.display, muted, codec: 'opus' },
        offer,
      );
      const { id } = joinedSchema.parse(res.data);
      this.audio = { handle, id };
      handle.on('event', (m) => {
        const talk = talkingSchema.safeParse(m.plugindata?.data);
        if (talk.success && talk.data.id === id) this.emit('talking', talk.data.audiobridge === 'talking');
      });
      return jsepOf(res.jsep, 'answer');
    } catch (err) {
      await handle.detach();
      throw err;
    }
  }

  /** AudioBridge mutes the page's leg whoever asked: a modified page cannot undo it. */
  async setMuted(muted: boolean): Promise<void> {
    await this.audio?.handle.message({ request: 'configure', muted });
  }

  async leaveAudio(): Promise<void> {
    const a = this.audio;
    this.audio = undefined;
    if (!a) return;
    a.handle.removeAllListeners('event');
    await a.handle.message({ request: 'leave' }).catch(() => undefined);
    await a.handle.detach();
  }

  /** Publish the camera or the screen; replaces an earlier publisher of the same source. */
  async publish(source: MediaSource, offer: Jsep): Promise<{ answer: Jsep; feed: string }> {
    await this.unpublish(source);
    const room = await this.d.rooms.ensure(this.d.roomId);
    const handle = await this.attach('janus.plugin.videoroom');
    let live = false;
    handle.on('event', (m) => {
      if (m.janus !== 'webrtcup') return;
      live = true;
      const p = this.publishers.get(source);
      if (p?.handle !== handle || p.live) return;
      p.live = true;
      this.emit('feeds');
    });
    try {
      const res = await handle.message(
        {
          request: 'joinandconfigure',
          ptype: 'publisher',
          room: room.janusRoom,
          display: `${this.d.display} ${source}`,
          audio: false,
          video: true,
        },
        offer,
      );
      const feed = String(joinedSchema.parse(res.data).id);
      this.publishers.set(source, { handle, feed, live });
      if (live) this.emit('feeds');
      return { answer: jsepOf(res.jsep, 'answer'), feed };
    } catch (err) {
      await handle.detach();
      throw err;
    }
  }

  /** Stop publishing; resolves to the feed that ended (for the others' subscriptions). */
  async unpublish(source: MediaSource): Promise<string | undefined> {
    const p = this.publishers.get(source);
    if (!p) return undefined;
    this.publishers.delete(source);
    p.handle.removeAllListeners('event');
    await p.handle.message({ request: 'leave' }).catch(() => undefined);
    await p.handle.detach();
    return p.feed;
  }

  /** Subscribe to another participant's feed: Janus offers, the browser answers (start). */
  async subscribe(feed: string): Promise<{ subscription: string; offer: Jsep }> {
    const room = await this.d.rooms.ensure(this.d.roomId);
    const handle = await this.attach('janus.plugin.videoroom');
    try {
      const res = await handle.message({
        request: 'join',
        ptype: 'subscriber',
        room: room.janusRoom,
        streams: [{ feed: Number(feed) }],
      });
      const subscription = `s${++subscriptionCounter}`;
      this.subscriptions.set(subscription, { handle, feed });
      return { subscription, offer: jsepOf(res.jsep, 'offer') };
    } catch (err) {
      await handle.detach();
      throw err;
    }
  }

  async start(subscription: string, answer: Jsep): Promise<boolean> {
    const s = this.subscriptions.get(subscription);
    if (!s) return false;
    await s.handle.message({ request: 'start' }, answer);
    return true;
  }

  async unsubscribe(subscription: string): Promise<void> {
    const s = this.subscriptions.get(subscription);
    if (!s) return;
    this.subscriptions.delete(subscription);
    await s.handle.message({ request: 'leave' }).catch(() => undefined);
    await s.handle.detach();
  }

  /** A feed this browser watches went away: drop the subscription and tell the page. */
  async feedEnded(feed: string): Promise<void> {
    for (const [subscription, s] of [...this.subscriptions]) {
      if (s.feed !== feed) continue;
      await this.unsubscribe(subscription);
      this.emit('ended', subscription);
    }
  }

  /** Leave everything in Janus (back to the waiting area, or gone); usable again unless final. */
  async stop(final: boolean): Promise<string[]> {
    if (final) this.closed = true;
    const ended: string[] = [];
    await this.leaveAudio();
    for (const source of [...this.publishers.keys()]) {
      const feed = await this.unpublish(source);
      if (feed) ended.push(feed);
    }
    for (const subscription of [...this.subscriptions.keys()]) await this.unsubscribe(subscription);
    return ended;
  }

  /** Janus went away: its handles are gone with it. */
  forget(): void {
    this.audio = undefined;
    this.publishers.clear();
    this.subscriptions.clear();
  }
}
