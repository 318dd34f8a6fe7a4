// What happens to a phone call: throttle check, answer with our relay, the PIN dialogue, then
// the conference — a group's (the lobby number and the group's PIN) or a fixed room's (its own
// extension, its PIN or moderator PIN, and the caller's name when the room announces names).
// Every way out ends the relay and, if needed, the call.
import { EventEmitter } from 'node:events';
import { maskNumber, settledWithin, type Admission, type Logger } from '@foyer/common';
import type { BridgeClient } from './bridge-client.ts';
import { policyFrom } from './conference/conference.ts';
import type { ConferenceManager } from './conference/manager.ts';
import { newParticipantId, type PhoneParticipant } from './conference/participants.ts';
import type { CallerMix } from './conference/mix.ts';
import type { PinGuard } from './ivr/pin-guard.ts';
import { runPinIvr, type IvrChannel, type PinCheck } from './ivr/pin-ivr.ts';
import type { Prompts } from './ivr/prompts.ts';
import type { Relay, RelayHost } from './media/relay-host.ts';
import type { AudioOffer, IncomingCall } from './sip/types.ts';
import type { ActiveCallStore } from './store/active-calls.ts';

export interface CallHandlerDeps {
  log: Logger;
  /** Every call's RTP relay, run in the relay worker. */
  relays: Pick<RelayHost, 'open'>;
  /** Our relay address as callers see it (SDP). */
  publicAddress: string;
  bridge: Pick<BridgeClient, 'admit'>;
  conferences: ConferenceManager;
  /** Where callers are mixed: without it a caller hears "not available". */
  mix: Pick<CallerMix, 'available'>;
  prompts: Prompts;
  /** Who may try PINs, counted before each check (src/ivr/pin-guard.ts). */
  guard: PinGuard;
  maxPinAttempts: number;
  inputTimeoutMs: number;
  mediaTimeoutMs: number;
  activeCalls: ActiveCallStore;
}

/** Longest recorded name, and how long the caller has to start after the beep. */
const NAME_MAX_MS = 4000;

const onHold = (o: AudioOffer) => o.direction === 'sendonly' || o.direction === 'inactive' || o.address === '0.0.0.0';

export class CallHandler {
  private readonly d: CallHandlerDeps;
  readonly active = new Set<IncomingCall>();
  /** Live relays with where their call is, for metrics. */
  readonly relays = new Map<Relay, { inConference: boolean }>();

  relayStats(): { mode: 'ivr' | 'lobby' | 'mix'; counters: Relay['counters'] }[] {
    return [...this.relays].map(([r, s]) => ({ mode: s.inConference ? r.mode : 'ivr', counters: r.counters }));
  }

  constructor(deps: CallHandlerDeps) {
    this.d = deps;
  }

  handle(call: IncomingCall): void {
    this.run(call).catch((err: unknown) => {
      this.d.log.error({ callId: call.callId, err: (err as Error).message }, 'call handling failed');
      if (call.state !== 'ended') call.hangup('internal error');
    });
  }

