/**
 * What each events queue's consumer does with one message, apart from the batch loop around it: the
 * dispatcher delivers or retries, the dead-letter consumer records the dead letter, the poll worker polls
 * the claimed instance. The Lambda entry points and local mode wrap these in the same batch loop.
 */

import { type Env, FUNCTION_ENV, readEnv } from '../config/env';
import type { AllowedHosts } from '../net';
import { sharedOutboundAgent } from '../net';
import type { QueueRecord, StateTable } from '../ports';
import * as z from '../validation/zod';
import { recordDeadLetter } from './dead-letters';
import { type DispatchDeps, type DispatchLogger, deliverOrRetry } from './dispatch';
import { createEventLog } from './event-log';
import { type PollerDeps, type PollerOptions, parsePollRequest, pollClaimed } from './poller';

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

/** The dispatcher's settings from the function's environment (shared/config/env.ts checks each). */
export const dispatcherOptionsFromEnv = (env: Env): DispatcherOptions => {
  const { ELEMENT_EVENTS_MAX_RECEIVE_COUNT: maxReceiveCount, ELEMENT_EVENTS_CALLBACK_TIMEOUT_MS: timeoutMs } =
    readEnv(DISPATCHER_ENV, env);
  return {
    ...(maxReceiveCount === undefined ? {} : { maxReceiveCount }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
};

export interface EventsPorts {
  stateTable: StateTable;
  allowedHosts: AllowedHosts;
  now: () => Date;
}

/** Delivers one event message to its instance's callback URL, or throws so it comes back later. */
export const dispatchConsumer = (
  ports: EventsPorts,
  loadInstance: DispatchDeps['loadInstance'],
  options: DispatcherOptions & { logger: DispatchLogger },
) => {
  const { allowedHosts, now } = ports;
  const dispatch: DispatchDeps = {
    loadInstance,
    eventLog: createEventLog({ stateTable: ports.stateTable, now }),
    http: sharedOutboundAgent(allowedHosts),
    allowedHosts,
    now,
    ...options,
  };
  return (record: QueueRecord) => deliverOrRetry(record, dispatch);
};

/** Turns a dead letter's log entry DEAD with its body, for redelivery. */
export const deadLetterConsumer = (ports: EventsPorts, logger: DispatchLogger) => {
  const deadLetters = { eventLog: createEventLog(ports), logger };
  return (record: QueueRecord) => recordDeadLetter(record, deadLetters);
};

export type PollLogger = DispatchLogger & { error(message: string, fields: Record<string, unknown>): void };

/**
 * Polls the instance one poll message claims. A poll whose state-table writes fail throws, so its message
 * comes back and the poll resumes from its checkpoints; ServiceNow failures are the poll's own result
 * (STATUS item) and the instance is rescheduled as usual.
 */
export const pollConsumer =
  (poller: PollerDeps, options: Pick<PollerOptions, 'instanceBudgetMs'>, logger: PollLogger) =>
  async (record: QueueRecord) => {
    const request = parsePollRequest(record.body);
    if (request === undefined) {
      logger.warn('Dropped an unreadable poll message', { messageId: record.messageId });
      return;
    }
    try {
      const outcome = await pollClaimed(poller, request, options);
      if (outcome.kind === 'polled' && outcome.summary.errors.length > 0) {
        const errors = outcome.summary.errors.map((e) => `${e.stream}: ${e.message}`).join('; ');
        logger.warn('Events poll had errors', { instanceId: request.instanceId, errors });
      }
    } catch (error) {
      logger.error('Events poll failed; its message comes back', { instanceId: request.instanceId, error });
      throw error;
    }
  };
