import { describe, expect, it } from 'vitest';
import { backoffDelay, mapBounded, Semaphore } from '../../shared/resilience';

describe('backoffDelay', () => {
  it('doubles the cap per retry, stays under the maximum and above the floor', () => {
    const policy = { baseMs: 100, maxMs: 1_000, minMs: 10 };
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(2, policy, () => 0.999)).toBe(399);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(3, policy, () => 0)).toBe(10);
  });

  it('treats a negative retry as the first one', () => {
    expect(backoffDelay(-3, { baseMs: 100, maxMs: 1_000 }, () => 0.5)).toBe(50);
  });
});

describe('mapBounded', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapBounded([5, 1, 4, 2, 3], 2, async (value) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, value));
      running--;
      return value * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('stops starting tasks after one throws and rejects with its error', async () => {
    const started: number[] = [];
    await expect(
      mapBounded([1, 2, 3, 4], 1, async (value) => {
        started.push(value);
        if (value === 2) throw new Error('boom');
        return value;
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });

  it('returns an empty array for no items', async () => {
    expect(await mapBounded([], 4, async () => 1)).toEqual([]);
  });
});

describe('Semaphore', () => {
  it('wakes waiters in FIFO order', async () => {
    const semaphore = new Semaphore(1);
    const order: string[] = [];
    const release = await semaphore.acquire();
    const a = semaphore.run(async () => order.push('a'));
    const b = semaphore.run(async () => order.push('b'));
    release();
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
  });
});
