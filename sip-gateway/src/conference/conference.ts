// One group's conference: who is there, whether a moderator is, and what that means for each
// caller and browser — waiting (callers with hold music, browsers in the waiting area), in the
// group's LiveKit room (callers through the mix: mix.ts; browsers with their own connection:
// browser-media.ts), or back on hold when the last moderator leaves. Every change is reported to
// the bridge, which mirrors it into the room.
import {
  GROUP_CONFERENCE_POLICY,
  maskNumber,
  parsePuppetUserId,
  serialQueue,
  settledWithin,
  type ChatMessage,
  type ConferenceReport,
  type ConferencePolicy as DecidedPolicy,
  type Logger,
} from '@foyer/common';
import type { ChatLine, ParticipantView } from '@foyer/common/conference-protocol';
import type { BrowserPlane } from './browser-media.ts';
import type { CallerMix } from './mix.ts';
import type { Prompts } from '../ivr/prompts.ts';
import type { PhoneParticipant, WebParticipant } from './participants.ts';
import { Keypad } from './keypad.ts';
import { ConferenceReporter, type ReportSink } from './reporter.ts';
import { EventEmitter } from 'node:events';

export type ConferenceStatus = ConferenceReport['status'];

export interface ConferenceDeps {
  /** Browsers' media (their connections to the group's LiveKit room). */
  browsers: Pick<BrowserPlane, 'available' | 'on'>;
  /** Where callers' audio is mixed. */
  mix: CallerMix;
  /** Where reports go (the bridge client; a sink without reportChanges gets whole reports only). */
  bridge: ReportSink;
  prompts: Prompts;
  log: Logger;
  reportDelayMs?: number;
}

/** How a conference behaves: groups wait for a moderator; fixed rooms are configured per room. */
export interface ConferencePolicy {
  /** Participants wait until a moderator is here (groups; fixed rooms with a moderator PIN). */
  moderatorRequired: boolean;
  /** A lone caller in the mix hears hold music until a second participant arrives. */
  holdMusicWhenAlone: boolean;
  /** Hold music for this conference (mu-law); default: the gateway's. */
  holdMusic?: Buffer;
  /** Callers' recorded names are played to the room when they join and leave. */
  announceNames: boolean;
  /** Participants (not moderators) start muted. */
  startMuted: boolean;
  maxParticipants: number | null;
}

/** What the gateway carries out of a decided policy: the hold music as sound, not a file name. */
function behaviour({ holdMusicFile, ...rest }: DecidedPolicy, music: Buffer | undefined): ConferencePolicy {
  void holdMusicFile;
  return { ...rest, ...(music ? { holdMusic: music } : {}) };
}

/** How often a caller's failed mix leg is joined again before the call is let go. */
export const MAX_REJOINS = 3;

/** A new conference behaves as a group's until its first participant brings the bridge's policy. */
export const GROUP_POLICY: ConferencePolicy = behaviour(GROUP_CONFERENCE_POLICY, undefined);

/**
 * The policy the bridge decided (a group's, or a fixed room's settings), ready to carry out: the
 * hold music file loaded from the prompts folder.
 */
export function policyFrom(decided: DecidedPolicy, prompts: Pick<Prompts, 'music'>, log: Logger): ConferencePolicy {
  const file = decided.holdMusicFile;
  const music = file ? prompts.music(file) : undefined;
  if (file && !music) log.warn({ file }, 'hold music file unusable: default music');
  return behaviour(decided, music);
}

/** Why someone may not enter now. */
export type Refusal = 'locked' | 'full';

/** The status the bridge is told: never 'running' while the media server is away. */
export function reportedStatus(status: ConferenceStatus, mediaAvailable: boolean): ConferenceStatus {
  return status === 'running' && !mediaAvailable ? 'on_hold' : status;
}

/** How the conference shows a caller: the masked number, or "Telefon" when it has none. */
export function phoneDisplayName(number: string | null): string {
  return number && /[0-9]/.test(number) ? maskNumber(number) : 'Telefon';
}

export class Conference extends EventEmitter<{ changed: [] }> {
  readonly roomId: string;
  readonly phones = new Map<string, PhoneParticipant>();
  /** Browsers in the conference (or its waiting area), by participant ID. */
  readonly webs = new Map<string, WebParticipant>();
  private everModerated = false;
  policy: ConferencePolicy = GROUP_POLICY;
  /** Locked by a moderator (*7): nobody but moderators may enter. */
  locked = false;
  private readonly d: ConferenceDeps;
  private readonly reporter: ConferenceReporter;