  private async run(call: IncomingCall): Promise<void> {
    const { log } = this.d;
    // Numbers in logs are masked as the rooms show them; the source address stays (fail2ban).
    const who = { callId: call.callId, caller: call.caller && maskNumber(call.caller), source: call.source.address };
    // A function, not a narrowed property: the state changes while we await.
    const ended = () => call.state === 'ended';
    const guarded = { caller: call.caller, source: call.source.address, trunk: call.trunk };
    const entry = this.d.guard.enterLobby(guarded);
    if ('scope' in entry) {
      const busy = entry.scope === 'lobby-source' || entry.scope === 'lobby-total';
      log.warn(
        { ...who, trunk: call.trunk, event: 'pin_throttled', scope: entry.scope },
        busy ? 'call refused: too many calls in the PIN dialogue' : 'call refused: too many failed PIN entries',
      );
      if (busy) call.reject(503, 'Too many calls at once');
      else call.reject(403, 'Too many failed attempts');
      return;
    }
    const lobby = entry.lease;
    const payloadType: 0 | 8 = call.offer.g711.includes(0) ? 0 : 8;
    const relay = await this.d.relays
      .open({
        address: this.d.publicAddress,
        remote: { address: call.offer.address, port: call.offer.port },
        signalling: call.source.address,
        payloadType,
        telephoneEvent: call.offer.telephoneEvent,
        mediaTimeoutMs: this.d.mediaTimeoutMs,
      })
      .catch((err: unknown) => {
        log.error({ ...who, err: (err as Error).message }, 'no RTP port for the call');
        return undefined;
      });
    if (!relay) {
      lobby.leave();
      call.reject(503, 'No media port available');
      return;
    }
    this.active.add(call);
    const stats = { inConference: false };
    this.relays.set(relay, stats);
    const digits = new EventEmitter<{ digit: [string] }>();
    relay.on('dtmf', (d) => digits.emit('digit', d));
    relay.once('timeout', () => {
      log.warn({ ...who }, 'no audio from the caller: hanging up');
      if (call.state !== 'ended') call.hangup('media timeout');
    });
    call.on('info', (d) => digits.emit('digit', d));
    call.on('reinvite', (offer) => {
      relay.setRemote({ address: offer.address, port: offer.port });
      relay.heldByCaller = onHold(offer);
      log.info({ ...who, hold: onHold(offer) }, 'caller changed media (re-INVITE)');
    });
    // Set once the PIN is accepted; read when the call ends.
    const joined: { participant?: PhoneParticipant } = {};
    call.once('ended', (reason) => {
      lobby.leave();
      this.active.delete(call);
      this.relays.delete(relay);
      this.d.activeCalls.forget(call.callId).catch(() => undefined);
      const { participant } = joined;
      const conf = participant && this.d.conferences.find(participant.roomId);
      // In a conference, leaving may still announce the caller's name: the conference closes the relay.
      if (participant && conf)
        void conf.removePhone(participant.id, reason).then(() => this.d.conferences.sweep(conf.roomId));
      else relay.close();
      log.info({ ...who, reason }, 'call ended');
    });

    // The dialled number picks the way in (the bridge decides: a fixed room's own extension, else
    // the lobby); asked now, answered while the welcome plays.
    const lobbyWay: Admission = { decision: 'ask-pin', extension: null, allowEmpty: false };
    const wayIn = this.d.bridge.admit({ way: 'call', dialled: call.dialled }).catch((err: unknown) => {
      log.warn({ ...who, err: (err as Error).message }, 'the bridge did not say where this number leads: the lobby');
      return lobbyWay;
    });

    // The welcome plays as early media (183), so a caller who hangs up during it cancels the
    // call; digits typed meanwhile are kept for the PIN.
    const local = {
      address: this.d.publicAddress,
      port: relay.callerPort,
      payloadType,
      telephoneEvent: call.offer.telephoneEvent,
    };
    const typedAhead: string[] = [];
    const typing = new EventEmitter<{ typed: [] }>();
    const keep = (d: string) => {
      typedAhead.push(d);
      relay.stopPlayback();
      typing.emit('typed');
    };
    digits.on('digit', keep);
    call.progress(local);
    if (this.d.mix.available) {
      relay.play(this.d.prompts.get('welcome'), { loop: false });
      // Typing ahead cuts the welcome short: the call is answered at once, not when it would have ended.
      await Promise.race([settledWithin(relay, 'played', 15_000), settledWithin(typing, 'typed', 15_000)]);
    }
    digits.off('digit', keep);
    if (ended()) return;
    call.answer(local);
    this.d.activeCalls.remember(call.callId, call.snapshot()).catch((err: unknown) => {
      log.warn({ ...who, err: (err as Error).message }, 'could not record the call for a restart');
    });
    log.info({ ...who, trunk: call.trunk, codec: payloadType === 0 ? 'PCMU' : 'PCMA' }, 'call answered');

    if (!this.d.mix.available) {
      await this.sayAndHangUp(call, relay, 'conference not available (media agent or LiveKit down)');
      return;
    }

    const channel: IvrChannel = {
      play: (s) => relay.play(s, { loop: false }),
      stopPlayback: () => relay.stopPlayback(),
      digits,
      playing: () => relay.playing,
      onPlayed: (cb) => {
        relay.on('played', cb);
        return () => relay.off('played', cb);
      },
      ended,
    };
    const way = await wayIn;
    const accepted = (a: Admission) => (a.decision === 'accept' ? a : undefined);
    const result =
      way.decision === 'ask-pin'
        ? await runPinIvr(channel, {
            prompts: this.d.prompts,
            maxAttempts: this.d.maxPinAttempts,
            inputTimeoutMs: this.d.inputTimeoutMs,
            greet: false,
            typedAhead,
            allowEmpty: way.allowEmpty,
            check: (pin) =>
              this.checkPin(guarded, who, way.extension ?? undefined, ended, () =>
                this.d.bridge.admit({ way: 'pin', extension: way.extension, pin }).then(accepted),
              ),
          })
        : way.decision === 'accept'
          ? ({ ok: true, value: way } as const)
          : ({ ok: false, reason: 'unavailable' } as const);
    lobby.leave();
    if (!result.ok) {
      if (!ended()) {
        relay.play(this.d.prompts.get('goodbye'), { loop: false });
        await settledWithin(relay, 'played', 5000);
        call.hangup(result.reason);
      }
      return;
    }
    if (ended()) return;
    const { roomId } = result.value;
    const moderator = result.value.role === 'moderator';
    const conference = this.d.conferences.get(roomId);
    conference.policy = policyFrom(result.value.policy, this.d.prompts, log);
    const refused = conference.admission(moderator);
    if (refused) {
      log.info({ ...who, roomId, refused }, 'caller not let in');
      relay.play(this.d.prompts.get(refused === 'locked' ? 'conference-locked' : 'conference-full'), { loop: false });
      await settledWithin(relay, 'played', 10_000);
      if (!ended()) call.hangup(refused === 'locked' ? 'conference locked' : 'conference full');
      return;
    }
    const name = result.value.policy.announceNames ? await this.recordName(relay, digits, ended) : undefined;
    if (ended()) return;
    const participant: PhoneParticipant = {
      id: newParticipantId(),
      kind: 'phone',
      roomId,
      number: call.caller,
      call,
      relay,
      keys: digits,
      moderator,
      ...(name ? { name } : {}),
      joinedAt: Date.now(),
    };
    log.info({ ...who, roomId, participant: participant.id, moderator }, 'PIN accepted');
    joined.participant = participant;
    stats.inConference = true;
    await conference.addPhone(participant);
  }

