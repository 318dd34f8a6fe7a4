// The gateway's side of the media agent on a scripted stand-in (test/fixtures/fake-media-agent.mjs):
// requests and answers, the agent's errors, events checked against the protocol, a dead agent
// failing its requests; and the mix built on it: callers' legs, 'down' when the agent dies or
// loses LiveKit, a new agent started and 'up' again.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentProcess, type AgentEvent } from '../src/livekit/agent-process.ts';
import { callerIdentity } from '@foyer/common/livekit';
import { AgentMix } from '../src/livekit/agent-mix.ts';

const FAKE = fileURLToPath(new URL('./fixtures/fake-media-agent.mjs', import.meta.url));
const log = pino({ level: 'silent' });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function agent(): { a: AgentProcess; protocolErrors: string[]; events: AgentEvent[] } {
  const protocolErrors: string[] = [];
  const events: AgentEvent[] = [];
  const a = new AgentProcess({ binary: FAKE, onProtocolError: (_line, reason) => protocolErrors.push(reason) });
  a.on('event', (e) => events.push(e));
  closers.push(() => a.close());
  return { a, protocolErrors, events };
}

describe('AgentProcess', () => {
  it('answers requests by id, passes the agent’s errors on, and checks its events', async () => {
    const { a, protocolErrors, events } = agent();
    const [x, y] = await Promise.all([a.request('join', { caller: 'x' }), a.request('join', { caller: 'y' })]);
    expect([x.port, y.port]).toEqual([40000, 40001]);
    await expect(a.request('nonsense')).rejects.toThrow('unknown method nonsense');
    await a.request('emit', { event: { event: 'caller_connected', caller: 'x' } });
    await a.request('emit', { event: { event: 'caller_connected' } }); // no caller: refused
    await a.request('emit', { event: { event: 'made_up' } });
    await a.request('garbage');
    expect(events).toEqual([{ event: 'caller_connected', caller: 'x' }]);
    expect(protocolErrors).toEqual(['unknown event', 'unknown event', 'not JSON']);
  });

  it('a request without an answer times out; a dead agent fails what is pending and what comes', async () => {
    const { a } = agent();
    await expect(a.request('silent', {}, 200)).rejects.toThrow('no answer to silent within 200 ms');
    const pending = a.request('silent', {}, 10_000);
    const exited = once(a, 'exit');
    await expect(a.request('crash')).rejects.toThrow('media agent exited');
    await expect(pending).rejects.toThrow('media agent exited');
    expect((await exited)[0]).toBe(3);
    expect(a.alive).toBe(false);
    await expect(a.request('join')).rejects.toThrow('not running');
  });

  it('a binary that is not there fails its requests instead of throwing', async () => {
    const a = new AgentProcess({ binary: '/nonexistent/foyer-media-agent' });
    await expect(a.request('configure')).rejects.toThrow(/not running|failed to run|exited/);
  });
});

function mix(env: Record<string, string> = {}) {
  const m = new AgentMix({
    binary: FAKE,
    livekit: { url: 'ws://127.0.0.1:1', apiKey: 'key', apiSecret: 's'.repeat(32) },
    serverName: 'example.org',
    relayAddress: '127.0.0.1',
    bindAddress: '127.0.0.1',
    agentId: 'test',
    log,
    env,
    restartMs: { first: 50, max: 200 },
  });
  closers.push(() => m.stop());
  return m;
}

const join = {
  roomId: '!room:example.org',
  participantId: 'p1',
  displayName: '+49 •••• 789',
  relayPort: 5000,
  muted: true,
};

describe('AgentMix', () => {
  it('joins a caller with its room, identity, name and the relay’s address', async () => {
    const m = mix();
    await m.start();
    expect(m.available).toBe(true);
    const leg = await m.join(join);
    expect(leg.remote).toEqual({ address: '127.0.0.1', port: 40000 });
    expect(m.identity('p1')).toBe(callerIdentity('p1', 'example.org'));
    await leg.leave();
  });

  it('is not available while LiveKit is down, and says so when it comes', async () => {
    const m = mix({ FAKE_AGENT_LIVEKIT: 'down' });
    await m.start();
    expect(m.available).toBe(false);
    await expect(m.join(join)).rejects.toThrow('not available');
  });

  it('passes on a joined caller’s failure, interruption, return and a mute by LiveKit, not those of callers it does not have', async () => {
    const m = mix();
    await m.start();
    await m.join(join);
    const seen: string[] = [];
    const muted: [string, boolean][] = [];
    m.on('legFailed', (id) => seen.push(`failed ${id}`));
    m.on('legInterrupted', (id) => seen.push(`interrupted ${id}`));
    m.on('legRestored', (id) => seen.push(`restored ${id}`));
    m.on('mutedByMediaPlane', (id, on) => muted.push([id, on]));
    const agent = (m as unknown as { agent: AgentProcess }).agent;
    const emit = (event: Record<string, unknown>) => agent.request('emit', { event });
    for (const caller of ['p1', 'stranger']) {
      await emit({ event: 'caller_failed', caller, reason: 'could not connect' });
      await emit({ event: 'caller_muted', caller, muted: true });
      // Removed by the server: not rejoining, so no interruption (the conference hears of it otherwise).
      await emit({ event: 'caller_disconnected', caller, reason: 'removed', rejoining: false });
      await emit({ event: 'caller_disconnected', caller, reason: 'signal closed', rejoining: true });
      await emit({ event: 'caller_connected', caller });
      await emit({ event: 'caller_reconnecting', caller }); // the SDK resumes or connects anew
      await emit({ event: 'caller_connected', caller });
    }
    expect(seen).toEqual(['failed p1', 'interrupted p1', 'restored p1', 'interrupted p1', 'restored p1']);
    expect(m.stats.legsInterrupted).toBe(2);
    expect(muted).toEqual([['p1', true]]);
  });

  it('a dead agent: down at once, a new one started, up again; old legs are gone', async () => {
    const m = mix();
    await m.start();
    const leg = await m.join(join);
    const down = once(m, 'down');
    const up = once(m, 'up');
    // Kill the agent as a crash would.
    const pid = (m as unknown as { agent: AgentProcess }).agent.proc.pid!;
    process.kill(pid, 'SIGKILL');
    await down;
    expect(m.available).toBe(false);
    await up;
    expect(m.available).toBe(true);
    expect(m.stats).toMatchObject({ agentStarts: 2, agentExits: 1 });
    await leg.leave(); // a leg of the dead agent: nothing to do, no error
    const again = await m.join(join);
    expect(again.remote.port).toBe(40000); // the new agent's first port
  });
});
