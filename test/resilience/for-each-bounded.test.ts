import { describe, expect, it } from 'vitest';
import { forEachBounded } from '../../shared/resilience';

/** A promise the test settles by hand, so completion order is chosen, not timed. */
const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
};

const ticks = async (count = 20) => {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** An async source that records how far it was read and whether it was closed. */
const countingSource = (count: number) => {
  const state = { read: 0, closed: false };
  async function* items() {
    try {
      for (let i = 0; i < count; i++) {
        await Promise.resolve();
        state.read++;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, items: items() };
};

describe('forEachBounded', () => {
  it('reads an async source no further ahead than the limit and never runs more than the limit', async () => {
    const { state, items } = countingSource(40);
    let running = 0;
    let peak = 0;
    let done = 0;
    let furthestAhead = 0;
    const outcome = await forEachBounded(items, 3, async (item) => {
      running++;
      peak = Math.max(peak, running);
      furthestAhead = Math.max(furthestAhead, state.read - done);
      await new Promise((resolve) => setTimeout(resolve, item % 4));
      running--;
      done++;
    });
    expect(outcome).toEqual({ taken: 40, stoppedBy: 'exhausted' });
    expect(peak).toBe(3);
    expect(furthestAhead).toBeLessThanOrEqual(3);
    expect(done).toBe(40);
  });

  it('delivers results in take order as soon as every earlier task has finished', async () => {
    const gates = [gate(), gate(), gate(), gate()];
    const delivered: [string, number][] = [];
    const run = forEachBounded(
      [0, 1, 2, 3],
      4,
      async (item) => {
        await gates[item]?.opened;
        return `r${item}`;
      },
      { inOrder: (result, index) => void delivered.push([result, index]) },
    );
    gates[2]?.open();
    gates[3]?.open();
    await ticks();
    expect(delivered).toEqual([]);
    gates[0]?.open();
    await ticks();
    expect(delivered).toEqual([['r0', 0]]);
    gates[1]?.open();
    await run;
    expect(delivered).toEqual([
      ['r0', 0],
      ['r1', 1],
      ['r2', 2],
      ['r3', 3],
    ]);
  });

  it('takes nothing more while a slow receiver holds a result back', async () => {
    const receiver = gate();
    const started: number[] = [];
    const run = forEachBounded(
      [0, 1, 2],
      1,
      async (item) => {
        started.push(item);
      },
      { inOrder: () => receiver.opened },
    );
    await ticks();
    expect(started).toEqual([0]);
    receiver.open();
    await run;
    expect(started).toEqual([0, 1, 2]);
  });

  it('stops taking when asked, finishes what it took and closes the source', async () => {
    const { state, items } = countingSource(100);
    let asked = 0;
    const finished: number[] = [];
    const outcome = await forEachBounded(
      items,
      2,
      async (item) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        finished.push(item);
      },
      { until: () => ++asked > 5 },
    );
    expect(outcome).toEqual({ taken: 5, stoppedBy: 'until' });
    expect(asked).toBe(6);
    expect(finished.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    expect(state).toEqual({ read: 5, closed: true });
  });

  it('asks until right before each take, once the previous take has finished', async () => {
    const { state, items } = countingSource(10);
    const outcome = await forEachBounded(
      items,
      4,
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
      },
      // Four lanes ask at once; only the first may read before the answer turns.
      { until: () => state.read >= 1 },
    );
    expect(outcome).toEqual({ taken: 1, stoppedBy: 'until' });
    expect(state).toEqual({ read: 1, closed: true });
  });

  it('starts nothing after an abort, not even an item taken while it came, and awaits the started tasks', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const settled: number[] = [];
    async function* items() {
      for (let i = 0; ; i++) {
        if (i === 6) controller.abort(); // aborted while this item is being read
        yield i;
      }
    }
    const outcome = await forEachBounded(
      items(),
      3,
      async (item) => {
        started.push(item);
        await new Promise((resolve) => setTimeout(resolve, 2));
        settled.push(item);
      },
      { signal: controller.signal },
    );
    expect(outcome).toEqual({ taken: 7, stoppedBy: 'signal' });
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(settled.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('rejects with the first task error only after the tasks already started settle, taking no more', async () => {
    const { state, items } = countingSource(50);
    const started: number[] = [];
    let slowSettled = false;
    await expect(
      forEachBounded(items, 2, async (item) => {
        started.push(item);
        if (item === 0) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          slowSettled = true;
          return;
        }
        if (item === 2) throw new Error('task failed');
        await new Promise((resolve) => setTimeout(resolve, 1));
      }),
    ).rejects.toThrow('task failed');
    expect(slowSettled).toBe(true);
    expect(started).toEqual([0, 1, 2]);
    expect(state.closed).toBe(true);
  });

  it('does not start an item whose take was under way when a task threw', async () => {
    const started: number[] = [];
    async function* items() {
      yield 0;
      await new Promise((resolve) => setTimeout(resolve, 20));
      yield 1;
    }
    await expect(
      forEachBounded(items(), 2, async (item) => {
        started.push(item);
        throw new Error(`task ${item} failed`);
      }),
    ).rejects.toThrow('task 0 failed');
    expect(started).toEqual([0]);
  });

  it('rejects with the source error after the started tasks settle', async () => {
    let settled = 0;
    async function* items() {
      yield 1;
      yield 2;
      throw new Error('source broke');
    }
    await expect(
      forEachBounded(items(), 4, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        settled++;
      }),
    ).rejects.toThrow('source broke');
    expect(settled).toBe(2);
  });

  it('rejects with the receiver error and delivers nothing after it', async () => {
    const delivered: number[] = [];
    await expect(
      forEachBounded([0, 1, 2, 3], 1, async (item) => item, {
        inOrder: (result) => {
          if (result === 1) throw new Error('receiver failed');
          delivered.push(result);
        },
      }),
    ).rejects.toThrow('receiver failed');
    expect(delivered).toEqual([0]);
  });
});