  /** `reporter`: the room's (kept by the manager across conferences of the same room). */
  constructor(roomId: string, deps: ConferenceDeps, reporter?: ConferenceReporter) {
    super();
    this.roomId = roomId;
    this.d = deps;
    this.reporter =
      reporter ??
      new ConferenceReporter({
        roomId,
        sink: deps.bridge,
        snapshot: () => this.snapshot(),
        log: deps.log,
        ...(deps.reportDelayMs === undefined ? {} : { delayMs: deps.reportDelayMs }),
      });
    this.reporter.snapshot = () => this.snapshot();
  }

  get empty(): boolean {
    return this.phones.size === 0 && this.webs.size === 0;
  }

  get moderated(): boolean {
    for (const w of this.webs.values()) if (w.moderator) return true;
    for (const p of this.phones.values()) if (p.moderator) return true;
    return false;
  }

  /** Running: a moderator is here, or this conference needs none. */
  get started(): boolean {
    return this.moderated || !this.policy.moderatorRequired;
  }

  /** Matrix IDs of the moderators who are here (participant IDs for phone moderators). */
  get moderatorIds(): string[] {
    return [
      ...new Set([
        ...[...this.webs.values()].filter((w) => w.moderator).map((w) => w.userId ?? w.id),
        ...[...this.phones.values()].filter((p) => p.moderator).map((p) => p.id),
      ]),
    ];
  }

  /** Whether someone may enter now: locked conferences take moderators only, full ones nobody. */
  admission(moderator: boolean): Refusal | undefined {
    if (this.locked && !moderator) return 'locked';
    const max = this.policy.maxParticipants;
    if (max !== null && this.headcount >= max) return 'full';
    return undefined;
  }

  get guestCount(): number {
    let n = 0;
    for (const w of this.webs.values()) if (w.kind === 'guest') n++;
    return n;
  }

  get status(): ConferenceStatus {
    if (this.moderated) return 'running';
    if (this.phones.size === 0 && ![...this.webs.values()].some((w) => !w.moderator)) return 'idle';
    if (this.started) return 'running';
    return this.everModerated ? 'on_hold' : 'waiting';
  }

  /** Whether this browser is in the conference proper (not waiting): it may send and receive media. */
  admitted(w: WebParticipant): boolean {
    return this.webs.get(w.id) === w && this.d.browsers.available && (w.moderator || this.started);
  }

  /** Changes happen one after another, so joins and leaves never interleave halfway. */
  private readonly serial = serialQueue();

  private enter(p: PhoneParticipant): Promise<void> {
    return this.serial(async () => {
      const wasStarted = this.started;
      this.phones.set(p.id, p);
      if (this.policy.startMuted && !p.moderator) this.setRelayMuted(p, true);
      const keypad = new Keypad();
      p.keys.on('digit', (key) => this.onKey(p, keypad.push(key)));
      this.d.log.info(
        { roomId: this.roomId, participant: p.id, moderator: p.moderator, started: wasStarted },
        'caller entered the conference',
      );
      if (p.moderator) this.everModerated = true;
      if (this.started) {
        await this.toMix(p);
        if (p.moderator) p.relay.play(this.d.prompts.get('moderator'), { loop: false });
        if (!wasStarted) await this.start();
      } else this.toLobby(p, 'waiting');
      this.aloneMusic();
      this.scheduleReport();
    });
  }

  removePhone(id: string, reason: string): Promise<void> {
    return this.serial(async () => {
      const p = this.phones.get(id);
      if (!p) return;
      this.phones.delete(id);
      p.keys.removeAllListeners('digit');
      // Their name goes into the mix before their leg leaves it ("… has left").
      if (p.name && this.policy.announceNames && p.relay.mode === 'mix' && p.leg) {
        this.announceName(p, p.name, 'has-left');
        await settledWithin(p.relay, 'announced', 8000);
      }
      await this.dropLeg(p);
      p.relay.close();
      if (p.call.state !== 'ended') p.call.hangup(reason);
      this.d.log.info({ roomId: this.roomId, participant: id, reason }, 'caller left the conference');
      if (p.moderator && !this.started) await this.hold();
      this.aloneMusic();
      this.scheduleReport();
    });
  }

