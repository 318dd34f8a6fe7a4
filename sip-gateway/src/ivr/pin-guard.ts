// Who may try a PIN, and when. Every attempt counts from the moment the caller presses #, per
// caller ID, per source address, per trunk and in total, before the bridge is asked. A source or
// trunk that fails too often is blocked for a while, twice as long each time; while blocked, only
// callers who have entered a right PIN before (from that trunk) get through. When the total
// fills, newcomers wait longer before each check instead of everybody being shut out.
// docs/security.md derives the resulting bound on guesses per month.
import { AttemptThrottle, clientKey, type Attempt, type WindowLimit } from './throttle.ts';

export interface PinGuardConfig {
  /** Failures per caller ID (anonymous callers: per source address). */
  perCaller: WindowLimit;
  /** Failures per source address and per trunk before it is blocked for newcomers. */
  perSource: WindowLimit;
  /** Failures over all callers before newcomers wait `pauseSeconds` before each check. */
  total: WindowLimit & { pauseSeconds: number };
  /** The first block lasts `firstMinutes`; each further one twice as long, at most `maxHours`. */
  penalty: { firstMinutes: number; maxHours: number };
  /** Calls in the PIN dialogue at once, per source address and in total. */
  lobby: { perSource: number; total: number };
  /** How long a caller who entered a right PIN stays known. */
  knownCallerDays: number;
}

/** Who is calling, as far as the network says. */
export interface CallerContext {
  caller: string | null;
  source: string;
  trunk: string;
}

export type GuardScope = 'caller' | 'source' | 'trunk' | 'lobby-source' | 'lobby-total';

/** The counts one decision rests on (pure input of `pinVerdict`). */
export interface GuardFacts {
  known: boolean;
  callerFull: boolean;
  sourceBlocked: boolean;
  trunkBlocked: boolean;
  totalFull: boolean;
}

export type PinVerdict = { allow: true; pauseMs: number } | { allow: false; scope: GuardScope };

/** May this caller try a PIN now, and after what pause? */
export function pinVerdict(f: GuardFacts, pauseMs: number): PinVerdict {
  // Per caller ID for everybody: a caller ID that fails is not trusted for being known.
  if (f.callerFull) return { allow: false, scope: 'caller' };
  if (f.known) return { allow: true, pauseMs: 0 };
  if (f.sourceBlocked) return { allow: false, scope: 'source' };
  if (f.trunkBlocked) return { allow: false, scope: 'trunk' };
  return { allow: true, pauseMs: f.totalFull ? pauseMs : 0 };
}

/** May this call enter the PIN dialogue at all? */
export function lobbyVerdict(
  f: GuardFacts & { lobbyFromSource: number; lobbyTotal: number },
  limits: PinGuardConfig['lobby'],
): GuardScope | undefined {
  if (f.lobbyTotal >= limits.total) return 'lobby-total';
  const verdict = pinVerdict(f, 0);
  if (!verdict.allow) return verdict.scope;
  if (!f.known && f.lobbyFromSource >= limits.perSource) return 'lobby-source';
  return undefined;
}

/** How long a key is blocked after its `level`-th full window. */
export function blockMs(level: number, penalty: PinGuardConfig['penalty']): number {
  const first = penalty.firstMinutes * 60_000;
  return Math.min(first * 2 ** Math.max(0, level - 1), penalty.maxHours * 3_600_000);
}

/** A key's escalating blocks: full windows in a row make them longer; a quiet day forgets them. */
class Penalties {
  private readonly window: AttemptThrottle;
  private readonly blocks = new Map<string, { level: number; until: number }>();
  private readonly cfg: PinGuardConfig;
  private readonly now: () => number;

  constructor(cfg: PinGuardConfig, now: () => number) {
    this.cfg = cfg;
    this.now = now;
    this.window = new AttemptThrottle(cfg.perSource, now);
  }

  blocked(key: string): boolean {
    const b = this.blocks.get(key);
    return (b !== undefined && b.until > this.now()) || this.window.full(key);
  }

  start(key: string): Attempt {
    const attempt = this.window.force(key);
    return {
      release: () => attempt.release(),
      fail: () => {
        attempt.fail();
        if (!this.window.full(key)) return;
        const now = this.now();
        const prev = this.blocks.get(key);
        // Forgiven only after a quiet spell as long as the longest block, counted from its end.
        const forgotten = !prev || now - prev.until > this.cfg.penalty.maxHours * 3_600_000;
        const level = forgotten ? 1 : prev.until > now ? prev.level : prev.level + 1;
        this.blocks.set(key, { level, until: Math.max(prev?.until ?? 0, now + blockMs(level, this.cfg.penalty)) });
        if (this.blocks.size > 10_000) this.blocks.delete(this.blocks.keys().next().value ?? key);
      },
    };
  }
}

