// Virtual users' joins and leaves against a gated fake homeserver: a few requests in flight per
// room, other rooms not waiting, the latest wish counting (a caller gone before their join began
// costs nothing), one user's join before their leave, and three requests per joining caller.
import { describe, expect, it } from 'vitest';
import { createLogger } from '@foyer/common';
import { Presence } from '../src/groups/presence.ts';

function gatedApi() {
  const calls: string[] = [];
  let open = new Set<string>();
  const waiting: { room: string; go: () => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const step = async (room: string, what: string) => {
    calls.push(what);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (!open.has(room)) await new Promise<void>((go) => waiting.push({ room, go }));
    inFlight--;
  };
  return {
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
    release(room: string) {
      open = new Set([...open, room]);
      for (const w of waiting.splice(0))
        if (w.room === room) w.go();
        else waiting.push(w);
    },
    api: {
      registerVirtualUser: async (localpart: string) => void calls.push(`register ${localpart}`),
      invite: (room: string, user: string) => step(room, `invite ${room} ${user}`),
      join: async (room: string, user: string | undefined, content?: { displayname?: string }) =>
        step(room, `join ${room} ${user} ${content?.displayname ?? '-'}`),
      leave: (room: string, user: string | undefined) => step(room, `leave ${room} ${user}`),
    },
  };
}

const log = createLogger('test', 'silent');
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('virtual users’ presence', () => {
  it('keeps a few requests in flight per room and lets other rooms through', async () => {
    const g = gatedApi();
    const p = new Presence({ api: g.api, log, localpartOf: (u) => u.slice(1, u.indexOf(':')), perRoom: 2 });
    for (let i = 0; i < 10; i++) p.join('!busy', `@u${i}:x`, `U${i}`);
    p.join('!calm', '@c:x', 'C');
    g.release('!calm');
    await tick();
    expect(g.calls).toContain('join !calm @c:x C');
    expect(g.calls.filter((c) => c.startsWith('invite !busy'))).toHaveLength(2);
    g.release('!busy');
    await p.idle();
    expect(g.calls.filter((c) => c.startsWith('join !busy'))).toHaveLength(10);
    expect(g.maxInFlight).toBeLessThanOrEqual(3); // two of !busy, one of !calm
  });

  it('skips a join and leave that both came before the join began; orders one user’s join and leave', async () => {
    const g = gatedApi();
    const p = new Presence({ api: g.api, log, localpartOf: (u) => u.slice(1, u.indexOf(':')), perRoom: 1 });
    p.join('!r', '@first:x', 'First');
    p.join('!r', '@brief:x', 'Brief');
    p.leave('!r', '@brief:x'); // gone before their join began
    await tick();
    p.leave('!r', '@first:x'); // while their join is under way
    g.release('!r');
    await p.idle();
    expect(g.calls.filter((c) => c.includes('brief'))).toEqual([]);
    expect(g.calls).toEqual(['register first', 'invite !r @first:x', 'join !r @first:x First', 'leave !r @first:x']);
  });

  it('costs a joining caller three requests, the register only once per user', async () => {
    const g = gatedApi();
    g.release('!a');
    g.release('!b');
    const p = new Presence({ api: g.api, log, localpartOf: (u) => u.slice(1, u.indexOf(':')) });
    p.join('!a', '@v:x', 'V');
    await p.idle();
    p.join('!b', '@v:x', 'V');
    await p.idle();
    expect(g.calls).toEqual(['register v', 'invite !a @v:x', 'join !a @v:x V', 'invite !b @v:x', 'join !b @v:x V']);
  });

  it('joins the call after the room and leaves it before the room; a waiting participant is out of the call', async () => {
    const g = gatedApi();
    g.release('!r');
    const calls = {
      join: async (room: string, user: string, device: string) => void g.calls.push(`call ${room} ${user} ${device}`),
      leave: async (room: string, user: string) => void g.calls.push(`uncall ${room} ${user}`),
    };
    const p = new Presence({ api: g.api, log, localpartOf: (u) => u.slice(1, u.indexOf(':')), calls });
    p.join('!r', '@v:x', 'V', 'FOYER_PHONE');
    await p.idle();
    p.join('!r', '@v:x', 'V'); // waiting again: out of the call, still in the room
    await p.idle();
    p.join('!r', '@v:x', 'V', 'FOYER_PHONE');
    await p.idle();
    p.leave('!r', '@v:x');
    await p.idle();
    expect(g.calls).toEqual([
      'register v',
      'invite !r @v:x',
      'join !r @v:x V',
      'call !r @v:x FOYER_PHONE',
      'uncall !r @v:x',
      'call !r @v:x FOYER_PHONE',
      'uncall !r @v:x',
      'leave !r @v:x',
    ]);
  });

  it('a call membership that fails is logged; the join stands', async () => {
    const g = gatedApi();
    g.release('!r');
    const calls = {
      join: async () => Promise.reject(new Error('M_FORBIDDEN')),
      leave: async () => undefined,
    };
    const p = new Presence({ api: g.api, log, localpartOf: (u) => u.slice(1, u.indexOf(':')), calls });
    p.join('!r', '@v:x', 'V', 'FOYER_PHONE');
    await p.idle();
    expect(g.calls).toContain('join !r @v:x V');
  });
});
