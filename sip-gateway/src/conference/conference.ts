// One group's conference: who is there, whether a moderator is, and what that means for each
// caller — waiting with hold music, in the Janus mix, or back on hold when the last moderator
// leaves. Every change is reported to the bridge, which mirrors it into the room.
import type { ConferenceReport, Logger } from '@foyer/common';
import type { JanusService } from '../janus/janus-service.ts';
import type { Prompts } from '../ivr/prompts.ts';
import type { BridgeClient } from '../bridge-client.ts';
import type { ConferenceRooms } from './rooms.ts';
import type { PhoneParticipant } from './participants.ts';
import { Keypad } from './keypad.ts';
import { EventEmitter } from 'node:events';
import { z } from 'zod';

export type ConferenceStatus = ConferenceReport['status'];

const joinAnswerSchema = z.looseObject({
  audiobridge: z.literal('joined'),
  id: z.number(),
  rtp: z.object({ ip: z.string(), port: z.number(), payload_type: z.number().optional() }).optional(),
});

export interface ConferenceDeps {
  rooms: ConferenceRooms;
  janus: JanusService;
  bridge: Pick<BridgeClient, 'reportConference'>;
  prompts: Prompts;
  log: Logger;
  /** Our relay's address as Janus sees it. */
  janusFacingAddress: string;
  reportDelayMs?: number;
}

export class ConferenceUnavailableError extends Error {
  override name = 'ConferenceUnavailableError';
}

export class Conference extends EventEmitter<{ changed: [] }> {
  readonly roomId: string;
  readonly phones = new Map<string, PhoneParticipant>();
  /** Connected moderators: connection ID → Matrix user ID. */
  readonly moderators = new Map<string, string>();
  private everModerated = false;
  private readonly d: ConferenceDeps;
  private reportTimer: NodeJS.Timeout | undefined;
  private work: Promise<unknown> = Promise.resolve();

  constructor(roomId: string, deps: ConferenceDeps) {
    super();
    this.roomId = roomId;
    this.d = deps;
  }

  get empty(): boolean {
    return this.phones.size === 0 && this.moderators.size === 0;
  }

  get moderated(): boolean {
    return this.moderators.size > 0;
  }

  get status(): ConferenceStatus {
    if (this.moderated) return 'running';
    if (this.phones.size === 0) return 'idle';
    return this.everModerated ? 'on_hold' : 'waiting';
  }

  /** Changes happen one after another, so joins and leaves never interleave halfway. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.work.then(fn, fn);
    this.work = next.catch(() => undefined);
    return next;
  }

  private enter(p: PhoneParticipant): Promise<void> {
    return this.serial(async () => {
      this.phones.set(p.id, p);
      const keypad = new Keypad();
      p.keys.on('digit', (key) => this.onKey(p, keypad.push(key)));
      this.d.log.info(
        { roomId: this.roomId, participant: p.id, moderated: this.moderated },
        'caller entered the conference',
      );
      if (this.moderated) await this.toMix(p);
      else this.toLobby(p, 'waiting');
      this.scheduleReport();
    });
  }

  removePhone(id: string, reason: string): Promise<void> {
    return this.serial(async () => {
      const p = this.phones.get(id);
      if (!p) return;
      this.phones.delete(id);
      p.keys.removeAllListeners('digit');
      await this.leaveMix(p);
      p.relay.close();
      if (p.call.state !== 'ended') p.call.hangup(reason);
      this.d.log.info({ roomId: this.roomId, participant: id, reason }, 'caller left the conference');
      this.scheduleReport();
    });
  }

  moderatorJoined(connectionId: string, userId: string): Promise<void> {
    return this.serial(async () => {
      const first = !this.moderated;
      this.moderators.set(connectionId, userId);
      this.everModerated = true;
      if (first) {
        this.d.log.info({ roomId: this.roomId, userId }, 'a moderator is here: conference running');
        for (const p of this.phones.values()) await this.toMix(p).catch((err: unknown) => this.failed(p, err));
      }
      this.scheduleReport();
    });
  }

  moderatorLeft(connectionId: string): Promise<void> {
    return this.serial(async () => {
      if (!this.moderators.delete(connectionId)) return;
      if (!this.moderated) {
        this.d.log.info({ roomId: this.roomId }, 'last moderator left: conference on hold');
        for (const p of this.phones.values()) this.toLobby(p, 'on-hold');
      }
      this.scheduleReport();
    });
  }

  /** Janus went away: its legs are gone. Callers wait with music until it is back. */
  janusLost(): Promise<void> {
    return this.serial(async () => {
      for (const p of this.phones.values()) {
        p.janus = undefined;
        p.relay.setJanus(undefined);
        if (p.relay.mode === 'mix') this.toLobby(p, 'on-hold');
      }
      this.emit('changed');
    });
  }

