// The media agent (sip-gateway/media-agent, Go) as a child process: JSON-line requests with ids
// on its stdin, answers and events on its stdout, its own JSON log lines on stderr. This module
// only speaks the protocol; what the gateway does with it is agent-mix.ts's business.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { z } from 'zod';

/** What the agent reports unasked (media-agent/README.md, "Events"). */
export const agentEventSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('caller_connected'), caller: z.string() }),
  z.object({ event: z.literal('caller_reconnecting'), caller: z.string() }),
  z.object({ event: z.literal('caller_failed'), caller: z.string(), reason: z.string() }),
  z.object({
    event: z.literal('caller_disconnected'),
    caller: z.string(),
    reason: z.string(),
    rejoining: z.boolean(),
  }),
  z.object({ event: z.literal('caller_muted'), caller: z.string(), muted: z.boolean() }),
  z.object({ event: z.literal('livekit_down') }),
  z.object({ event: z.literal('livekit_up') }),
  z.object({
    event: z.literal('remote_participants'),
    conference: z.string(),
    participants: z.array(z.object({ identity: z.string(), name: z.string(), speaking: z.boolean() })),
  }),
]);
export type AgentEvent = z.infer<typeof agentEventSchema>;

const answerSchema = z.looseObject({ id: z.number(), error: z.string().optional() });

export class AgentError extends Error {
  override name = 'AgentError';
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface AgentProcessOptions {
  binary: string;
  env?: NodeJS.ProcessEnv;
  /** Each line the agent logs on stderr (JSON, no secrets); default: dropped. */
  onLog?: (line: string) => void;
  /** A line on stdout that is neither an answer nor a known event (a bug, never the caller's input). */
  onProtocolError?: (line: string, reason: string) => void;
}

export class AgentProcess extends EventEmitter<{
  event: [AgentEvent];
  exit: [code: number | null, signal: string | null];
}> {
  readonly proc: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited = false;

  constructor(o: AgentProcessOptions) {
    super();
    // Its own process group: a signal to the gateway's group (a stack stopping it) must not end
    // the agent before the gateway has let its callers go; the gateway's death closes the agent's
    // stdin, and EOF ends it.
    this.proc = spawn(o.binary, [], { stdio: ['pipe', 'pipe', 'pipe'], env: o.env ?? process.env, detached: true });
    // A write to a dead agent must fail the request, not the gateway.
    this.proc.stdin!.on('error', () => undefined);
    this.proc.on('error', (err) => this.finish(null, null, err));
    createInterface({ input: this.proc.stderr! }).on('line', (line) => o.onLog?.(line));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => this.onLine(line, o));
    this.proc.once('exit', (code, signal) => this.finish(code, signal));
  }

  get alive(): boolean {
    return !this.exited;
  }

  private onLine(line: string, o: AgentProcessOptions): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      o.onProtocolError?.(line, 'not JSON');
      return;
    }
    if (typeof msg === 'object' && msg !== null && 'event' in msg) {
      const ev = agentEventSchema.safeParse(msg);
      if (ev.success) this.emit('event', ev.data);
      else o.onProtocolError?.(line, 'unknown event');
      return;
    }
    const answer = answerSchema.safeParse(msg);
    const p = answer.success ? this.pending.get(answer.data.id) : undefined;
    if (!answer.success || !p) {
      o.onProtocolError?.(line, 'answer to no request');
      return;
    }
    this.pending.delete(answer.data.id);
    clearTimeout(p.timer);
    if (answer.data.error !== undefined) p.reject(new AgentError(answer.data.error));
    else p.resolve(answer.data);
  }

  /** One request; rejects on the agent's error, its exit, or no answer within `timeoutMs`. */
  request(method: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new AgentError(`media agent not running (${method})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AgentError(`media agent: no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.proc.stdin!.write(JSON.stringify({ id, method, ...params }) + '\n');
    });
  }

  private finish(code: number | null, signal: string | null, err?: Error): void {
    if (this.exited) return;
    this.exited = true;
    const why = err ? `media agent failed to run: ${err.message}` : 'media agent exited';
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new AgentError(why));
    }
    this.pending.clear();
    this.emit('exit', code, err ? err.message : signal);
  }

  /** Ends the agent: EOF first (every participant leaves), then signals if it lingers. */
  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.once('exit', () => r()));
    this.proc.stdin!.end();
    const t1 = setTimeout(() => this.proc.kill('SIGTERM'), 4000);
    const t2 = setTimeout(() => this.proc.kill('SIGKILL'), 8000);
    await gone;
    clearTimeout(t1);
    clearTimeout(t2);
  }
}
