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
