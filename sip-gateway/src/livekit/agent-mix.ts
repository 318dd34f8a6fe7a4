// Callers on the LiveKit media plane: the media agent (a Go child process, see
// media-agent/README.md) brings each caller into the group's LiveKit room as a participant of its
// own and sends the caller the mix of everybody else. This class keeps the agent running
// (respawned with backoff when it dies) and turns its state into the CallerMix contract: legs
// are gone and 'down' is emitted when the agent dies or loses LiveKit; 'up' when both are back,
// and the conferences join their callers again.
import { EventEmitter } from 'node:events';
import type { Logger } from '@foyer/common';
import { callerIdentity, livekitRoomOf } from '@foyer/common/livekit';
import { z } from 'zod';
import type { CallerJoin, CallerMix, CallerMixEvents, MixLeg } from '../conference/mix.ts';
import { AgentProcess, type AgentEvent } from './agent-process.ts';

const joinAnswerSchema = z.looseObject({ port: z.number().int().min(1).max(65535), address: z.string().min(1) });
const configureAnswerSchema = z.looseObject({ livekit: z.enum(['up', 'down']) });

export interface AgentMixOptions {
  binary: string;
  livekit: { url: string; apiKey: string; apiSecret: string };
  serverName: string;
  /** The relay's mix-side sockets as the agent reaches them. */
  relayAddress: string;
  /** Where the agent binds its caller sockets, and their UDP range (default: OS ports). */
  bindAddress: string;
  portMin?: number;
  portMax?: number;
  log: Logger;
  /** Names the agent's hidden mixer participants (one gateway, one agent). */
  agentId: string;
  /** Extra environment for the agent (e.g. FOYER_MEDIA_AGENT_DEBUG=1); it gets nothing else of the gateway's. */
  env?: Record<string, string>;
  /** Respawn backoff after the agent dies (doubles up to the max). */
  restartMs?: { first: number; max: number };
}

export class AgentMix extends EventEmitter<CallerMixEvents> implements CallerMix {
  private readonly o: AgentMixOptions;
  private agent: AgentProcess | undefined;
  private configured = false;
  private livekitUp = false;
  private stopped = false;
  private backoffMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Legs joined on the current agent, by caller: a new agent has none of them. */
  private readonly legs = new Set<string>();
  /** Counters for /metrics: agent restarts, LiveKit outages seen, callers' room connections that broke. */
  readonly stats = { agentStarts: 0, agentExits: 0, livekitDown: 0, legsInterrupted: 0 };

  constructor(o: AgentMixOptions) {
    super();
    this.o = o;
    this.backoffMs = o.restartMs?.first ?? 1000;
  }

  /** Kept, not derived: an agent that just died must still count as "was available" for 'down'. */
  private isAvailable = false;

  get available(): boolean {
    return this.isAvailable;
  }

  /** Spawn and configure the agent; resolves once it answered (LiveKit may still be down). */
  async start(): Promise<void> {
    await this.spawn();
  }

  private async spawn(): Promise<void> {
    if (this.stopped) return;
    const log = this.o.log;
    const agent = new AgentProcess({
      binary: this.o.binary,
      // None of the gateway's secrets in the agent's environment: its keys come over the pipe.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...this.o.env },
      onLog: (line) => this.agentLog(line),
      onProtocolError: (line, reason) => log.error({ reason, line: line.slice(0, 200) }, 'media agent protocol error'),
    });
    this.agent = agent;
    this.stats.agentStarts++;
    agent.on('event', (e) => this.onEvent(agent, e));
    agent.once('exit', (code, signal) => this.onExit(agent, code, signal));
    try {
      const answer = configureAnswerSchema.parse(
        await agent.request('configure', {
          livekitUrl: this.o.livekit.url,
          apiKey: this.o.livekit.apiKey,
          apiSecret: this.o.livekit.apiSecret,
          agentId: this.o.agentId,
          bindAddress: this.o.bindAddress,
          ...(this.o.portMin !== undefined && this.o.portMax !== undefined
            ? { portMin: this.o.portMin, portMax: this.o.portMax }
            : {}),
        }),
      );
      this.backoffMs = this.o.restartMs?.first ?? 1000;
      log.info({ agentPid: agent.proc.pid, livekit: answer.livekit }, 'media agent running');
      this.transition(() => {
        this.configured = true;
        this.livekitUp = answer.livekit === 'up';
      });
    } catch (err) {
      log.error({ err: (err as Error).message, binary: this.o.binary }, 'media agent did not start');
      await agent.close();
    }
  }

  private onExit(agent: AgentProcess, code: number | null, signal: string | null): void {
    if (agent !== this.agent) return;
    this.stats.agentExits++;
    if (this.stopped) {
      this.agent = undefined;
      this.isAvailable = false;
      return;
    }
    this.o.log.error(
      { code, signal, restartInMs: this.backoffMs },
      'media agent exited: callers on hold until it is back',
    );
    this.transition(() => {
      this.agent = undefined;
      this.configured = false;
      this.livekitUp = false;
      this.legs.clear();
    });
    const max = this.o.restartMs?.max ?? 30_000;
    this.restartTimer = setTimeout(() => void this.spawn(), this.backoffMs);
    this.backoffMs = Math.min(max, this.backoffMs * 2);
  }

