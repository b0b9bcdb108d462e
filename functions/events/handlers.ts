/**
 * The batch handlers of the events queues, built from a set of ports: the Lambda entry points
 * (dispatcher.ts, poll-worker.ts) wrap them, local mode subscribes them to its in-process queues, so
 * both run the same code.
 */

import { type Env, FUNCTION_ENV, readEnv } from '../../shared/config/env';
import {
  createEventLog,
  DEFAULT_DISPATCH_CONCURRENCY,
  type DispatchLogger,
  deliverOrRetry,
  type PollerDeps,
  type PollerOptions,
  parsePollRequest,
  pollClaimed,
  recordDeadLetter,
} from '../../shared/events';
import { eventsTargetLoader } from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import { sharedOutboundAgent } from '../../shared/net';
import type { BatchResponse, QueueEvent, QueueRecord } from '../../shared/ports';
import * as z from '../../shared/validation/zod';
import type { Dependencies } from '../runtime/dependencies';
import { processRecords } from '../runtime/sqs';

export interface DispatcherOptions {
  maxReceiveCount?: number;
  timeoutMs?: number;
  logger?: DispatchLogger;
  retryLater?: (record: QueueRecord, delaySeconds: number) => Promise<void>;
}

const DISPATCHER_ENV = z.pick(FUNCTION_ENV, {
  ELEMENT_EVENTS_MAX_RECEIVE_COUNT: true,
  ELEMENT_EVENTS_CALLBACK_TIMEOUT_MS: true,
});

export const dispatcherOptionsFromEnv = (env: Env): DispatcherOptions => {
  const { ELEMENT_EVENTS_MAX_RECEIVE_COUNT: maxReceiveCount, ELEMENT_EVENTS_CALLBACK_TIMEOUT_MS: timeoutMs } =
    readEnv(DISPATCHER_ENV, env);
  return {
    ...(maxReceiveCount === undefined ? {} : { maxReceiveCount }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
};

export const createDispatcherHandler = (deps: Dependencies, options: DispatcherOptions = {}) => {
  const { logger = createLogger(), ...rest } = options;
  const eventLog = createEventLog({ stateTable: deps.stateTable, now: deps.now });
  const { allowedHosts, now } = deps;
  const http = sharedOutboundAgent(allowedHosts);
  const dispatch = {
    loadInstance: eventsTargetLoader(deps),
    eventLog,
    http,
    allowedHosts,
    now,
    logger,
    ...rest,
  };
  return (event: QueueEvent): Promise<BatchResponse> =>
    processRecords(event.Records, (record) => deliverOrRetry(record, dispatch), {
      concurrency: DEFAULT_DISPATCH_CONCURRENCY,
    });
};

/** The dead-letter queue's consumer: each message's log entry turns DEAD with its body, for redelivery. */
export const createDeadLetterHandler = (
  deps: Dependencies,
  options: Pick<DispatcherOptions, 'logger'> = {},
) => {
  const deadLetters = { eventLog: createEventLog(deps), logger: options.logger ?? createLogger() };
  return (event: QueueEvent): Promise<BatchResponse> =>
    processRecords(event.Records, (record) => recordDeadLetter(record, deadLetters), { concurrency: 1 });
};

export interface PollWorkerOptions extends Pick<PollerOptions, 'instanceBudgetMs'> {
  /** Instances of one batch polled at once; default the whole batch. */
  concurrency?: number;
  logger?: DispatchLogger & { error(message: string, fields: Record<string, unknown>): void };
}

/**
 * The poll queue's consumer: one message per claimed instance (shared/events/poller.ts `pollClaimed`).
 * A poll whose state-table writes fail throws, so its message comes back and the poll resumes from its
 * checkpoints; ServiceNow failures are the poll's own result (STATUS item) and the instance is
 * rescheduled as usual.
 */
export const createPollWorkerHandler = (poller: PollerDeps, options: PollWorkerOptions = {}) => {
  const { logger = createLogger(), concurrency, ...pollOptions } = options;
  const pollOne = async (record: QueueRecord) => {
    const request = parsePollRequest(record.body);
    if (request === undefined) {
      logger.warn('Dropped an unreadable poll message', { messageId: record.messageId });
      return;
    }
    try {
      const outcome = await pollClaimed(poller, request, pollOptions);
      if (outcome.kind === 'polled' && outcome.summary.errors.length > 0) {
        const errors = outcome.summary.errors.map((e) => `${e.stream}: ${e.message}`).join('; ');
        logger.warn('Events poll had errors', { instanceId: request.instanceId, errors });
      }
    } catch (error) {
      logger.error('Events poll failed; its message comes back', { instanceId: request.instanceId, error });
      throw error;
    }
  };
  return (event: QueueEvent): Promise<BatchResponse> =>
    processRecords(event.Records, pollOne, concurrency === undefined ? {} : { concurrency });
};