  /**
   * One PIN entry: counted by the guard before it is checked (a refused one is not checked at
   * all), paused when the guard says so, then asked of the bridge. A bridge that cannot answer
   * decides nothing: the caller hears "not available, try again later".
   */
  private async checkPin<T>(
    guarded: Parameters<PinGuard['beginAttempt']>[0],
    who: Record<string, unknown>,
    extension: string | undefined,
    ended: () => boolean,
    lookup: () => Promise<T | undefined>,
  ): Promise<PinCheck<T>> {
    const { log } = this.d;
    const attempt = this.d.guard.beginAttempt(guarded);
    if (!attempt.allow) {
      log.warn(
        { ...who, trunk: guarded.trunk, event: 'pin_throttled', scope: attempt.scope },
        'PIN entry refused unchecked: too many failed entries',
      );
      return { kind: 'refused' };
    }
    if (attempt.pauseMs > 0) await new Promise((r) => setTimeout(r, attempt.pauseMs));
    if (ended()) {
      attempt.undecided();
      return { kind: 'wrong' };
    }
    let found: T | undefined;
    try {
      found = await lookup();
    } catch (err) {
      attempt.undecided();
      log.error({ ...who, err: (err as Error).message }, 'PIN could not be checked: the bridge did not answer');
      return { kind: 'unavailable' };
    }
    if (found !== undefined) {
      attempt.right();
      return { kind: 'right', value: found };
    }
    attempt.wrong();
    log.warn({ ...who, trunk: guarded.trunk, event: 'pin_failed', extension }, 'wrong conference PIN');
    return { kind: 'wrong' };
  }

  /** "Say your name after the tone, then #": up to a few seconds of the caller's voice. */
  private async recordName(
    relay: Relay,
    digits: EventEmitter<{ digit: [string] }>,
    ended: () => boolean,
  ): Promise<Buffer | undefined> {
    relay.play(this.d.prompts.get('say-name'), { loop: false });
    await settledWithin(relay, 'played', 15_000);
    if (ended()) return undefined;
    relay.play(this.d.prompts.get('beep'), { loop: false });
    await settledWithin(relay, 'played', 2000);
    relay.startRecording(NAME_MAX_MS);
    const hash = new Promise<void>((resolve) => {
      const onDigit = (d: string) => {
        if (d !== '#') return;
        digits.off('digit', onDigit);
        resolve();
      };
      digits.on('digit', onDigit);
      setTimeout(() => {
        digits.off('digit', onDigit);
        resolve();
      }, NAME_MAX_MS).unref();
    });
    await hash;
    const name = await relay.stopRecording();
    return name.length >= 1600 ? name : undefined; // under 0.2 s: nothing said
  }

  private async sayAndHangUp(call: IncomingCall, relay: Relay, reason: string): Promise<void> {
    this.d.log.warn({ callId: call.callId, reason }, 'refusing the call with a spoken message');
    relay.play(this.d.prompts.get('not-available'), { loop: false });
    await settledWithin(relay, 'played', 15_000);
    if (call.state !== 'ended') call.hangup(reason);
  }

  /** End every call (shutdown). */
  hangupAll(reason: string): void {
    for (const call of this.active) if (call.state !== 'ended') call.hangup(reason);
  }
}