  /** The conference starts (first moderator): everyone waiting comes in. */
  private async start(): Promise<void> {
    this.d.log.info({ roomId: this.roomId }, 'conference running');
    for (const p of this.phones.values())
      if (p.relay.mode !== 'mix') await this.toMix(p).catch((err: unknown) => this.failed(p, err));
  }

  /**
   * A lone caller in the mix hears hold music (rooms that want it) until someone else is there;
   * then the music stops and they hear the mix.
   */
  private aloneMusic(): void {
    const inMix = [...this.phones.values()].filter((p) => p.relay.mode === 'mix');
    const admittedWebs = [...this.webs.values()].filter((w) => this.admitted(w)).length;
    const alone = this.policy.holdMusicWhenAlone && inMix.length + admittedWebs === 1;
    for (const p of inMix) {
      if (alone && !p.relay.musicInMix) {
        p.relay.musicInMix = true;
        p.relay.play(this.policy.holdMusic ?? this.d.prompts.get('hold'), { loop: true });
      } else if (!alone && p.relay.musicInMix) {
        p.relay.musicInMix = false;
        p.relay.stopPlayback({ music: true });
      }
    }
  }

  /** A browser joins: moderators start (or resume) the conference, others wait until one is here. */
  addWeb(w: WebParticipant): Promise<void> {
    return this.serial(async () => {
      const first = w.moderator && !this.started;
      this.webs.set(w.id, w);
      this.d.log.info(
        { roomId: this.roomId, participant: w.id, kind: w.kind, moderator: w.moderator },
        'browser joined the conference',
      );
      if (w.moderator) this.everModerated = true;
      if (first) {
        this.d.log.info({ roomId: this.roomId, userId: w.userId }, 'a moderator is here');
        await this.start();
      }
      this.aloneMusic();
      this.scheduleReport();
    });
  }

  /** A browser leaves (or is removed): out of the room; the last moderator puts the conference on hold. */
  removeWeb(id: string, reason: 'left' | 'removed' | 'revoked' | 'deleted' | 'ended'): Promise<void> {
    return this.serial(async () => {
      const w = this.webs.get(id);
      if (!w) return;
      this.webs.delete(id);
      await w.media.stop(true);
      if (reason !== 'left') w.send({ type: 'removed', reason });
      this.d.log.info({ roomId: this.roomId, participant: id, reason }, 'browser left the conference');
      if (w.moderator && !this.started) await this.hold();
      this.aloneMusic();
      this.scheduleReport();
    });
  }

  /** The last moderator left: callers hear hold music, browsers go back to the waiting area. */
  private async hold(): Promise<void> {
    this.d.log.info({ roomId: this.roomId }, 'last moderator left: conference on hold');
    for (const p of this.phones.values()) {
      p.relay.musicInMix = false;
      this.toLobby(p, 'on-hold');
    }
    for (const w of this.webs.values()) await w.media.stop(false);
  }

  /**
   * The callers' mix went away (the media agent, or LiveKit for it): their legs are gone.
   * Callers wait with music until it is back, and the bridge hears so (on hold, media
   * unavailable), so the room never says running.
   */
  callerMixLost(): Promise<void> {
    return this.serial(async () => {
      for (const p of this.phones.values()) {
        await this.dropLeg(p);
        if (p.relay.mode === 'mix') this.toLobby(p, 'on-hold');
      }
      this.scheduleReport();
    });
  }

  /** The mix is back: callers rejoin if the conference runs. */
  callerMixBack(): Promise<void> {
    return this.serial(async () => {
      if (this.started)
        for (const p of this.phones.values()) await this.toMix(p).catch((err: unknown) => this.failed(p, err));
      this.scheduleReport();
    });
  }

  /**
   * One caller's leg lost its room for a while (the media node hosting it died; the media plane
   * joins it again, on another node): hold music meanwhile, as when the whole plane is gone.
   */
  legInterrupted(id: string): Promise<void> {
    return this.serial(async () => {
      const p = this.phones.get(id);
      if (!p?.leg || p.interrupted) return;
      p.interrupted = true;
      this.d.log.warn(
        { roomId: this.roomId, participant: id },
        'caller’s mix leg lost its room: on hold until it is back',
      );
      if (p.relay.mode === 'mix') this.toLobby(p, 'on-hold');
      this.scheduleReport();
    });
  }

