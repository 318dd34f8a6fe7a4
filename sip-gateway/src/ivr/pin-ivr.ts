// The lobby's dialogue: welcome, "enter the PIN, then #", check it, at most N tries, hang up
// after silence. Digits typed while a prompt plays count and cut the prompt short.
import type { EventEmitter } from 'node:events';
import type { Prompts, PromptName } from './prompts.ts';

/** What the IVR needs from a call: sounds out, digits in, a way to end it. */
export interface IvrChannel {
  play(sound: Buffer): void;
  stopPlayback(): void;
  digits: EventEmitter<{ digit: [string] }>;
  playing(): boolean;
  /** Subscribe to "the current prompt has ended"; returns the unsubscribe function. */
  onPlayed(cb: () => void): () => void;
  ended(): boolean;
}

export type IvrResult<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'timeout' | 'too-many-attempts' | 'hung-up' | 'throttled' | 'unavailable' };

/**
 * What checking one entry gave: right, wrong, refused before checking (too many attempts from
 * this caller, source or trunk), or not decided (the bridge could not be asked).
 */
export type PinCheck<T> =
  { kind: 'right'; value: T } | { kind: 'wrong' } | { kind: 'refused' } | { kind: 'unavailable' };

export interface PinIvrOptions<T> {
  prompts: Prompts;
  maxAttempts: number;
  inputTimeoutMs: number;
  /** Checks a PIN (the throttle's decision included). */
  check(pin: string): Promise<PinCheck<T>>;
  /** Play the welcome first (false when it already played as early media). */
  greet?: boolean;
  /** A lone # is an entry too (rooms without a PIN that still have a moderator PIN). */
  allowEmpty?: boolean;
  /** Digits the caller typed before the dialogue started. */
  typedAhead?: string[];
}

const MAX_DIGITS = 20;

export async function runPinIvr<T>(ch: IvrChannel, o: PinIvrOptions<T>): Promise<IvrResult<T>> {
  let entered = '';
  let pending: ((v: { kind: 'digit'; d: string } | { kind: 'timeout' } | { kind: 'played' }) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const queue: string[] = [...(o.typedAhead ?? [])];
  const onDigit = (d: string) => {
    queue.push(d);
    if (ch.playing()) ch.stopPlayback(); // type-ahead: the caller knows what to do
    flush();
  };
  const flush = () => {
    if (!pending) return;
    const d = queue.shift();
    if (d !== undefined) {
      const p = pending;
      pending = undefined;
      p({ kind: 'digit', d });
    }
  };
  ch.digits.on('digit', onDigit);

  /** The next thing that happens: a digit, the prompt's end, or the input timeout. */
  const next = (waitForPrompt: boolean) =>
    new Promise<{ kind: 'digit'; d: string } | { kind: 'timeout' } | { kind: 'played' }>((resolve) => {
      pending = resolve;
      flush();
      if (!pending) return;
      if (waitForPrompt && ch.playing()) {
        const off = ch.onPlayed(() => {
          off();
          if (pending === resolve) {
            pending = undefined;
            resolve({ kind: 'played' });
          }
        });
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (pending === resolve) {
          pending = undefined;
          resolve({ kind: 'timeout' });
        }
      }, o.inputTimeoutMs);
    });

  const say = (name: PromptName) => ch.play(o.prompts.get(name));
  const sayAndWait = async (name: PromptName) => {
    say(name);
    await new Promise<void>((resolve) => {
      if (!ch.playing()) return resolve();
      const off = ch.onPlayed(() => {
        off();
        resolve();
      });
    });
  };

  try {
    let attempts = 0;
    let promptQueued: PromptName | undefined = 'enter-pin';
    if (o.greet !== false) say('welcome');
    else if (queue.length === 0) {
      say('enter-pin');
      promptQueued = undefined;
    } else promptQueued = undefined;
    for (;;) {
      if (ch.ended()) return { ok: false, reason: 'hung-up' };
      const ev = await next(promptQueued !== undefined || ch.playing());
      if (ch.ended()) return { ok: false, reason: 'hung-up' };
      if (ev.kind === 'played') {
        if (promptQueued) {
          say(promptQueued);
          promptQueued = undefined;
        }
        continue;
      }
      if (ev.kind === 'timeout') {
        await sayAndWait('timeout');
        return { ok: false, reason: 'timeout' };
      }
      promptQueued = undefined;
      if (ev.d === '*') {
        entered = ''; // start over
        continue;
      }
      if (ev.d !== '#') {
        if (entered.length < MAX_DIGITS) entered += ev.d;
        continue;
      }
      const pin = entered;
      entered = '';
      queue.length = 0; // digits typed during the check belong to no PIN
      const found: PinCheck<T> = pin || o.allowEmpty ? await o.check(pin) : { kind: 'wrong' };
      if (ch.ended()) return { ok: false, reason: 'hung-up' };
      if (found.kind === 'right') return { ok: true, value: found.value };
      if (found.kind === 'refused') {
        await sayAndWait('too-many-attempts');
        return { ok: false, reason: 'throttled' };
      }
      if (found.kind === 'unavailable') {
        await sayAndWait('not-available');
        return { ok: false, reason: 'unavailable' };
      }
      attempts++;
      if (attempts >= o.maxAttempts) {
        await sayAndWait('too-many-attempts');
        return { ok: false, reason: 'too-many-attempts' };
      }
      say('wrong-pin');
      promptQueued = 'enter-pin';
    }
  } finally {
    clearTimeout(timer);
    ch.digits.off('digit', onDigit);
  }
}
