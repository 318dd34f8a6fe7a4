// The shared serial queues (common/src/serial.ts): one queue, and queues by key.
import { describe, expect, it } from 'vitest';
import { keyedSerialQueue, serialQueue } from '@foyer/common';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('serialQueue', () => {
  it('runs work one after another, after failures too', async () => {
    const q = serialQueue();
    const log: string[] = [];
    const a = q(async () => {
      await tick(10);
      log.push('a');
      throw new Error('a failed');
    });
    const b = q(async () => {
      log.push('b');
      return 2;
    });
    await expect(a).rejects.toThrow('a failed');
    expect(await b).toBe(2);
    expect(log).toEqual(['a', 'b']);
  });
});

describe('keyedSerialQueue', () => {
  it('runs one key’s work in order, whatever settles first', async () => {
    const q = keyedSerialQueue();
    const log: string[] = [];
    const slow = q('!a', async () => {
      await tick(20);
      log.push('a1');
    });
    const fast = q('!a', async () => {
      log.push('a2');
      return 'done';
    });
    await slow;
    expect(await fast).toBe('done');
    expect(log).toEqual(['a1', 'a2']);
  });

  it('keys do not wait for each other', async () => {
    const q = keyedSerialQueue();
    const log: string[] = [];
    let release = () => undefined as void;
    const blocked = q('!a', () => new Promise<void>((r) => (release = r)).then(() => void log.push('a')));
    await q('!b', async () => void log.push('b'));
    expect(log).toEqual(['b']);
    release();
    await blocked;
    expect(log).toEqual(['b', 'a']);
  });

  it('a failure settles its own promise and does not stop the key’s queue', async () => {
    const q = keyedSerialQueue();
    const failed = q('!a', () => Promise.reject(new Error('boom')));
    const next = q('!a', async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('next');
  });

  it('frees a key once its queue is idle', async () => {
    const q = keyedSerialQueue();
    const work = q('!a', () => tick(5));
    q('!b', () => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(q.size()).toBe(2);
    await work;
    await tick();
    expect(q.size()).toBe(0);
  });
});
