import { type Clock, systemClock } from './clock';

/**
 * Timers standing in for the EventBridge rules of a deployed stack in local mode. A recurring task
 * never overlaps itself: the next run starts one interval after the previous start, or right after it
 * ends if it ran longer. Timers are unref'd (see Clock) so they never keep the process alive; `stop()`
 * is for shutdown. Failures go to `onError` because nothing awaits a timer.
 */
export interface LocalSchedulerOptions {
  onError?: (name: string, error: unknown) => void;
  clock?: Clock;
}

export interface Cancellable {
  cancel(): void;
}

export interface LocalScheduler {
  /** Run `task` every `intervalMs`; a run never overlaps the previous run of the same task. */
  every(name: string, intervalMs: number, task: () => Promise<void>): Cancellable;
  /** Stop all timers and wait for running tasks (shutdown). */
  stop(): Promise<void>;
}

export function createLocalScheduler(options: LocalSchedulerOptions = {}): LocalScheduler {
  const clock = options.clock ?? systemClock;
  const onError = options.onError ?? (() => {});
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

  return {
    every(name, intervalMs, task) {
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
      };
    },

    async stop() {
      stopped = true;
      for (const state of recurring.values()) {
        state.stopped = true;
        clock.clearTimeout(state.timer);
      }
      recurring.clear();
      await Promise.all([...running]);
    },
  };
}
