import { describe, expect, it } from 'vitest';
import { createLocalScheduler } from '../../shared/adapters/local';
import { ManualClock } from './fakes/manual-clock';

const START = Date.UTC(2026, 0, 1);

describe('local scheduler', () => {
  it('runs a recurring task on its interval without overlapping a slow run', async () => {
    const clock = new ManualClock(START);
    const scheduler = createLocalScheduler({ clock });
    const starts: number[] = [];
    let active = 0;
    let maxActive = 0;
    let release: () => void = () => {};
    scheduler.every('poller', 1000, async () => {
      starts.push(clock.now() - START);
      active++;
      maxActive = Math.max(maxActive, active);
      // The second run is slow: it lasts until released.
      if (starts.length === 2) await new Promise<void>((resolve) => (release = resolve));
      active--;
    });
    await clock.advance(2500);
    expect(starts).toEqual([1000, 2000]);
    await clock.advance(5000); // the slow run holds: no new starts
    expect(starts).toEqual([1000, 2000]);
    release();
    await clock.advance(0);
    expect(starts).toEqual([1000, 2000, 7500]); // overdue: starts right after the slow run ends
    await clock.advance(1000);
    expect(starts).toEqual([1000, 2000, 7500, 8500]);
    expect(maxActive).toBe(1);
    await scheduler.stop();
    await clock.advance(10_000);
    expect(starts).toHaveLength(4);
  });

  it('keeps going after a failing run and reports the failure', async () => {
    const clock = new ManualClock(START);
    const errors: string[] = [];
    const scheduler = createLocalScheduler({
      clock,
      onError: (name, error) => errors.push(`${name}: ${(error as Error).message}`),
    });
    let runs = 0;
    const handle = scheduler.every('flaky', 100, async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
    });
    await clock.advance(300);
    expect(runs).toBe(3);
    expect(errors).toEqual(['flaky: boom']);
    handle.cancel();
    await clock.advance(1000);
    expect(runs).toBe(3);
    await scheduler.stop();
  });

  it('waits for a running task on stop', async () => {
    const scheduler = createLocalScheduler();
    let started = false;
    let finished = false;
    scheduler.every('tick', 5, async () => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 30));
      finished = true;
    });
    while (!started) await new Promise((resolve) => setTimeout(resolve, 5));
    await scheduler.stop();
    expect(finished).toBe(true);
  });
});
