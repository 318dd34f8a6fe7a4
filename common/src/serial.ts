// One thing after another: work handed to a queue starts when the work before it has settled,
// whether that succeeded or failed. Used where interleaved async steps would break an invariant
// (one participant per socket, one change of a conference at a time).

/** A queue: call it with work; the promise settles with that work's outcome. */
export type SerialQueue = <T>(work: () => Promise<T>) => Promise<T>;

export function serialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const next = tail.then(work, work);
    tail = next.catch(() => undefined);
    return next;
  };
}

/**
 * Queues by key: work for one key runs in order (as with serialQueue), different keys do not
 * wait for each other, and a key's entry is freed once its queue is idle.
 */
export type KeyedSerialQueue = <T>(key: string, work: () => Promise<T>) => Promise<T>;

export function keyedSerialQueue(): KeyedSerialQueue & { readonly size: () => number } {
  const tails = new Map<string, Promise<unknown>>();
  const run = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const next = (tails.get(key) ?? Promise.resolve()).then(work, work);
    const tail = next.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
  return Object.assign(run, { size: () => tails.size });
}