  /** Change state; 'down' or 'up' when that changes whether callers can join. */
  private transition(change: () => void): void {
    const was = this.isAvailable;
    change();
    this.isAvailable = this.configured && this.livekitUp && this.agent !== undefined;
    if (was && !this.available) {
      this.o.log.error('callers cannot join LiveKit now: on hold until they can');
      this.emit('down');
    } else if (!was && this.available) {
      this.o.log.info('callers can join LiveKit');
      this.emit('up');
    }
  }

  private setLivekit(up: boolean): void {
    if (!up && this.livekitUp) {
      this.stats.livekitDown++;
      this.o.log.error('LiveKit unreachable for the media agent');
    }
    this.transition(() => (this.livekitUp = up));
  }

  private onEvent(agent: AgentProcess, e: AgentEvent): void {
    if (agent !== this.agent) return;
    const log = this.o.log;
    switch (e.event) {
      case 'livekit_down':
        return this.setLivekit(false);
      case 'livekit_up':
        return this.setLivekit(true);
      case 'caller_failed':
        // The caller still hears the other callers (mixed locally), but the room never hears
        // them: the conference joins them again.
        log.error({ participant: e.caller, reason: e.reason }, 'caller could not join the LiveKit room');
        if (this.legs.has(e.caller)) this.emit('legFailed', e.caller);
        return;
      case 'caller_disconnected':
        log.warn({ participant: e.caller, reason: e.reason, rejoining: e.rejoining }, 'caller left the LiveKit room');
        // Rejoining: the room's node went away (the agent joins the caller again, maybe on another node).
        if (e.rejoining && this.legs.has(e.caller)) this.interrupted(e.caller);
        return;
      case 'caller_reconnecting':
        // The connection broke (the room's node died?): the SDK resumes or connects anew.
        log.warn({ participant: e.caller }, 'caller reconnecting to the LiveKit room');
        if (this.legs.has(e.caller)) this.interrupted(e.caller);
        return;
      case 'caller_connected':
        log.debug({ participant: e.caller }, 'caller in the LiveKit room');
        if (this.legs.has(e.caller)) this.emit('legRestored', e.caller);
        return;
      case 'caller_muted':
        // Someone with LiveKit's room service muted the caller (the gateway's own mutes come back too).
        if (this.legs.has(e.caller)) this.emit('mutedByMediaPlane', e.caller, e.muted);
        return;
      case 'remote_participants':
        return;
    }
  }

  /** A caller's room connection broke and the agent is getting it back: counted, and the conference holds the caller. */
  private interrupted(caller: string): void {
    this.stats.legsInterrupted++;
    this.emit('legInterrupted', caller);
  }

  /** The agent's own log lines, passed on at their level (they carry no secrets or numbers). */
  private agentLog(line: string): void {
    let entry: { level?: unknown; msg?: unknown } & Record<string, unknown>;
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      this.o.log.warn({ line: line.slice(0, 300) }, 'media agent');
      return;
    }
    const { level, msg, time, ...rest } = entry;
    void time;
    const text = `media agent: ${typeof msg === 'string' ? msg : ''}`;
    if (level === 'ERROR') this.o.log.error(rest, text);
    else if (level === 'WARN') this.o.log.warn(rest, text);
    else this.o.log.debug(rest, text);
  }

  identity(participantId: string): string {
    return callerIdentity(participantId, this.o.serverName);
  }

  async join(j: CallerJoin): Promise<MixLeg> {
    const agent = this.agent;
    if (!agent || !this.available) throw new Error('the LiveKit media plane is not available');
    const answer = joinAnswerSchema.parse(
      await agent.request('join', {
        conference: livekitRoomOf(j.roomId),
        caller: j.participantId,
        identity: callerIdentity(j.participantId, this.o.serverName),
        name: j.displayName,
        attributes: { 'foyer.kind': 'phone' },
        muted: j.muted,
        rtpTo: { address: this.o.relayAddress, port: j.relayPort },
      }),
    );
    this.legs.add(j.participantId);
    const caller = j.participantId;
    const log = this.o.log;
    return {
      remote: { address: answer.address, port: answer.port },
      setMuted: (muted) => {
        if (agent !== this.agent || !this.legs.has(caller)) return;
        agent
          .request('mute', { caller, muted })
          .catch((err: unknown) =>
            log.warn({ participant: caller, err: (err as Error).message }, 'media agent mute failed'),
          );
      },
      leave: async () => {
        if (agent !== this.agent || !this.legs.delete(caller)) return;
        await agent.request('leave', { caller }).catch(() => undefined);
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.agent?.close();
  }
}
