import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runPinIvr, type IvrChannel, type PinCheck } from '../src/ivr/pin-ivr.ts';
import type { Prompts, PromptName } from '../src/ivr/prompts.ts';

/** A channel whose prompts "play" for a fixed time and which records what was said. */
class FakeChannel implements IvrChannel {
  readonly said: string[] = [];
  readonly digits = new EventEmitter<{ digit: [string] }>();
  private readonly played = new EventEmitter<{ played: [] }>();
  private timer: NodeJS.Timeout | undefined;
  private current: string | undefined;
  hungUp = false;

  play(sound: Buffer): void {
    this.current = sound.toString();
    this.said.push(this.current);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.finish(), 1000);
  }
  stopPlayback(): void {
    if (this.current) this.said.push(`(stopped ${this.current})`);
    this.finish();
  }
  private finish(): void {
    clearTimeout(this.timer);
    if (!this.current) return;
    this.current = undefined;
    this.played.emit('played');
  }
  playing(): boolean {
    return this.current !== undefined;
  }
  onPlayed(cb: () => void): () => void {
    this.played.on('played', cb);
    return () => this.played.off('played', cb);
  }
  ended(): boolean {
    return this.hungUp;
  }
  type(keys: string): void {
    for (const k of keys) this.digits.emit('digit', k);
  }
}

const prompts = { get: (name: PromptName) => Buffer.from(name) } as unknown as Prompts;

describe('PIN dialogue', () => {
  afterEach(() => vi.useRealTimers());

  function start(
    ch: FakeChannel,
    o: { typedAhead?: string[]; check?: (pin: string) => Promise<PinCheck<string>> } = {},
  ) {
    const failures: string[] = [];
    const result = runPinIvr(ch, {
      prompts,
      maxAttempts: 3,
      inputTimeoutMs: 10_000,
      check: async (pin) => {
        if (pin === '1234567890') return { kind: 'right', value: 'group' };
        failures.push(pin);
        return { kind: 'wrong' };
      },
      greet: false,
      ...o,
    });
    return { result, failures };
  }

  it('accepts the right PIN, typed ahead while the prompt plays (and cuts the prompt)', async () => {
    vi.useFakeTimers();
    const ch = new FakeChannel();
    const { result } = start(ch);
    await vi.advanceTimersByTimeAsync(300);
    ch.type('1234567890#');
    expect(await result).toEqual({ ok: true, value: 'group' });
    expect(ch.said).toEqual(['enter-pin', '(stopped enter-pin)']);
  });

  it('takes digits typed before it started (during the welcome)', async () => {
    vi.useFakeTimers();
    const ch = new FakeChannel();
    const { result } = start(ch, { typedAhead: [...'1234567890#'] });
    expect(await result).toEqual({ ok: true, value: 'group' });
  });

  it('says so after a wrong PIN, lets * start over, and gives up after three', async () => {
    vi.useFakeTimers();
    const ch = new FakeChannel();
    const { result, failures } = start(ch);
    await vi.advanceTimersByTimeAsync(1500);
    ch.type('99#');
    await vi.advanceTimersByTimeAsync(2500);
    ch.type('12*98#');
    await vi.advanceTimersByTimeAsync(2500);
    ch.type('#');
    await vi.advanceTimersByTimeAsync(1500);
    expect(await result).toEqual({ ok: false, reason: 'too-many-attempts' });
    expect(failures).toEqual(['99', '98']); // a lone # is no guess: it uses a try but is not checked
    expect(ch.said.filter((s) => !s.startsWith('('))).toEqual([
      'enter-pin',
      'wrong-pin',
      'enter-pin',
      'wrong-pin',
      'enter-pin',
      'too-many-attempts',
    ]);
  });

  it('hangs up after the input timeout', async () => {
    vi.useFakeTimers();
    const ch = new FakeChannel();
    const { result } = start(ch);
    await vi.advanceTimersByTimeAsync(1000 + 10_000 + 1500);
    expect(await result).toEqual({ ok: false, reason: 'timeout' });
    expect(ch.said).toEqual(['enter-pin', 'timeout']);
  });

  it('stops when the caller hangs up', async () => {
    vi.useFakeTimers();
    const ch = new FakeChannel();
    const { result } = start(ch);
    ch.hungUp = true;
    ch.type('1');
    expect(await result).toEqual({ ok: false, reason: 'hung-up' });
  });

  it('says goodbye at once when the throttle refuses an entry before it is checked', async () => {
    vi.useFakeTimers();
    const ch = new FakeChannel();
    const { result } = start(ch, { typedAhead: [...'55#'], check: async () => ({ kind: 'refused' }) });
    await vi.advanceTimersByTimeAsync(1500);
    expect(await result).toEqual({ ok: false, reason: 'throttled' });
    expect(ch.said).toEqual(['too-many-attempts']);
  });

  it('says "not available, try again" when the PIN cannot be checked (bridge away)', async () => {
    vi.useFakeTimers();
    const ch = new FakeChannel();
    const { result } = start(ch, { typedAhead: [...'55#'], check: async () => ({ kind: 'unavailable' }) });
    await vi.advanceTimersByTimeAsync(1500);
    expect(await result).toEqual({ ok: false, reason: 'unavailable' });
    expect(ch.said).toEqual(['not-available']);
  });
});
