import { configSchema } from '@foyer/config';
import { describe, expect, it } from 'vitest';
import {
  blockMs,
  lobbyVerdict,
  PinGuard,
  pinVerdict,
  type GuardFacts,
  type PinGuardConfig,
} from '../src/ivr/pin-guard.ts';
import { AttemptThrottle, clientKey } from '../src/ivr/throttle.ts';

const quiet: GuardFacts = {
  known: false,
  callerFull: false,
  sourceBlocked: false,
  trunkBlocked: false,
  totalFull: false,
};

/** The shipped defaults (gateway.throttle), as docs/security.md states them. */
const cfg: PinGuardConfig = configSchema.shape.gateway.shape.throttle.parse(undefined);

describe('attempt throttle', () => {
  it('counts attempts in flight: a parallel burst meets the limit at once', () => {
    const t = new AttemptThrottle({ maxFailures: 5, windowSeconds: 60 });
    const started = Array.from({ length: 200 }, () => t.begin('1.2.3.4')).filter((a) => a !== undefined);
    expect(started).toHaveLength(5);
    expect(t.begin('5.6.7.8')).toBeDefined(); // others are not affected
  });

  it('takes back a released attempt, keeps a failed one, and forgets after the window', () => {
    let now = 0;
    const t = new AttemptThrottle({ maxFailures: 2, windowSeconds: 10 }, () => now);
    t.begin('k')?.release();
    t.begin('k')?.release();
    expect(t.count('k')).toBe(0);
    t.begin('k')?.fail();
    const second = t.begin('k');
    second?.fail();
    second?.release(); // settled once: the second call does nothing
    expect(t.count('k')).toBe(2);
    expect(t.begin('k')).toBeUndefined();
    now += 10_001;
    expect(t.begin('k')).toBeDefined();
  });

  it('caps attempts in flight per key', () => {
    const t = new AttemptThrottle({ maxFailures: 100, windowSeconds: 10, maxInFlight: 2 });
    const a = t.begin('k');
    t.begin('k');
    expect(t.begin('k')).toBeUndefined();
    a?.release();
    expect(t.begin('k')).toBeDefined();
  });

  it('groups IPv6 clients by /64 and strips IPv4-mapped prefixes', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
  });
});

describe('PIN verdict', () => {
  it('lets a quiet caller try at once', () => {
    expect(pinVerdict(quiet, 8000)).toEqual({ allow: true, pauseMs: 0 });
  });
  it('refuses a caller ID with too many failures, known or not', () => {
    expect(pinVerdict({ ...quiet, callerFull: true }, 8000)).toEqual({ allow: false, scope: 'caller' });
    expect(pinVerdict({ ...quiet, callerFull: true, known: true }, 8000)).toEqual({ allow: false, scope: 'caller' });
  });
  it('refuses newcomers from a blocked source or trunk, but not known callers', () => {
    expect(pinVerdict({ ...quiet, sourceBlocked: true }, 8000)).toEqual({ allow: false, scope: 'source' });
    expect(pinVerdict({ ...quiet, trunkBlocked: true }, 8000)).toEqual({ allow: false, scope: 'trunk' });
    expect(pinVerdict({ ...quiet, sourceBlocked: true, trunkBlocked: true, known: true }, 8000)).toEqual({
      allow: true,
      pauseMs: 0,
    });
  });
  it('slows newcomers when the total is full instead of shutting everybody out', () => {
    expect(pinVerdict({ ...quiet, totalFull: true }, 8000)).toEqual({ allow: true, pauseMs: 8000 });
    expect(pinVerdict({ ...quiet, totalFull: true, known: true }, 8000)).toEqual({ allow: true, pauseMs: 0 });
  });
  it('caps the lobby in total and per source (known callers pass the per-source cap)', () => {
    const lobby = { perSource: 2, total: 3 };
    expect(lobbyVerdict({ ...quiet, lobbyFromSource: 1, lobbyTotal: 1 }, lobby)).toBeUndefined();
    expect(lobbyVerdict({ ...quiet, lobbyFromSource: 2, lobbyTotal: 2 }, lobby)).toBe('lobby-source');
    expect(lobbyVerdict({ ...quiet, known: true, lobbyFromSource: 2, lobbyTotal: 2 }, lobby)).toBeUndefined();
    expect(lobbyVerdict({ ...quiet, known: true, lobbyFromSource: 0, lobbyTotal: 3 }, lobby)).toBe('lobby-total');
    expect(lobbyVerdict({ ...quiet, sourceBlocked: true, lobbyFromSource: 0, lobbyTotal: 0 }, lobby)).toBe('source');
  });
  it('doubles blocks up to the maximum', () => {
    const p = { firstMinutes: 10, maxHours: 24 };
    expect([1, 2, 3, 9, 20].map((l) => blockMs(l, p) / 60_000)).toEqual([10, 20, 40, 1440, 1440]);
  });
});