  /** Janus is back: rooms are recreated on demand and callers rejoin if a moderator is here. */
  janusBack(): Promise<void> {
    return this.serial(async () => {
      if (!this.moderated) return;
      for (const p of this.phones.values()) await this.toMix(p).catch((err: unknown) => this.failed(p, err));
      this.emit('changed');
    });
  }

  /** How many are in the conference: callers and connected members. */
  get headcount(): number {
    return this.phones.size + this.moderators.size;
  }

  private onKey(p: PhoneParticipant, command: ReturnType<Keypad['push']>): void {
    if (!command || !this.phones.has(p.id)) return;
    const say = (sound: Buffer) => p.relay.play(sound, { loop: false });
    switch (command) {
      case 'toggle-mute':
        p.relay.muted = !p.relay.muted;
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
        say(this.d.prompts.get('help'));
        return;
    }
  }

  setMuted(id: string, muted: boolean): boolean {
    const p = this.phones.get(id);
    if (!p) return false;
    p.relay.muted = muted;
    this.emit('changed');
    this.d.log.info({ roomId: this.roomId, participant: id, muted }, 'caller muted by a moderator');
    return true;
  }

  private toLobby(p: PhoneParticipant, prompt: 'waiting' | 'on-hold'): void {
    p.relay.mode = 'lobby';
    p.relay.play(this.d.prompts.get('hold'), { loop: true });
    p.relay.play(this.d.prompts.get(prompt), { loop: false });
  }

  private async toMix(p: PhoneParticipant): Promise<void> {
    if (!p.janus) {
      const room = await this.d.rooms.ensure(this.roomId);
      const handle = await this.d.janus.attach('janus.plugin.audiobridge');
      try {
        const { data } = await handle.message({
          request: 'join',
          room: room.janusRoom,
          display: `phone ${p.id}`,
          codec: 'pcmu',
          rtp: { ip: this.d.janusFacingAddress, port: p.relay.janusPort, payload_type: 0 },
        });
        const joined = joinAnswerSchema.safeParse(data);
        // Janus answers "joined" without an rtp object when its port range is exhausted.
        if (!joined.success || !joined.data.rtp)
          throw new ConferenceUnavailableError('Janus gave this leg no RTP port');
        p.janus = { handle, id: joined.data.id };
        p.relay.setJanus({ address: joined.data.rtp.ip, port: joined.data.rtp.port });
      } catch (err) {
        await handle.detach();
        throw err;
      }
    }
    p.relay.mode = 'mix';
    p.relay.stopPlayback({ music: true });
    p.relay.play(this.d.prompts.get('join'), { loop: false });
  }

  private async leaveMix(p: PhoneParticipant): Promise<void> {
    if (!p.janus) return;
    const { handle } = p.janus;
    p.janus = undefined;
    p.relay.setJanus(undefined);
    await handle.message({ request: 'leave' }).catch(() => undefined);
    await handle.detach();
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

  snapshot(): ConferenceReport {
    return {
      status: this.status,
      participants: [...this.phones.values()].map((p) => ({
        id: p.id,
        kind: 'phone' as const,
        number: p.number,
        waiting: !this.moderated,
      })),
    };
  }

  private scheduleReport(): void {
    this.emit('changed');
    if (this.reportTimer) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      this.d.bridge.reportConference(this.roomId, this.snapshot()).catch((err: unknown) => {
        this.d.log.warn(
          { roomId: this.roomId, err: (err as Error).message },
          'could not report the conference to the bridge',
        );
      });
    }, this.d.reportDelayMs ?? 100);
  }

  /** Report now (at shutdown and when ending). */
  async flushReport(): Promise<void> {
    clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    await this.d.bridge.reportConference(this.roomId, this.snapshot());
  }

  async end(reason: string): Promise<void> {
    for (const id of [...this.phones.keys()]) await this.removePhone(id, reason);
  }
}
