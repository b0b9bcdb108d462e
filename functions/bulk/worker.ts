/**
 * The bulk worker Lambda: the bulk queue (batch size 1: a step runs up to ELEMENT_BULK_CHUNK_DEADLINE_MS)
 * and its dead-letter queue as event sources; the job loop is shared/bulk/worker. Local mode subscribes
 * `createBulkWorkerHandler(deps)` to its persisted queues, so both run the same code.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
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
import { metricsMiddleware } from '../runtime/metrics';
import { processRecords, routeDeadLetters, sqsRetryLater } from '../runtime/sqs';

export { bulkWorkerOptionsFromEnv };

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = {
  stateTable: awsStateTable,
  secretStore: awsSecretStore,
  blobStore: awsBlobStore,
  bulkQueue: awsBulkQueue,
};

const logger = createLogger();

export type BulkWorkerHandlerOptions = BulkWorkerOptions & { logger?: BulkWorkerLogger };

/** The queue's handler, with the dead-letter queue's as `deadLetters`; one record at a time (long streams). */
export const createBulkWorkerHandler = (deps: Dependencies, options: BulkWorkerHandlerOptions = {}) => {
  const worker = createBulkQueueWorker(deps, options.logger ?? logger, options);
  const each = (handle: (record: QueueRecord) => Promise<void>) => (event: QueueEvent) =>
    processRecords(event.Records, handle, { concurrency: 1 });
  return Object.assign(
    each((record) => worker.handleRecord(record)),
    { deadLetters: each((record) => worker.handleDeadLetter(record)) },
  );
};

let worker: { live: ReturnType<typeof createBulkWorkerHandler>; deadLetterQueueArn?: string } | undefined;

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger))
  .use(metricsMiddleware())
  .handler(async (event) => {
    if (worker === undefined) {
      const env = readFunctionEnv(process.env);
      const deps = await getDependencies(AWS_PORTS);
      const retryLater = deps.mode === 'aws' ? { retryLater: sqsRetryLater(env.ELEMENT_BULK_QUEUE_URL) } : {};
      const live = createBulkWorkerHandler(deps, { ...bulkWorkerOptionsFromEnv(process.env), ...retryLater });
      const arn = env.ELEMENT_BULK_DEAD_LETTER_QUEUE_ARN;
      worker = { live, ...(arn === undefined ? {} : { deadLetterQueueArn: arn }) };
    }
    const { live, deadLetterQueueArn } = worker;
    const records = event.Records as unknown as QueueRecord[];
    return routeDeadLetters(records, deadLetterQueueArn, { live, deadLetters: live.deadLetters });
  });