describe('PIN guard', () => {
  const attacker = { caller: '+4930111', source: '192.0.2.1', trunk: 'carrier' };

  it('stops a parallel flood from one source at the per-source limit, counted before any answer', () => {
    const g = new PinGuard(cfg);
    const starts = Array.from({ length: 200 }, (_, i) => g.beginAttempt({ ...attacker, caller: `+49${i}` }));
    expect(starts.filter((s) => s.allow)).toHaveLength(cfg.perSource.maxFailures);
  });

  it('blocks a failing source for newcomers, lets known callers and other trunks in, and escalates', () => {
    let now = 0;
    const g = new PinGuard(cfg, () => now);
    const regular = { caller: '+4930222', source: attacker.source, trunk: attacker.trunk };
    const s = g.beginAttempt(regular);
    if (!s.allow) throw new Error('refused');
    s.right();
    for (let i = 0; i < 10; i++) {
      const a = g.beginAttempt({ ...attacker, caller: `+49${i}` });
      if (a.allow) a.wrong();
    }
    expect(g.beginAttempt({ ...attacker, caller: '+49999' })).toEqual({ allow: false, scope: 'source' });
    expect(g.beginAttempt(regular).allow).toBe(true);
    expect(g.beginAttempt({ caller: '+4930333', source: '198.51.100.9', trunk: 'other' }).allow).toBe(true);
    // After the first block (10 min) newcomers may try again; ten more failures block for 20 min.
    now += 10 * 60_000 + 1;
    for (let i = 0; i < 10; i++) {
      const a = g.beginAttempt({ ...attacker, caller: `+48${i}` });
      expect(a.allow).toBe(true);
      if (a.allow) a.wrong();
    }
    now += 15 * 60_000;
    expect(g.beginAttempt({ ...attacker, caller: '+49997' }).allow).toBe(false);
    now += 5 * 60_000 + 1;
    expect(g.beginAttempt({ ...attacker, caller: '+49997' }).allow).toBe(true);
  });

  it('keeps blocking for the longest time while an attacker keeps coming back (the bound in docs/security.md)', () => {
    let now = 0;
    const g = new PinGuard(cfg, () => now);
    let checked = 0;
    // An attacker who tries as fast as the guard lets them, for 30 days.
    for (let t = 0; t < 30 * 24 * 60; t++) {
      now = t * 60_000;
      for (let i = 0; i < 50; i++) {
        const a = g.beginAttempt({ ...attacker, caller: `+49${t}${i}` });
        if (!a.allow) break;
        checked++;
        a.wrong();
      }
    }
    // 8 escalating blocks (10 min … 21 h 20 min), then one a day: 37 windows of 10 failures.
    expect(checked).toBeLessThanOrEqual(370);
    expect(checked).toBeGreaterThan(300);
  });

  it('a known caller who fails three times is a newcomer again', () => {
    const g = new PinGuard(cfg);
    const c = { caller: '+4930444', source: '203.0.113.5', trunk: 't' };
    const ok = g.beginAttempt(c);
    if (ok.allow) ok.right();
    for (let i = 0; i < 3; i++) {
      const a = g.beginAttempt(c);
      if (a.allow) a.wrong();
    }
    for (let i = 0; i < 7; i++) {
      const a = g.beginAttempt({ ...c, caller: `+4931${i}` });
      if (a.allow) a.wrong();
    }
    expect(g.beginAttempt(c)).toEqual({ allow: false, scope: 'source' });
  });

  it('an attempt that could not be checked does not count', () => {
    const g = new PinGuard({ ...cfg, perCaller: { maxFailures: 1, windowSeconds: 600 } });
    const a = g.beginAttempt(attacker);
    if (a.allow) a.undecided();
    expect(g.beginAttempt(attacker).allow).toBe(true);
  });

  it('holds lobby places until the lease is given back', () => {
    const g = new PinGuard({ ...cfg, lobby: { perSource: 2, total: 10 } });
    const a = g.enterLobby(attacker);
    const b = g.enterLobby(attacker);
    expect(g.enterLobby(attacker)).toEqual({ scope: 'lobby-source' });
    if ('lease' in a) {
      a.lease.leave();
      a.lease.leave(); // once
    }
    expect('lease' in g.enterLobby(attacker)).toBe(true);
    expect(g.enterLobby(attacker)).toEqual({ scope: 'lobby-source' });
    expect('lease' in b).toBe(true);
  });
});
