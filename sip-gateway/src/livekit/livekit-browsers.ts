// Browsers on LiveKit: each admitted page connects to the group's LiveKit room itself, with a
// token the gateway mints only while the page is admitted. What a page may do there follows from
// the token's grants and from the room service, never from the page: no data messages, no
// metadata of its own, no other room; a moderator's mute takes the microphone permission away
// (LiveKit then drops the track and refuses a new one); a page that is no longer admitted is
// removed from the room, and if it comes back with its old token LiveKit's webhook tells us and
// it is removed again. All LiveKit SDK calls of the browser side are in this module.
import { EventEmitter } from 'node:events';
import type { Logger } from '@foyer/common';
import { encryptedCallRoomOf, livekitRoomOf, parseWebIdentity, webIdentity } from '@foyer/common/livekit';
import { AccessToken, RoomServiceClient, TrackSource, WebhookReceiver } from 'livekit-server-sdk';
import type {
  BrowserJoin,
  BrowserMedia,
  BrowserPlane,
  BrowserPlaneEvents,
  MuteCause,
} from '../conference/browser-media.ts';

/** Long enough to connect; LiveKit hands a connected page fresh tokens for its own reconnects. */
const TOKEN_TTL_SECONDS = 120;
/** Element Call asks for its token when it joins, after its lobby: a little longer to connect. */
const CALL_MEMBER_TOKEN_TTL_SECONDS = 300;
const HEALTH_INTERVAL_MS = 2000;
const HEALTH_TIMEOUT_MS = 1500;
/** Failed health checks in a row before LiveKit counts as gone (one slow answer is not an outage). */
const HEALTH_FAILURES_FOR_DOWN = 2;

const ALL_SOURCES = [TrackSource.MICROPHONE, TrackSource.CAMERA, TrackSource.SCREEN_SHARE];
const WITHOUT_MICROPHONE = [TrackSource.CAMERA, TrackSource.SCREEN_SHARE];

/** What a page may do in the room: subscribe, and publish these sources; no data, no metadata. */
const may = (micAllowed: boolean) => ({
  canSubscribe: true,
  canPublish: true,
  canPublishData: false,
  canPublishSources: micAllowed ? ALL_SOURCES : WITHOUT_MICROPHONE,
});

export interface LiveKitBrowsersOptions {
  /** Signalling as the gateway reaches it (the room service goes there too). */
  url: string;
  /** Signalling as browsers reach it. */
  publicUrl: string;
  apiKey: string;
  apiSecret: string;
  serverName: string;
  log: Logger;
  healthIntervalMs?: number;
  /** The room service (tests pass a stand-in); default: LiveKit's at `url`. */
  roomService?: RoomService;
}

/** What the browsers' side uses of LiveKit's room service. */
export interface RoomService {
  removeParticipant(room: string, identity: string): Promise<void>;
  updateParticipant(
    room: string,
    identity: string,
    o: { permission: { canPublishSources: TrackSource[] } & Record<string, unknown> },
  ): Promise<unknown>;
  getParticipant(
    room: string,
    identity: string,
  ): Promise<{ tracks: { sid: string; source: TrackSource; muted: boolean }[] }>;
  mutePublishedTrack(room: string, identity: string, trackSid: string, muted: boolean): Promise<unknown>;
}

/** What a page's or a call member's media is in LiveKit: a participant of a room. */
interface InRoom {
  room: string;
  identity: string;
}

/** What the microphone control needs of LiveKit's room service. */
interface MuteService {
  permit(m: InRoom, micAllowed: boolean): Promise<void>;
  muteMicrophone(m: InRoom): Promise<void>;
}

/**
 * A participant's microphone as Foyer's moderators control it, server-side: a moderator's mute
 * takes the microphone permission away until a moderator gives it back (no client can undo it);
 * "mute all" mutes the microphone track, which the person may unmute. Muting oneself is the
 * client's own track. Shared by pages and Element Call members.
 */
export class MicrophoneControl {
  private readonly service: MuteService;
  private readonly who: InRoom;
  private locked = false;

  constructor(service: MuteService, who: InRoom) {
    this.service = service;
    this.who = who;
  }

  /** May the microphone be published (no moderator's mute holds)? */
  get allowed(): boolean {
    return !this.locked;
  }

