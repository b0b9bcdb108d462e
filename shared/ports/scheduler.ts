import { InvalidNameError } from './errors';

/**
 * One-off triggers ("run the poller for instance 42 at 10:05"): EventBridge Scheduler `at()` schedules
 * in AWS, timers locally. The payload is delivered to the adapter's configured target (a Lambda/SQS
 * ARN in AWS, a callback locally). Scheduling a name again replaces the earlier trigger.
 */
export interface OneOffScheduler {
  at(name: string, when: Date, payload: unknown): Promise<void>;
  /** Idempotent. */
  cancel(name: string): Promise<void>;
}

export interface Cancellable {
  cancel(): void;
}

/**
 * Recurring work. In AWS recurring schedules are EventBridge rules created by infra (they invoke a
 * Lambda directly), so only the local adapter implements this.
 */
export interface RecurringScheduler {
  /** Run `task` every `intervalMs`; a run never overlaps the previous run of the same task. */
  every(name: string, intervalMs: number, task: () => Promise<void>): Cancellable;
  /** Stop all timers and wait for running tasks (shutdown). */
  stop(): Promise<void>;
}

// EventBridge Scheduler names: 1-64 of [0-9a-zA-Z-_.].
const SCHEDULE_NAME = /^[0-9A-Za-z_.-]{1,64}$/;

export function assertValidScheduleName(name: string): void {
  if (typeof name !== 'string' || !SCHEDULE_NAME.test(name)) {
    throw new InvalidNameError('schedule name', 'use 1-64 characters from 0-9 A-Z a-z - _ .');
  }
}