  /** The interrupted leg is in the room again: back into the conference if it runs. */
  legRestored(id: string): Promise<void> {
    return this.serial(async () => {
      const p = this.phones.get(id);
      if (!p?.interrupted) return;
      p.interrupted = false;
      this.d.log.info({ roomId: this.roomId, participant: id }, 'caller’s mix leg back in its room');
      if (this.started && p.leg) await this.toMix(p, { again: true, back: true });
      this.scheduleReport();
    });
  }

  /**
   * One caller's leg stopped working (LiveKit never took the caller): it leaves the mix and
   * joins again, at most `MAX_REJOINS` times per call; then the caller hears why and is let go.
   */
  rejoinMix(id: string): Promise<void> {
    return this.serial(async () => {
      const p = this.phones.get(id);
      if (!p?.leg) return;
      p.rejoins = (p.rejoins ?? 0) + 1;
      this.d.log.warn(
        { roomId: this.roomId, participant: id, attempt: p.rejoins },
        'caller’s mix leg failed: joining again',
      );
      await this.dropLeg(p);
      if (p.rejoins > MAX_REJOINS) {
        this.failed(p, new Error('the mix refused the caller repeatedly'));
        return;
      }
      if (this.started && this.d.mix.available)
        await this.toMix(p, { again: true }).catch((err: unknown) => this.failed(p, err));
      else this.toLobby(p, this.started ? 'on-hold' : 'waiting');
    });
  }

  /**
   * The media plane muted a caller itself (LiveKit's room service, e.g. a moderator in another
   * client): like a moderator's mute here, so *6 cannot undo it, and the caller hears it.
   */
  mutedByMediaPlane(id: string, muted: boolean): Promise<void> {
    return this.serial(async () => {
      const p = this.phones.get(id);
      if (!p || p.relay.muted === muted) return;
      await this.setMuted(id, muted, 'moderator');
    });
  }

  /** LiveKit went away for the browsers: their connections are gone; their pages wait until it is back. */
  browserMediaLost(): Promise<void> {
    return this.serial(async () => {
      for (const w of this.webs.values()) w.media.forget();
      this.scheduleReport();
    });
  }

  /** LiveKit is back for the browsers: admitted pages ask for new tokens. */
  browserMediaBack(): Promise<void> {
    return this.serial(async () => {
      this.emit('changed'); // browsers see themselves admitted again and reconnect their media
      this.scheduleReport();
    });
  }

  /** How many are in the conference: callers and browsers. */
  get headcount(): number {
    return this.phones.size + this.webs.size;
  }

  private onKey(p: PhoneParticipant, command: ReturnType<Keypad['push']>): void {
    if (!command || !this.phones.has(p.id)) return;
    const say = (sound: Buffer) => p.relay.play(sound, { loop: false });
    switch (command) {
      case 'toggle-mute':
        if (p.relay.muted && p.mutedByModerator && !p.moderator) {
          say(this.d.prompts.get('muted')); // only a moderator can unmute them
          return;
        }
        this.setRelayMuted(p, !p.relay.muted);
        say(this.d.prompts.get(p.relay.muted ? 'muted' : 'unmuted'));
        this.d.log.info(
          { roomId: this.roomId, participant: p.id, muted: p.relay.muted },
          'caller muted themselves (*6)',
        );
        this.emit('changed');
        return;
      case 'count':
        say(this.d.prompts.count(this.headcount));
        return;
      case 'help':
        say(this.d.prompts.get(p.moderator ? 'help-moderator' : 'help'));
        return;
      case 'toggle-lock':
        if (!p.moderator) return;
        this.locked = !this.locked;
        say(this.d.prompts.get(this.locked ? 'locked' : 'unlocked'));
        this.d.log.info({ roomId: this.roomId, participant: p.id, locked: this.locked }, 'conference locked (*7)');
        this.emit('changed');
        return;
      case 'mute-all':
        if (!p.moderator) return;
        void this.muteAllButModerators().then(() => say(this.d.prompts.get('all-muted')));
        this.d.log.info({ roomId: this.roomId, participant: p.id }, 'all participants muted (*8)');
        return;
    }
  }

  /** Everyone but moderators muted ("quiet please": unlike a moderator's mute of one person, they can unmute themselves). */
  async muteAllButModerators(): Promise<void> {
    for (const p of this.phones.values()) if (!p.moderator) this.muteCaller(p, true);
    for (const w of this.webs.values()) if (!w.moderator) await this.setMuted(w.id, true, 'mute-all');
    this.emit('changed');
  }

