// The page's LiveKit token request: answered by rid, failed by an error with that rid or by
// silence, and tried again a few times before the person is told.
import type { ClientMessage } from '@foyer/common/conference-protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MediaFailure, retryOrGiveUp, TokenRequests, type Signalling } from '../src/conference/media-token.ts';

function signalling(connected = true) {
  const sent: ClientMessage[] = [];
  let rid = 0;
  const s = {
    send: vi.fn((message: ClientMessage) => {
      if (connected) sent.push(message);
      return connected;
    }),
    nextRid: () => ++rid,
    notify: vi.fn<Signalling['notify']>(),
  };
  return { s, sent };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenRequests', () => {
  it('asks with a fresh rid and resolves with the answer to that rid only', async () => {
    const { s, sent } = signalling();
    const tokens = new TokenRequests(s);
    const first = tokens.request();
    const second = tokens.request();
    expect(sent).toEqual([
      { type: 'media.token', rid: 1 },
      { type: 'media.token', rid: 2 },
    ]);
    expect(tokens.answer({ type: 'media.livekit', rid: 2, url: 'wss://lk', token: 'two' })).toBe(true);
    await expect(second).resolves.toEqual({ url: 'wss://lk', token: 'two' });
    // An answer nothing waits for (any more) is not taken.
    expect(tokens.answer({ type: 'media.livekit', rid: 2, url: 'wss://lk', token: 'again' })).toBe(false);
    expect(tokens.fail(9, new MediaFailure('not_admitted', 'waiting'))).toBe(false);
    expect(tokens.fail(1, new MediaFailure('not_admitted', 'waiting'))).toBe(true);
    await expect(first).rejects.toMatchObject({ code: 'not_admitted', retryable: false });
  });

  it('fails when the gateway is silent, when not connected, and on a reset', async () => {
    const tokens = new TokenRequests(signalling().s);
    const silent = tokens.request();
    const assertion = expect(silent).rejects.toMatchObject({ code: 'timeout', retryable: true });
    await vi.advanceTimersByTimeAsync(20_000);
    await assertion;

    await expect(new TokenRequests(signalling(false).s).request()).rejects.toMatchObject({ code: 'unavailable' });

    const pending = tokens.request();
    tokens.failAll(new MediaFailure('not_admitted', 'media reset'));
    await expect(pending).rejects.toMatchObject({ code: 'not_admitted' });
  });
});

describe('retryOrGiveUp', () => {
  it('tries again after 1, 2 and 4 s, then gives up and tells the person', async () => {
    const { s } = signalling();
    const again = vi.fn();
    const giveUp = vi.fn();
    const failure = new MediaFailure('timeout', 'no answer');
    const o = { again, giveUp, current: () => true };
    for (const [attempt, delay] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
    ] as const) {
      retryOrGiveUp(s, failure, attempt, 'audio', o);
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(again).toHaveBeenCalledTimes(attempt - 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(again).toHaveBeenCalledTimes(attempt);
    }
    expect(s.notify).not.toHaveBeenCalled();
    retryOrGiveUp(s, failure, 4, 'audio', o);
    expect(giveUp).toHaveBeenCalledOnce();
    expect(s.notify).toHaveBeenCalledWith('timeout', 'no answer', 'audio');
  });

  it('gives up at once when the page is not admitted, and drops a retry abandoned meanwhile', async () => {
    const { s } = signalling();
    const giveUp = vi.fn();
    retryOrGiveUp(s, new MediaFailure('not_admitted', 'waiting'), 1, 'audio', {
      again: vi.fn(),
      giveUp,
      current: () => true,
    });
    expect(giveUp).toHaveBeenCalledOnce();
    const again = vi.fn();
    retryOrGiveUp(s, new MediaFailure('unavailable', 'lost'), 1, 'audio', { again, giveUp, current: () => false });
    await vi.advanceTimersByTimeAsync(5000);
    expect(again).not.toHaveBeenCalled();
  });
});
