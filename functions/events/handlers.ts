/**
 * The batch handlers of the events queues, built from a set of ports: the Lambda entry points
 * (dispatcher.ts, poll-worker.ts) wrap them, local mode subscribes them to its in-process queues, so
 * both run the same code.
 */
import {
  DEFAULT_DISPATCH_CONCURRENCY,
  type DispatcherOptions,
  deadLetterConsumer,
  dispatchConsumer,
  type PollerDeps,
  type PollerOptions,
  type PollLogger,
  pollConsumer,
} from '../../shared/events';
import { eventsTargetLoader } from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import type { BatchResponse, QueueEvent } from '../../shared/ports';
import type { Dependencies } from '../runtime/dependencies';
import { processRecords } from '../runtime/sqs';

export const createDispatcherHandler = (deps: Dependencies, options: DispatcherOptions = {}) => {
  const { logger = createLogger(), ...rest } = options;
  const deliver = dispatchConsumer(deps, eventsTargetLoader(deps), { logger, ...rest });
  return (event: QueueEvent): Promise<BatchResponse> =>
    processRecords(event.Records, deliver, { concurrency: DEFAULT_DISPATCH_CONCURRENCY });
};

/** The dead-letter queue's consumer: each message's log entry turns DEAD with its body, for redelivery. */
export const createDeadLetterHandler = (
  deps: Dependencies,
  options: Pick<DispatcherOptions, 'logger'> = {},
) => {
  const record = deadLetterConsumer(deps, options.logger ?? createLogger());
  return (event: QueueEvent): Promise<BatchResponse> =>
    processRecords(event.Records, record, { concurrency: 1 });
};

export interface PollWorkerOptions extends Pick<PollerOptions, 'instanceBudgetMs'> {
  /** Instances of one batch polled at once; default the whole batch. */
  concurrency?: number;
  logger?: PollLogger;
}

/** The poll queue's consumer: one message per claimed instance (shared/events/poller.ts `pollClaimed`). */
export const createPollWorkerHandler = (poller: PollerDeps, options: PollWorkerOptions = {}) => {
  const { logger = createLogger(), concurrency, ...pollOptions } = options;
  const pollOne = pollConsumer(poller, pollOptions, logger);
  return (event: QueueEvent): Promise<BatchResponse> =>
    processRecords(event.Records, pollOne, concurrency === undefined ? {} : { concurrency });
};