  async set(muted: boolean, by: MuteCause): Promise<void> {
    if (by === 'moderator' || (!muted && this.locked)) {
      this.locked = muted;
      await this.service.permit(this.who, !muted);
    } else if (muted && by === 'mute-all') await this.service.muteMicrophone(this.who);
  }
}

export class LiveKitBrowsers extends EventEmitter<BrowserPlaneEvents> implements BrowserPlane {
  private readonly o: LiveKitBrowsersOptions;
  private readonly roomService: RoomService;
  private readonly webhooks: WebhookReceiver;
  /** Pages admitted now (a token was minted and they were not sent away since), by identity. */
  private readonly admitted = new Map<string, LiveKitWebMedia>();
  /** LiveKit rooms of conferences hosted here (pages of other gateways are theirs to police). */
  private readonly hosted = new Map<string, number>();
  private up = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Counters for /metrics and the tests: pages removed because LiveKit saw them unadmitted. */
  readonly stats = { tokens: 0, intrudersRemoved: 0 };

  constructor(o: LiveKitBrowsersOptions) {
    super();
    this.o = o;
    this.roomService = o.roomService ?? new RoomServiceClient(o.url.replace(/^ws/, 'http'), o.apiKey, o.apiSecret);
    this.webhooks = new WebhookReceiver(o.apiKey, o.apiSecret);
  }

  get available(): boolean {
    return this.up;
  }

