// What happens to a phone call: throttle check, answer with our relay, the PIN dialogue, then
// the group's conference. Every way out ends the relay and, if needed, the call.
import { EventEmitter, once } from 'node:events';
import type { GroupInfo, Logger } from '@foyer/common';
import type { BridgeClient } from './bridge-client.ts';
import type { ConferenceManager } from './conference/manager.ts';
import { newParticipantId, type PhoneParticipant } from './conference/participants.ts';
import type { JanusService } from './janus/janus-service.ts';
import { runPinIvr, type IvrChannel } from './ivr/pin-ivr.ts';
import type { Prompts } from './ivr/prompts.ts';
import type { FailureThrottle } from './ivr/throttle.ts';
import type { UdpPortPool } from './media/ports.ts';
import { CallRelay } from './media/relay.ts';
import type { AudioOffer, IncomingCall } from './sip/types.ts';
import type { ActiveCallStore } from './store/active-calls.ts';

export interface CallHandlerDeps {
  log: Logger;
  pool: UdpPortPool;
  /** Our relay address as callers see it (SDP). */
  publicAddress: string;
  bridge: Pick<BridgeClient, 'lookupPin'>;
  conferences: ConferenceManager;
  janus: Pick<JanusService, 'connected'>;
  prompts: Prompts;
  throttle: FailureThrottle;
  maxPinAttempts: number;
  inputTimeoutMs: number;
  mediaTimeoutMs: number;
  activeCalls: ActiveCallStore;
}

const onHold = (o: AudioOffer) => o.direction === 'sendonly' || o.direction === 'inactive' || o.address === '0.0.0.0';

export class CallHandler {
  private readonly d: CallHandlerDeps;
  readonly active = new Set<IncomingCall>();
  /** Live relays with where their call is, for metrics. */
  readonly relays = new Map<CallRelay, { inConference: boolean }>();

  relayStats(): { mode: 'ivr' | 'lobby' | 'mix'; counters: CallRelay['counters'] }[] {
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
    const who = { callId: call.callId, caller: call.caller, source: call.source.address };
    // A function, not a narrowed property: the state changes while we await.
    const ended = () => call.state === 'ended';
    const throttled = this.d.throttle.check(call.caller);
    if (throttled) {
      log.warn({ ...who, event: 'pin_throttled', scope: throttled }, 'call refused: too many failed PIN entries');
      call.reject(403, 'Too many failed attempts');
      return;
    }
    const payloadType: 0 | 8 = call.offer.g711.includes(0) ? 0 : 8;
    const relay = await CallRelay.open({
      pool: this.d.pool,
      address: this.d.publicAddress,
      remote: { address: call.offer.address, port: call.offer.port },
      signalling: call.source.address,
      payloadType,
      telephoneEvent: call.offer.telephoneEvent,
      mediaTimeoutMs: this.d.mediaTimeoutMs,
    }).catch((err: unknown) => {
      log.error({ ...who, err: (err as Error).message }, 'no RTP port for the call');
      return undefined;
    });
    if (!relay) {
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
      this.active.delete(call);
      this.relays.delete(relay);
      relay.close();
      this.d.activeCalls.forget(call.callId).catch(() => undefined);
      const { participant } = joined;
      const conf = participant && this.d.conferences.find(participant.roomId);
      if (participant && conf)
        void conf.removePhone(participant.id, reason).then(() => this.d.conferences.sweep(conf.roomId));
      log.info({ ...who, reason }, 'call ended');
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
    const keep = (d: string) => {
      typedAhead.push(d);
      relay.stopPlayback();
    };
    digits.on('digit', keep);
    call.progress(local);
    if (this.d.janus.connected) {
      relay.play(this.d.prompts.get('welcome'), { loop: false });
      await settled(relay, 'played', 15_000);
    }
    digits.off('digit', keep);
    if (ended()) return;
    call.answer(local);
    this.d.activeCalls.remember(call.callId, call.snapshot()).catch((err: unknown) => {
      log.warn({ ...who, err: (err as Error).message }, 'could not record the call for a restart');
    });
    log.info({ ...who, trunk: call.trunk, codec: payloadType === 0 ? 'PCMU' : 'PCMA' }, 'call answered');

    if (!this.d.janus.connected) {
      await this.sayAndHangUp(call, relay, 'conference not available (Janus unreachable)');
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
    const result = await runPinIvr<GroupInfo>(channel, {
      prompts: this.d.prompts,
      maxAttempts: this.d.maxPinAttempts,
      inputTimeoutMs: this.d.inputTimeoutMs,
      greet: false,
      typedAhead,
      check: (pin) => this.d.bridge.lookupPin(pin),
      onFailure: () => {
        this.d.throttle.record(call.caller);
        log.warn({ ...who, event: 'pin_failed' }, 'wrong conference PIN');
      },
    });
    if (!result.ok) {
      if (!ended()) {
        relay.play(this.d.prompts.get('goodbye'), { loop: false });
        await settled(relay, 'played', 5000);
        call.hangup(result.reason);
      }
      return;
    }
    if (ended()) return;
    const group = result.value;
    const participant: PhoneParticipant = {
      id: newParticipantId(),
      kind: 'phone',
      roomId: group.roomId,
      number: call.caller,
      call,
      relay,
      keys: digits,
      moderator: false,
      joinedAt: Date.now(),
    };
    log.info({ ...who, roomId: group.roomId, participant: participant.id }, 'PIN accepted');
    joined.participant = participant;
    stats.inConference = true;
    await this.d.conferences.get(group.roomId).addPhone(participant);
  }

  private async sayAndHangUp(call: IncomingCall, relay: CallRelay, reason: string): Promise<void> {
    this.d.log.warn({ callId: call.callId, reason }, 'refusing the call with a spoken message');
    relay.play(this.d.prompts.get('not-available'), { loop: false });
    await settled(relay, 'played', 15_000);
    if (call.state !== 'ended') call.hangup(reason);
  }

  /** End every call (shutdown). */
  hangupAll(reason: string): void {
    for (const call of this.active) if (call.state !== 'ended') call.hangup(reason);
  }
}

/** Wait for a relay event, but never longer than the timeout. */
function settled(relay: CallRelay, event: 'played', timeoutMs: number): Promise<void> {
  return once(relay, event, { signal: AbortSignal.timeout(timeoutMs) }).then(
    () => undefined,
    () => undefined,
  );
}