  /** A caller muted or unmuted by someone else hears so: a phone has no screen to show it. */
  private muteCaller(p: PhoneParticipant, muted: boolean): void {
    if (p.relay.muted === muted) return;
    this.setRelayMuted(p, muted);
    p.relay.play(this.d.prompts.get(muted ? 'muted' : 'unmuted'), { loop: false });
  }

  /** The relay sends silence for a muted caller; the media plane shows the mute too. */
  private setRelayMuted(p: PhoneParticipant, muted: boolean): void {
    p.relay.muted = muted;
    p.leg?.setMuted(muted);
  }

  /**
   * Mute or unmute a caller or a browser, by a moderator or by themselves. Someone a moderator
   * muted stays muted until a moderator unmutes them ('locked'); a browser's mute is LiveKit's
   * (its publish permissions), so a modified page cannot undo it.
   */
  async setMuted(
    id: string,
    muted: boolean,
    by: 'self' | 'moderator' | 'mute-all',
  ): Promise<'done' | 'locked' | 'missing'> {
    const p = this.phones.get(id);
    const w = this.webs.get(id);
    const who = p ?? w;
    if (!who) return 'missing';
    if (by === 'self' && !muted && who.mutedByModerator && !who.moderator) return 'locked';
    if (by === 'moderator') who.mutedByModerator = muted;
    if (p) this.muteCaller(p, muted);
    else if (w) {
      w.muted = muted;
      await w.media.setMuted(muted, by);
    }
    this.emit('changed');
    this.d.log.info({ roomId: this.roomId, participant: id, muted, by }, 'participant muted or unmuted');
    return 'done';
  }

  /**
   * A message in the group's chat, for every page here. A guest's own message comes back with the
   * page's txnId, matched by sender and text, so the page can mark its pending line as sent.
   */
  deliverChat(m: ChatMessage): void {
    // The bridge says whether the sender is one of our guests (its kind is ours alone); the
    // puppet's ID says which.
    const guest = m.senderKind === 'guest' ? parsePuppetUserId(m.sender) : undefined;
    for (const w of this.webs.values()) {
      let txnId: string | undefined;
      if (guest?.kind === 'guest' && guest.id === w.id) {
        const i = w.pendingChat.findIndex((p) => p.body === m.body);
        if (i >= 0) txnId = w.pendingChat.splice(i, 1)[0]?.txnId;
      }
      const line: ChatLine = {
        id: m.eventId,
        sender: m.sender,
        senderName: m.senderName,
        senderKind: m.senderKind,
        body: m.body,
        ...(m.html ? { html: m.html } : {}),
        ts: m.ts,
        ...(txnId ? { txnId } : {}),
      };
      w.send({ type: 'chat', message: line });
    }
  }

  /** Everyone here as the conference page shows them (callers' numbers masked). */
  view(): ParticipantView[] {
    const phones: ParticipantView[] = [...this.phones.values()].map((p) => ({
      id: p.id,
      kind: 'phone',
      name: phoneDisplayName(p.number),
      moderator: p.moderator,
      waiting: p.relay.mode !== 'mix',
      muted: p.relay.muted,
      level: Math.max(0, Math.min(1, (p.relay.level + 60) / 60)),
      media: this.d.mix.identity(p.id),
    }));
    const webs: ParticipantView[] = [...this.webs.values()].map((w) => ({
      id: w.id,
      kind: w.kind,
      name: w.name,
      ...(w.userId ? { userId: w.userId } : {}),
      moderator: w.moderator,
      waiting: !this.admitted(w),
      muted: w.muted,
      // Pages see who speaks from LiveKit's active speakers, not from us.
      level: 0,
      media: w.media.identity,
    }));
    return [...webs, ...phones];
  }

  private toLobby(p: PhoneParticipant, prompt: 'waiting' | 'on-hold'): void {
    p.relay.mode = 'lobby';
    p.relay.play(this.d.prompts.get('hold'), { loop: true });
    p.relay.play(this.d.prompts.get(prompt), { loop: false });
  }