  /** First health check now (LiveKit may still be down: then 'up' follows when it answers). */
  async start(): Promise<void> {
    await this.check();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async check(): Promise<void> {
    let ok: boolean;
    try {
      const res = await fetch(this.o.url.replace(/^ws/, 'http'), { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
      ok = res.ok;
      await res.body?.cancel();
    } catch {
      ok = false;
    }
    if (this.stopped) return;
    if (ok) {
      this.failures = 0;
      if (!this.up) {
        this.up = true;
        this.o.log.info({ url: this.o.url }, 'LiveKit reachable: browsers can join');
        this.emit('up');
      }
    } else if (++this.failures >= HEALTH_FAILURES_FOR_DOWN && this.up) {
      this.up = false;
      // The conferences forget their pages' media on 'down' (manager → browserMediaLost); the
      // pages come back with new tokens once LiveKit is here again.
      this.o.log.error({ url: this.o.url }, 'LiveKit unreachable: browsers wait until it is back');
      this.emit('down');
    }
    this.timer = setTimeout(() => void this.check(), this.o.healthIntervalMs ?? HEALTH_INTERVAL_MS);
  }

  media(j: BrowserJoin): LiveKitWebMedia {
    const room = livekitRoomOf(j.roomId);
    this.hosted.set(room, (this.hosted.get(room) ?? 0) + 1);
    return new LiveKitWebMedia(this, room, webIdentity(j, this.o.serverName), j.name);
  }

  /** @internal the page's media was let go for good. */
  released(m: LiveKitWebMedia): void {
    this.admitted.delete(m.identity);
    const left = (this.hosted.get(m.room) ?? 1) - 1;
    if (left > 0) this.hosted.set(m.room, left);
    else this.hosted.delete(m.room);
  }

  /** @internal a token for an admitted page. */
  async mint(m: LiveKitWebMedia, micAllowed: boolean): Promise<{ url: string; token: string }> {
    this.admitted.set(m.identity, m);
    const at = new AccessToken(this.o.apiKey, this.o.apiSecret, {
      identity: m.identity,
      name: m.name,
      ttl: TOKEN_TTL_SECONDS,
    });
    at.addGrant({ room: m.room, roomJoin: true, ...may(micAllowed), canUpdateOwnMetadata: false });
    this.stats.tokens++;
    return { url: this.o.publicUrl, token: await at.toJwt() };
  }

  /**
   * A token for a MatrixRTC client (Element Call) in the group's room, under the identity its
   * membership implies. No name claim: Element Call reads the token's payload with atob, which a
   * non-ASCII name would break, and shows members by their Matrix profile anyway. `encrypted`:
   * the room's own calls, apart from the conference (their media is end-to-end encrypted).
   */
  async callMemberToken(
    roomId: string,
    identity: string,
    encrypted = false,
  ): Promise<{ url: string; jwt: string; room: string }> {
    const room = encrypted ? encryptedCallRoomOf(roomId) : livekitRoomOf(roomId);
    const at = new AccessToken(this.o.apiKey, this.o.apiSecret, { identity, ttl: CALL_MEMBER_TOKEN_TTL_SECONDS });
    at.addGrant({
      room,
      roomJoin: true,
      canSubscribe: true,
      canPublish: true,
      canPublishData: true,
      canUpdateOwnMetadata: false,
    });
    this.stats.tokens++;
    return { url: this.o.publicUrl, jwt: await at.toJwt(), room };
  }

  /** @internal the page is not admitted any more. */
  dismissed(m: LiveKitWebMedia): void {
    if (this.admitted.get(m.identity) === m) this.admitted.delete(m.identity);
  }

  /**
   * LiveKit's webhook (signed with our API secret). A browser identity that joins one of our
   * rooms without being admitted now (removed, back in the waiting area, gone) is removed.
   * Throws on a bad signature or body: the caller answers 401.
   */
  async webhook(body: string, authorization: string | undefined): Promise<void> {
    const event = await this.webhooks.receive(body, authorization);
    if (!event.room || !event.participant) return;
    const { identity, sid } = event.participant;
    const room = event.room.name;
    if (event.event === 'participant_left') this.emit('participantLeft', { room, identity, sid });
    if (event.event !== 'participant_joined') return;
    this.emit('participantJoined', { room, identity, sid });
    if (!this.hosted.has(room) || parseWebIdentity(identity) === undefined) return;
    const admitted = this.admitted.get(identity);
    if (admitted && admitted.room === room) return;
    this.stats.intrudersRemoved++;
    this.o.log.warn({ room, identity }, 'a page that is not admitted joined the LiveKit room: removed');
    await this.remove(room, identity);
  }

  /** @internal out of the room; a participant who is not there is fine. */
  async remove(room: string, identity: string): Promise<void> {
    try {
      await this.roomService.removeParticipant(room, identity);
    } catch (err) {
      if (!isNotFound(err))
        this.o.log.warn({ room, identity, err: (err as Error).message }, 'could not remove a page from LiveKit');
    }
  }

  /** @internal what the page may publish changed (a moderator's mute, or its end). */
  async permit(m: InRoom, micAllowed: boolean): Promise<void> {
    try {
      await this.roomService.updateParticipant(m.room, m.identity, {
        permission: { ...may(micAllowed), canUpdateMetadata: false },
      });
    } catch (err) {
      // Not connected (yet): the next token carries the permission.
      if (!isNotFound(err)) throw err;
    }
  }

  /** @internal "mute all": LiveKit mutes the microphone track; the person may unmute it. */
  async muteMicrophone(m: InRoom): Promise<void> {
    try {
      const p = await this.roomService.getParticipant(m.room, m.identity);
      const mic = p.tracks.find((t) => t.source === TrackSource.MICROPHONE && !t.muted);
      if (mic) await this.roomService.mutePublishedTrack(m.room, m.identity, mic.sid, true);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { status?: number; code?: string };
  return e.status === 404 || e.code === 'not_found';
}

/** One page's media on LiveKit: its identity in the group's room and what it may publish. */
export class LiveKitWebMedia implements BrowserMedia {
  readonly room: string;
  readonly identity: string;
  readonly name: string;
  private readonly browsers: LiveKitBrowsers;
  /** A moderator muted the page: its microphone may not be published until one unmutes it. */
  private readonly mic: MicrophoneControl;
  private released = false;

  constructor(browsers: LiveKitBrowsers, room: string, identity: string, name: string) {
    this.browsers = browsers;
    this.room = room;
    this.identity = identity;
    this.name = name;
    this.mic = new MicrophoneControl(browsers, this);
  }

  /** For an admitted page: where to connect, and the token. */
  token(): Promise<{ url: string; token: string }> {
    if (this.released) throw new Error('this participant has left');
    return this.browsers.mint(this, this.mic.allowed);
  }

  setMuted(muted: boolean, by: MuteCause): Promise<void> {
    return this.mic.set(muted, by);
  }

  async stop(final: boolean): Promise<void> {
    if (final) {
      this.released = true;
      this.browsers.released(this);
    } else this.browsers.dismissed(this);
    await this.browsers.remove(this.room, this.identity);
  }

  forget(): void {
    this.browsers.dismissed(this);
  }
}
