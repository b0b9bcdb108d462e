import {
  assertValidScheduleName,
  type Cancellable,
  type OneOffScheduler,
  type RecurringScheduler,
} from '../../ports';
import { type Clock, systemClock } from './clock';

/**
 * Timers standing in for EventBridge in local mode. One-off triggers call `onTrigger(name, payload)`
 * (where AWS would invoke the target). Recurring tasks never overlap themselves: the next run starts
 * one interval after the previous start, or right after it ends if it ran longer. Timers are unref'd
 * (see Clock) so they never keep the process alive; `stop()` is for shutdown. Failures go to `onError`
 * because nothing awaits a timer.
 */
export interface LocalSchedulerOptions {
  onTrigger: (name: string, payload: unknown) => Promise<void>;
  onError?: (name: string, error: unknown) => void;
  clock?: Clock;
}

export interface LocalScheduler extends OneOffScheduler, RecurringScheduler {
  /** Pending one-off triggers, soonest first. */
  scheduled(): { name: string; when: Date; payload: unknown }[];
}

// setTimeout overflows above 2^31-1 ms (~24.8 days); longer waits are chained.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function createLocalScheduler(options: LocalSchedulerOptions): LocalScheduler {
  const clock = options.clock ?? systemClock;
  const onError = options.onError ?? (() => {});
  const oneOff = new Map<string, { when: Date; payload: unknown; timer: unknown }>();
  const recurring = new Map<string, { timer: unknown; stopped: boolean }>();
  const running = new Set<Promise<void>>();
  let stopped = false;

  const track = (name: string, work: () => Promise<void>): Promise<void> => {
    const run = work()
      .catch((error: unknown) => onError(name, error))
      .finally(() => running.delete(run));
    running.add(run);
    return run;
  };

  const armOneOff = (name: string) => {
    const entry = oneOff.get(name);
    if (!entry || stopped) return;
    const wait = entry.when.getTime() - clock.now();
    entry.timer = clock.setTimeout(
      () => {
        if (oneOff.get(name) !== entry) return;
        if (entry.when.getTime() > clock.now()) return armOneOff(name);
        oneOff.delete(name);
        void track(name, () => options.onTrigger(name, entry.payload));
      },
      Math.min(Math.max(0, wait), MAX_TIMER_MS),
    );
  };

  return {
    async at(name, when, payload) {
      assertValidScheduleName(name);
      if (stopped) throw new Error('Scheduler is stopped');
      const previous = oneOff.get(name);
      if (previous) clock.clearTimeout(previous.timer);
      oneOff.set(name, {
        when: new Date(when.getTime()),
        payload: structuredClone(payload),
        timer: undefined,
      });
      armOneOff(name);
    },

    async cancel(name) {
      assertValidScheduleName(name);
      const entry = oneOff.get(name);
      if (entry) clock.clearTimeout(entry.timer);
      oneOff.delete(name);
    },

    every(name, intervalMs, task) {
      assertValidScheduleName(name);
      if (!(intervalMs > 0)) throw new RangeError('intervalMs must be positive');
      if (stopped) throw new Error('Scheduler is stopped');
      const previous = recurring.get(name);
      if (previous) {
        previous.stopped = true;
        clock.clearTimeout(previous.timer);
      }
      const state = { timer: undefined as unknown, stopped: false };
      recurring.set(name, state);
      const tick = () => {
        if (state.stopped) return;
        const startedAt = clock.now();
        void track(name, task).then(() => {
          if (state.stopped) return;
          state.timer = clock.setTimeout(tick, Math.max(0, startedAt + intervalMs - clock.now()));
        });
      };
      state.timer = clock.setTimeout(tick, intervalMs);
      return {
        cancel() {
          state.stopped = true;
          clock.clearTimeout(state.timer);
          if (recurring.get(name) === state) recurring.delete(name);
        },
      } satisfies Cancellable;
    },

    async stop() {
      stopped = true;
      for (const entry of oneOff.values()) clock.clearTimeout(entry.timer);
      for (const state of recurring.values()) {
        state.stopped = true;
        clock.clearTimeout(state.timer);
      }
      recurring.clear();
      await Promise.all([...running]);
    },

    scheduled() {
      return [...oneOff.entries()]
        .map(([name, entry]) => ({
          name,
          when: new Date(entry.when.getTime()),
          payload: structuredClone(entry.payload),
        }))
        .sort((a, b) => a.when.getTime() - b.when.getTime());
    },
  };
}
