/**
 * The bulk worker Lambda: the bulk queue (batch size 1: a step runs up to ELEMENT_BULK_CHUNK_DEADLINE_MS)
 * and its dead-letter queue as event sources; the job loop is shared/bulk/worker. Local mode subscribes
 * `createBulkWorkerHandler(deps)` to its persisted queues, so both run the same code.
 */
import {
  type BulkWorkerLogger,
  type BulkWorkerOptions,
  bulkWorkerOptionsFromEnv,
  createBulkQueueWorker,
} from '../../shared/bulk/worker';
import { readFunctionEnv } from '../../shared/config/env';
import { createLogger } from '../../shared/logging';
import type { QueueEvent, QueueRecord } from '../../shared/ports';
import { awsBlobStore } from '../runtime/aws-blob-store';
import { awsStateTable } from '../runtime/aws-ports';
import { awsBulkQueue } from '../runtime/aws-queues';
import { awsSecretStore } from '../runtime/aws-secret-store';
import { type AwsPorts, type Dependencies, getDependencies } from '../runtime/dependencies';
import { processRecords, queueFunction, routeDeadLetters, sqsRetryLater } from '../runtime/sqs';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = {
  stateTable: awsStateTable,
  secretStore: awsSecretStore,
  blobStore: awsBlobStore,
  bulkQueue: awsBulkQueue,
};

export type BulkWorkerHandlerOptions = BulkWorkerOptions & { logger?: BulkWorkerLogger };

/** The queue's handler, with the dead-letter queue's as `deadLetters`; one record at a time (long streams). */
export const createBulkWorkerHandler = (deps: Dependencies, options: BulkWorkerHandlerOptions = {}) => {
  const worker = createBulkQueueWorker(deps, options.logger ?? createLogger(), options);
  const each = (handle: (record: QueueRecord) => Promise<void>) => (event: QueueEvent) =>
    processRecords(event.Records, handle, { concurrency: 1 });
  return Object.assign(
    each((record) => worker.handleRecord(record)),
    { deadLetters: each((record) => worker.handleDeadLetter(record)) },
  );
};

export const handler = queueFunction(async (logger) => {
  const env = readFunctionEnv(process.env);
  const deps = await getDependencies(AWS_PORTS);
  const retryLater = deps.mode === 'aws' ? { retryLater: sqsRetryLater(env.ELEMENT_BULK_QUEUE_URL) } : {};
  const options = { ...bulkWorkerOptionsFromEnv(process.env), ...retryLater, logger };
  const live = createBulkWorkerHandler(deps, options);
  const deadLetterQueueArn = env.ELEMENT_BULK_DEAD_LETTER_QUEUE_ARN;
  return (event) =>
    routeDeadLetters(event.Records, deadLetterQueueArn, { live, deadLetters: live.deadLetters });
});
