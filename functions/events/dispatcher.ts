/**
 * The events dispatcher Lambda (SQS event sources with ReportBatchItemFailures): delivers queued
 * callback bodies (shared/events/dispatch.ts) and records what lands in the dead-letter queue
 * (ELEMENT_EVENTS_DEAD_LETTER_QUEUE_ARN). Environment: ELEMENT_EVENTS_MAX_RECEIVE_COUNT (the redrive
 * maxReceiveCount, so the last attempt is logged DEAD), ELEMENT_EVENTS_CALLBACK_TIMEOUT_MS (default
 * 10 s), ELEMENT_EVENTS_QUEUE_URL (where a failed message's visibility is changed for its backoff).
 */
import { dispatcherOptionsFromEnv } from '../../shared/events';
import { awsStateTable } from '../runtime/aws-ports';
import { awsSecretStore } from '../runtime/aws-secret-store';
import { getDependencies } from '../runtime/dependencies';
import { queueFunction, routeDeadLetters, sqsRetryLater } from '../runtime/sqs';
import { createDeadLetterHandler, createDispatcherHandler } from './handlers';

export const handler = queueFunction(async (logger) => {
  const deps = await getDependencies({ stateTable: awsStateTable, secretStore: awsSecretStore });
  const retryLater = deps.mode === 'aws' ? sqsRetryLater(process.env.ELEMENT_EVENTS_QUEUE_URL) : undefined;
  const live = createDispatcherHandler(deps, {
    ...dispatcherOptionsFromEnv(process.env),
    logger,
    ...(retryLater && { retryLater }),
  });
  const deadLetters = createDeadLetterHandler(deps, { logger });
  const deadLetterQueueArn = process.env.ELEMENT_EVENTS_DEAD_LETTER_QUEUE_ARN;
  return (event) => routeDeadLetters(event.Records, deadLetterQueueArn, { live, deadLetters });
});
