/** Counting semaphore with FIFO waiters. */
export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error('Semaphore limit must be a positive integer');
    this.available = limit;
  }

  async acquire(): Promise<() => void> {
    if (this.available > 0) {
      this.available -= 1;
    } else {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.available += 1;
    };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}

export interface ForEachBoundedOptions<R> {
  /** Once aborted, no item is taken or started; tasks already started still finish. */
  signal?: AbortSignal;
  /** Asked before each item is taken: true stops taking (tasks already started still finish). */
  until?: () => boolean;
  /**
   * Receives each task's result in the order the items were taken, as soon as every earlier task has
   * finished. Awaited before the lane that finished takes another item, so a slow receiver slows the
   * pool down instead of piling results up. Nothing more is delivered after a failure.
   */
  inOrder?: (result: R, index: number) => void | Promise<void>;
}

/** How a bounded run ended (a failure rejects instead). */
export interface ForEachBoundedOutcome {
  /** Items taken from the source. */
  taken: number;
  /** Why no more items were taken: the source ran out, `until` said so, or the signal aborted. */
  stoppedBy: 'exhausted' | 'until' | 'signal';
}

type Taken<T> = { item: T; index: number } | undefined;

/**
 * The one bounded pool of the project: takes items from `source` one at a time and runs `task` on at
 * most `limit` of them at once, a lane taking the next item when its task finishes, so an async source
 * (a parser reading a stream) is read no faster than the tasks consume it.
 *
 * Taking stops when the source ends, `until` returns true, the signal aborts, or anything throws (the
 * source, a task, `until`, `inOrder`); every task already started is awaited before this returns or
 * rejects with the first error. An item taken while the signal aborted or something threw is not
 * started. A source left unfinished is closed (`return()`), as `for await` would.
 */
export const forEachBounded = async <T, R>(
  source: Iterable<T> | AsyncIterable<T>,
  limit: number,
  task: (item: T, index: number) => Promise<R>,
  options: ForEachBoundedOptions<R> = {},
): Promise<ForEachBoundedOutcome> => {
  const { signal, until, inOrder } = options;
  const iterator: Iterator<T> | AsyncIterator<T> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  let taken = 0;
  let stoppedBy: ForEachBoundedOutcome['stoppedBy'] | undefined;
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
  };

  // One take at a time, each starting after the previous one settled, so items keep the source's
  // order and `until` is asked right before the item it guards.
  let takeTurn: Promise<unknown> = Promise.resolve();
  const takeNow = async (): Promise<Taken<T>> => {
    if (stoppedBy !== undefined || failure !== undefined) return undefined;
    try {
      if (signal?.aborted === true) stoppedBy = 'signal';
      else if (until?.() === true) stoppedBy = 'until';
      if (stoppedBy !== undefined) return undefined;
      const next = await iterator.next();
      if (next.done === true) {
        stoppedBy = 'exhausted';
        return undefined;
      }
      return { item: next.value, index: taken++ };
    } catch (error) {
      fail(error);
      return undefined;
    }
  };
  const take = (): Promise<Taken<T>> => {
    const next = takeTurn.then(takeNow);
    takeTurn = next;
    return next;
  };

  // Results wait here until every earlier item has finished; one loop at a time hands them out.
  const finished = new Map<number, R>();
  let delivered = 0;
  let delivering: Promise<void> | undefined;
  const deliverInOrder = async (): Promise<void> => {
    await Promise.resolve(); // so `delivering` is set before the loop can end and clear it
    try {
      while (failure === undefined && finished.has(delivered)) {
        const result = finished.get(delivered) as R;
        finished.delete(delivered);
        const receiving = inOrder?.(result, delivered++);
        if (receiving !== undefined) await receiving;
      }
    } catch (error) {
      fail(error);
    } finally {
      delivering = undefined;
    }
  };
  const deliverFinished = (): Promise<void> | undefined => {
    if (delivering === undefined && finished.has(delivered)) delivering = deliverInOrder();
    return delivering;
  };

  const lane = async (): Promise<void> => {
    for (;;) {
      const next = await take();
      if (next === undefined) return;
      // Taken while the run failed or was cancelled (the last take): not started.
      if (failure !== undefined) return;
      if (signal?.aborted === true) {
        stoppedBy ??= 'signal';
        return;
      }
      let result: R;
      try {
        result = await task(next.item, next.index);
      } catch (error) {
        fail(error);
        return;
      }
      if (inOrder !== undefined) {
        finished.set(next.index, result);
        await deliverFinished();
      }
    }
  };

  const lanes = Math.max(1, Math.floor(limit) || 1);
  try {
    // Lanes never reject (errors land in `failure`), so every started task settles before we go on.
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    if (stoppedBy !== 'exhausted') {
      try {
        await iterator.return?.();
      } catch {
        // Closing a source we stopped reading: its own errors no longer matter.
      }
    }
  }
  if (failure !== undefined) throw failure.error;
  return { taken, stoppedBy: stoppedBy ?? 'exhausted' };
};

/**
 * `forEachBounded` over an array, collecting the results in input order. A task that throws rejects
 * the whole run after the tasks already started settle; callers that need per-item outcomes return
 * them instead of throwing.
 */
export const mapBounded = async <T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const results = new Array<R>(items.length);
  await forEachBounded(items, Math.min(limit, Math.max(1, items.length)), async (item, index) => {
    results[index] = await task(item, index);
  });
  return results;
};