/** A caller's place in the PIN dialogue; `leave` when the call is through or gone. */
export interface LobbyLease {
  leave(): void;
}

export type AttemptStart =
  | { allow: false; scope: GuardScope }
  | { allow: true; pauseMs: number; right(): void; wrong(): void; undecided(): void };

/** Failures of a known caller (since their last right PIN) after which they are a newcomer again. */
const KNOWN_CALLER_MAX_FAILURES = 3;
const MAX_KNOWN_CALLERS = 10_000;

export class PinGuard {
  private readonly cfg: PinGuardConfig;
  private readonly now: () => number;
  private readonly perCaller: AttemptThrottle;
  private readonly total: AttemptThrottle;
  private readonly penalties: Penalties;
  private readonly known = new Map<string, { since: number; failures: number }>();
  private readonly lobbyBySource = new Map<string, number>();
  private lobbyTotal = 0;

  constructor(cfg: PinGuardConfig, now: () => number = Date.now) {
    this.cfg = cfg;
    this.now = now;
    this.perCaller = new AttemptThrottle(cfg.perCaller, now);
    this.total = new AttemptThrottle(cfg.total, now);
    this.penalties = new Penalties(cfg, now);
  }

  private keys(c: CallerContext) {
    const source = clientKey(c.source);
    return {
      caller: c.caller ? `caller:${c.caller}` : `anonymous:${source}`,
      source: `source:${source}`,
      sourceAddress: source,
      trunk: `trunk:${c.trunk}`,
      known: c.caller ? `${c.trunk}\n${c.caller}` : undefined,
    };
  }

  private isKnown(key: string | undefined): boolean {
    if (!key) return false;
    const k = this.known.get(key);
    if (!k) return false;
    if (this.now() - k.since > this.cfg.knownCallerDays * 86_400_000) {
      this.known.delete(key);
      return false;
    }
    return true;
  }

  private facts(c: CallerContext): GuardFacts {
    const k = this.keys(c);
    return {
      known: this.isKnown(k.known),
      callerFull: this.perCaller.full(k.caller),
      sourceBlocked: this.penalties.blocked(k.source),
      trunkBlocked: this.penalties.blocked(k.trunk),
      totalFull: this.total.full('all'),
    };
  }

  /** A new call: may it enter the PIN dialogue? Refused calls get no lease. */
  enterLobby(c: CallerContext): { lease: LobbyLease } | { scope: GuardScope } {
    const source = this.keys(c).sourceAddress;
    const scope = lobbyVerdict(
      { ...this.facts(c), lobbyFromSource: this.lobbyBySource.get(source) ?? 0, lobbyTotal: this.lobbyTotal },
      this.cfg.lobby,
    );
    if (scope) return { scope };
    this.lobbyTotal++;
    this.lobbyBySource.set(source, (this.lobbyBySource.get(source) ?? 0) + 1);
    let left = false;
    return {
      lease: {
        leave: () => {
          if (left) return;
          left = true;
          this.lobbyTotal--;
          const n = (this.lobbyBySource.get(source) ?? 1) - 1;
          if (n > 0) this.lobbyBySource.set(source, n);
          else this.lobbyBySource.delete(source);
        },
      },
    };
  }

  /** The caller pressed #: count the attempt now, before the PIN is checked. */
  beginAttempt(c: CallerContext): AttemptStart {
    const verdict = pinVerdict(this.facts(c), this.cfg.total.pauseSeconds * 1000);
    if (!verdict.allow) return verdict;
    const k = this.keys(c);
    const parts = [
      this.perCaller.force(k.caller),
      this.penalties.start(k.source),
      this.penalties.start(k.trunk),
      this.total.force('all'),
    ];
    let done = false;
    const settle = (how: 'right' | 'wrong' | 'undecided') => {
      if (done) return;
      done = true;
      for (const p of parts) {
        if (how === 'wrong') p.fail();
        else p.release();
      }
      if (!k.known) return;
      if (how === 'right') {
        this.known.delete(k.known);
        this.known.set(k.known, { since: this.now(), failures: 0 });
        if (this.known.size > MAX_KNOWN_CALLERS) this.known.delete(this.known.keys().next().value ?? k.known);
      } else if (how === 'wrong') {
        const entry = this.known.get(k.known);
        if (entry && ++entry.failures >= KNOWN_CALLER_MAX_FAILURES) this.known.delete(k.known);
      }
    };
    return {
      allow: true,
      pauseMs: verdict.pauseMs,
      right: () => settle('right'),
      wrong: () => settle('wrong'),
      undecided: () => settle('undecided'),
    };
  }
}