  /**
   * `again`: the caller was in the mix a moment ago (a failed leg joined anew): no chime, no "has
   * joined"; `back`: from hold music after an interruption (the music stops). A leg whose room is
   * gone for now stays on hold until it is back (legRestored).
   */
  private async toMix(p: PhoneParticipant, o: { again?: boolean; back?: boolean } = {}): Promise<void> {
    if (!p.leg) {
      const leg = await this.d.mix.join({
        roomId: this.roomId,
        participantId: p.id,
        displayName: phoneDisplayName(p.number),
        relayPort: p.relay.mixPort,
        muted: p.relay.muted,
      });
      // The caller may have hung up while the leg was being set up.
      if (this.phones.get(p.id) !== p) {
        await leg.leave();
        return;
      }
      p.leg = leg;
      p.relay.setMix(leg.remote);
    }
    if (p.interrupted) return;
    p.relay.mode = 'mix';
    if (o.back) p.relay.stopPlayback({ music: true });
    if (o.again) return;
    p.relay.stopPlayback({ music: true });
    p.relay.play(this.d.prompts.get('join'), { loop: false });
    // The others hear who came in: the caller's recorded name, then "has joined".
    if (p.name && this.policy.announceNames) this.announceName(p, p.name, 'has-joined');
  }

  /**
   * The caller's recorded name and "has joined" / "has left" go into the mix in their place. A
   * muted caller's leg is opened for it (LiveKit drops a muted caller's audio, and would drop the
   * name with it); the relay sends nothing of the caller meanwhile.
   */
  private announceName(p: PhoneParticipant, name: Buffer, what: 'has-joined' | 'has-left'): void {
    p.relay.announce(Buffer.concat([name, this.d.prompts.get(what)]));
    if (!p.relay.muted || !p.leg) return;
    const leg = p.leg;
    leg.setMuted(false);
    p.relay.once('announced', () => {
      if (p.relay.muted && p.leg === leg) leg.setMuted(true);
    });
  }

  /** The caller's leg leaves the mix (or is forgotten, when the mix went away). */
  private async dropLeg(p: PhoneParticipant): Promise<void> {
    const leg = p.leg;
    if (!leg) return;
    p.leg = undefined;
    p.interrupted = false;
    p.relay.setMix(undefined);
    await leg.leave();
  }

  /** A caller whose leg could not join the mix hears why and is let go cleanly. */
  private failed(p: PhoneParticipant, err: unknown): void {
    this.d.log.error(
      { roomId: this.roomId, participant: p.id, err: (err as Error).message },
      'could not put the caller into the mix',
    );
    p.relay.mode = 'lobby';
    p.relay.stopPlayback({ music: true });
    p.relay.play(this.d.prompts.get('not-available'), { loop: false });
    p.relay.once('played', () => void this.removePhone(p.id, 'conference not available'));
  }

  /** A caller enters: waiting, or into the mix; one who cannot join the mix hears why. */
  async addPhone(p: PhoneParticipant): Promise<void> {
    try {
      await this.enter(p);
    } catch (err) {
      this.failed(p, err);
    }
  }

  /**
   * What the bridge shows in the room. Without the media plane nobody is in a mix: everyone
   * waits, and a conference that would run is on hold (media unavailable) until it is back.
   */
  snapshot(): ConferenceReport {
    const media = this.d.mix.available && this.d.browsers.available;
    const waiting = !this.started || !media;
    const status = reportedStatus(this.status, media);
    return {
      status,
      ...(media ? {} : { media: 'unavailable' as const }),
      participants: [
        ...[...this.phones.values()].map((p) => ({ id: p.id, kind: 'phone' as const, number: p.number, waiting })),
        ...[...this.webs.values()]
          .filter((w) => w.kind === 'guest')
          .map((w) => ({ id: w.id, kind: 'guest' as const, name: w.name, waiting })),
      ],
    };
  }

  private scheduleReport(): void {
    this.emit('changed');
    this.reporter.schedule();
  }

  /** Report now and wait for the bridge (shutdown; `whole` when the bridge may have missed some). */
  async flushReport(whole = false): Promise<void> {
    await this.reporter.flush(whole);
  }

  /** Guest access revoked: callers and guests go, members stay. */
  async endGuests(reason: string): Promise<void> {
    for (const id of [...this.phones.keys()]) await this.removePhone(id, reason);
    for (const w of [...this.webs.values()]) if (w.kind === 'guest') await this.removeWeb(w.id, 'revoked');
  }

  /** Everyone goes (group deleted, gateway stopping). */
  async end(reason: string, pageReason: 'deleted' | 'ended' = 'ended'): Promise<void> {
    for (const id of [...this.phones.keys()]) await this.removePhone(id, reason);
    for (const id of [...this.webs.keys()]) await this.removeWeb(id, pageReason);
  }
}
