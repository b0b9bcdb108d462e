/**
 * The bulk worker Lambda (SQS event source with ReportBatchItemFailures; batch size 1 recommended: a
 * download chunk or upload segment runs for up to ELEMENT_BULK_CHUNK_DEADLINE_MS). Local mode subscribes
 * `createBulkWorkerHandler(deps)` to its persisted queue, so both run the same code.
 *
 * Message bodies:
 * - BulkMessage `{jobId, instanceId, kind: 'download-chunk'|'complete'|'upload'|'notify'|'convert', chunk?,
 *   partition?, format?}` (the API and the worker itself queue these; `chunk` numbers a download's chunks
 *   and an upload's segments, `partition` names the stream of a partitioned download, `format` the file
 *   format a `convert` writes);
 * - S3 event notifications `{Records: [{eventName: 'ObjectCreated:Put', s3: {object: {key:
 *   'incoming/<instanceId>/<jobId>'}}}]}` from the bulk bucket: a presigned upload landed, start it
 *   (`s3:TestEvent` is ignored).
 *
 * Environment: ELEMENT_BULK_MAX_RECEIVE_COUNT (the queue's redrive maxReceiveCount: on that receive a
 * failing message ends its job in ERROR instead of going to the DLQ with the job still RUNNING),
 * ELEMENT_BULK_CHUNK_DEADLINE_MS (default 600000; keep it well under the Lambda timeout),
 * ELEMENT_BULK_PAGES_PER_CHUNK (optional cap; a download chunk otherwise ends after a minute of reads),
 * ELEMENT_BULK_UPLOAD_BATCH_SIZE (Batch API rows per request for inserts and upserts, default 50; 0 = one
 * Table API request per row), plus the common ones (ELEMENT_BULK_BUCKET, ELEMENT_BULK_QUEUE_URL,
 * ELEMENT_STATE_TABLE, ELEMENT_SECRET_PREFIX...), ELEMENT_BULK_DEAD_LETTER_QUEUE_ARN (records from that
 * queue, the function's second event source, end their jobs in ERROR). In AWS a failed message's
 * visibility is shortened to an exponential backoff (sqs:ChangeMessageVisibility); a message whose step
 * another worker may still run comes back when that worker's claim would be stale.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type NotifyJobDeps, notifyJobCompletion } from '../../shared/bulk/callback';
import {
  type BulkMessage,
  ClaimedByLiveWorkerError,
  endStalledJob,
  failBulkJob,
  type ProcessBulkDeps,
  processBulkMessage,
} from '../../shared/bulk/jobs';
import { type Env, FUNCTION_ENV, readEnv } from '../../shared/config/env';
import { ForbiddenError, InternalError, NotFoundError } from '../../shared/errors';
import { EVENT_KEYS, retryDelaySeconds } from '../../shared/events';
import { createInstanceStore, serviceNowClientFor } from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import { sharedOutboundAgent } from '../../shared/net';
import type { BatchResponse, QueueEvent, QueueRecord } from '../../shared/ports';
import { awsBlobStore, awsBulkQueue, awsSecretStore, awsStateTable } from '../runtime/aws-ports';
import { type AwsPorts, type Dependencies, getDependencies } from '../runtime/dependencies';
import { routeDeadLetters, sqsRetryLater } from '../runtime/sqs';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = {
  stateTable: awsStateTable,
  secretStore: awsSecretStore,
  blobStore: awsBlobStore,
  bulkQueue: awsBulkQueue,
};

/** Facts only (ids, statuses); never URLs, bodies or keys. */
export interface BulkWorkerLogger {
  info(message: string, fields: Record<string, string | number | boolean>): void;
  warn(message: string, fields: Record<string, string | number | boolean>): void;
}

export interface BulkWorkerOptions {
  maxReceiveCount?: number;
  chunkDeadlineMs?: number;
  pagesPerChunk?: number;
  uploadBatchSize?: number;
  staleUploadMs?: number;
  cancelCheckEvery?: number;
  /** The only worker of its queue (local mode): see ProcessBulkDeps.soleWorker. */
  soleWorker?: boolean;
  /** A job whose record has not moved for this long ends in ERROR on its next redelivery (default 20 min). */
  stalledJobMs?: number;
  /** Callback attempts within one invocation (default 3) and the wait between them (tests: no-op). */
  callbackAttempts?: number;
  callbackSleep?: (ms: number) => Promise<void>;
  logger?: BulkWorkerLogger;
  /**
   * Backoff for a failed message: make it visible again after `delaySeconds` (SQS
   * ChangeMessageVisibility) instead of after the queue's visibility timeout (the worker's timeout
   * plus a minute). Errors are ignored: the message then comes back after the default timeout.
   */
  retryLater?: (record: QueueRecord, delaySeconds: number) => Promise<void>;
}

/** 30 s, 60 s, 120 s... up to 15 minutes, with jitter: a few receives ride out a short outage. */
export const BULK_RETRY_DELAY = { baseSeconds: 30, maxSeconds: 900 };

export const DEFAULT_CHUNK_DEADLINE_MS = 600_000;
export const DEFAULT_UPLOAD_BATCH_SIZE = 50;

const BULK_WORKER_ENV = FUNCTION_ENV.pick({
  ELEMENT_BULK_MAX_RECEIVE_COUNT: true,
  ELEMENT_BULK_CHUNK_DEADLINE_MS: true,
  ELEMENT_BULK_PAGES_PER_CHUNK: true,
  ELEMENT_BULK_UPLOAD_BATCH_SIZE: true,
});

export const bulkWorkerOptionsFromEnv = (env: Env): BulkWorkerOptions => {
  const {
    ELEMENT_BULK_MAX_RECEIVE_COUNT: maxReceiveCount,
    ELEMENT_BULK_CHUNK_DEADLINE_MS: chunkDeadlineMs,
    ELEMENT_BULK_PAGES_PER_CHUNK: pagesPerChunk,
    ELEMENT_BULK_UPLOAD_BATCH_SIZE: uploadBatchSize,
  } = readEnv(BULK_WORKER_ENV, env);
  return {
    ...(maxReceiveCount === undefined ? {} : { maxReceiveCount }),
    ...(chunkDeadlineMs === undefined ? {} : { chunkDeadlineMs }),
    ...(pagesPerChunk === undefined ? {} : { pagesPerChunk }),
    ...(uploadBatchSize === undefined ? {} : { uploadBatchSize }),
  };
};

const INCOMING_KEY = /^incoming\/(\d{1,15})\/([A-Za-z0-9_-]{1,128})$/;

/** The jobs a message asks to run; empty for a message to drop (unreadable, test event, foreign key). */
export const messagesOf = (body: string): BulkMessage[] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const value = parsed as Record<string, unknown>;
  if (Array.isArray(value.Records)) {
    const messages: BulkMessage[] = [];
    for (const record of value.Records as { eventName?: unknown; s3?: { object?: { key?: unknown } } }[]) {
      if (typeof record?.eventName !== 'string' || !record.eventName.startsWith('ObjectCreated:')) continue;
      const rawKey = record.s3?.object?.key;
      if (typeof rawKey !== 'string') continue;
      // S3 notifications URL-encode keys, spaces as '+'.
      let key: string;
      try {
        key = decodeURIComponent(rawKey.replaceAll('+', ' '));
      } catch {
        continue;
      }
      const match = INCOMING_KEY.exec(key);
      if (match?.[1] !== undefined && match[2] !== undefined) {
        messages.push({ instanceId: match[1], jobId: match[2], kind: 'upload' });
      }
    }
    return messages;
  }
  const { jobId, instanceId, kind, chunk, partition, format } = value;
  if (typeof jobId !== 'string' || typeof instanceId !== 'string') return [];
  if (
    kind !== 'download-chunk' &&
    kind !== 'complete' &&
    kind !== 'upload' &&
    kind !== 'notify' &&
    kind !== 'convert'
  )
    return [];
  if (format !== undefined && format !== 'csv' && format !== 'json' && format !== 'jsonl') return [];
  const count = (n: unknown) =>
    n === undefined || (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0);
  if (!count(chunk) || !count(partition)) return [];
  return [
    {
      jobId,
      instanceId,
      kind,
      ...(chunk === undefined ? {} : { chunk: chunk as number }),
      ...(partition === undefined ? {} : { partition: partition as number }),
      ...(format === undefined ? {} : { format }),
    },
  ];
};

export const createBulkWorkerHandler = (deps: Dependencies, options: BulkWorkerOptions = {}) => {
  const logger = options.logger ?? createLogger({ serviceName: 'snow-element-bulk-worker' });
  const store = createInstanceStore(deps);
  const now = () => deps.now().getTime();
  const { blobStore, bulkQueue } = deps;
  if (blobStore === undefined || bulkQueue === undefined) {
    throw new Error(
      'The bulk worker needs a blob store and a bulk queue (ELEMENT_BULK_BUCKET, ELEMENT_BULK_QUEUE_URL)',
    );
  }
  const processDeps: ProcessBulkDeps = {
    stateTable: deps.stateTable,
    blobStore,
    queue: bulkQueue,
    now,
    deadlineMs: options.chunkDeadlineMs ?? DEFAULT_CHUNK_DEADLINE_MS,
    ...(options.pagesPerChunk === undefined ? {} : { maxPagesPerChunk: options.pagesPerChunk }),
    uploadBatchSize: options.uploadBatchSize ?? DEFAULT_UPLOAD_BATCH_SIZE,
    ...(options.staleUploadMs === undefined ? {} : { staleUploadMs: options.staleUploadMs }),
    ...(options.cancelCheckEvery === undefined ? {} : { cancelCheckEvery: options.cancelCheckEvery }),
    ...(options.soleWorker === undefined ? {} : { soleWorker: options.soleWorker }),
    clientFor: async (instanceId) => {
      const instance = await store.get(Number(instanceId));
      // ElementErrors end the job in ERROR with this (safe) message instead of retrying.
      if (instance === undefined) throw new NotFoundError('The instance of this bulk job was deleted');
      if (instance.disabled) throw new ForbiddenError(`The instance ${instance.id} is disabled`);
      return serviceNowClientFor(instance, deps);
    },
  };
  const http = sharedOutboundAgent(deps.allowedHosts);

  /** The signature key lives in the instance secret (shared/instances/README.md), read per delivery. */
  const signingKey = async (instanceId: string): Promise<string | undefined> => {
    const instance = await store.get(Number(instanceId));
    if (instance === undefined) return undefined;
    const secret = await store.loadSecret(instance);
    const key =
      secret?.configuration?.[EVENT_KEYS.signatureKey] ?? instance.configuration[EVENT_KEYS.signatureKey];
    return key === undefined || key === '' ? undefined : key;
  };

  const callbackDeps: NotifyJobDeps = {
    stateTable: deps.stateTable,
    now: deps.now,
    http,
    allowedHosts: deps.allowedHosts,
    signingKey,
    ...(options.callbackAttempts === undefined ? {} : { attempts: options.callbackAttempts }),
    ...(options.callbackSleep === undefined ? {} : { sleep: options.callbackSleep }),
  };

  /** A terminal job's completion callback, once (shared/bulk/callback), logged without URL or body. */
  const notify = async (message: BulkMessage): Promise<void> => {
    const sent = await notifyJobCompletion(callbackDeps, message.instanceId, message.jobId);
    if (sent === undefined) return;
    const { job, outcome } = sent;
    const fields = {
      jobId: job.id,
      instanceId: job.instanceId,
      status: job.status,
      attempts: outcome.attempts,
    };
    if (outcome.delivered) logger.info('Bulk job callback delivered', fields);
    else logger.warn('Bulk job callback failed', { ...fields, reason: outcome.reason ?? 'unknown' });
  };

  /** Whether the record may be deleted, and when to see it again if not (default: backoff). */
  const handleRecord = async (record: QueueRecord): Promise<{ ok: boolean; retryAfter?: number }> => {
    const messages = messagesOf(record.body);
    if (messages.length === 0) {
      logger.warn('Dropped an unreadable or unrelated bulk message', { messageId: record.messageId });
      return { ok: true };
    }
    let retryAfter: number | undefined;
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    const last = options.maxReceiveCount !== undefined && receiveCount >= options.maxReceiveCount;
    let ok = true;
    for (const message of messages) {
      try {
        if (receiveCount > 1 && (await endStalledJob(processDeps, message, options.stalledJobMs))) {
          logger.warn('Bulk job made no progress across attempts; it ends in ERROR', {
            jobId: message.jobId,
            instanceId: message.instanceId,
            receiveCount,
          });
        } else {
          await processBulkMessage(message, processDeps);
        }
      } catch (error) {
        if (error instanceof ClaimedByLiveWorkerError) {
          const fields = { jobId: message.jobId, instanceId: message.instanceId, receiveCount };
          if (last) {
            // Every earlier receive waited for the claim to go stale and it never did: its worker
            // lives (a long segment) and queues the next step itself, so this copy is a duplicate.
            logger.info('Bulk job step is still run by a live worker; dropped a duplicate message', fields);
            continue;
          }
          // Another worker may still run this step: look again once its claim would be stale.
          logger.info('Bulk job step is claimed by another worker; retrying later', fields);
          ok = false;
          retryAfter = Math.max(retryAfter ?? 0, error.retryAfterSeconds);
          continue;
        }
        if (!last) {
          logger.warn('Bulk message failed; it will be retried', {
            jobId: message.jobId,
            instanceId: message.instanceId,
            receiveCount,
          });
          ok = false;
          continue;
        }
        // The queue gives up after this receive: end the job rather than leave it RUNNING forever.
        logger.warn('Bulk message failed on its last attempt; the job ends in ERROR', {
          jobId: message.jobId,
          instanceId: message.instanceId,
          receiveCount,
        });
        await failBulkJob(processDeps, message, error);
      }
      try {
        await notify(message);
      } catch {
        // The job's result stands; a lost notification is logged by deliverJobCallback's caller only.
        logger.warn('Bulk job callback could not be recorded', { jobId: message.jobId });
      }
    }
    return { ok, ...(retryAfter === undefined ? {} : { retryAfter }) };
  };

  const handle = async (event: QueueEvent): Promise<BatchResponse> => {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    // One at a time: a download chunk is a long, memory-bounded stream; parallel chunks would compete.
    for (const record of event.Records) {
      let outcome: { ok: boolean; retryAfter?: number };
      try {
        outcome = await handleRecord(record);
      } catch {
        outcome = { ok: false };
      }
      if (!outcome.ok) {
        batchItemFailures.push({ itemIdentifier: record.messageId });
        const delay =
          outcome.retryAfter ??
          retryDelaySeconds(Number(record.attributes.ApproximateReceiveCount) || 1, BULK_RETRY_DELAY);
        await options.retryLater?.(record, delay).catch(() => undefined);
      }
    }
    return { batchItemFailures };
  };

  /**
   * The bulk dead-letter queue's consumer: a message there failed or died on every receive (a worker
   * killed on its last attempt never got to end the job), so its job ends in ERROR rather than staying
   * RUNNING with no message left. Terminal jobs are left as they are.
   */
  const deadLetters = async (event: QueueEvent): Promise<BatchResponse> => {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      try {
        for (const message of messagesOf(record.body)) {
          await failBulkJob(
            processDeps,
            message,
            new InternalError('The bulk job stopped: its worker failed on every attempt'),
          );
          logger.warn('Bulk message dead-lettered; its job ends in ERROR', {
            jobId: message.jobId,
            instanceId: message.instanceId,
          });
        }
      } catch {
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };

  return Object.assign(handle, { deadLetters });
};

let handlerPromise: Promise<ReturnType<typeof createBulkWorkerHandler>> | undefined;

/**
 * One function, two event sources: the bulk queue, and its dead-letter queue
 * (ELEMENT_BULK_DEAD_LETTER_QUEUE_ARN), whose messages end their jobs in ERROR.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  handlerPromise ??= getDependencies(AWS_PORTS).then(
    (deps) =>
      createBulkWorkerHandler(deps, {
        ...bulkWorkerOptionsFromEnv(process.env),
        ...(deps.mode === 'aws' ? { retryLater: sqsRetryLater(process.env.ELEMENT_BULK_QUEUE_URL) } : {}),
      }),
    (error: unknown) => {
      handlerPromise = undefined;
      throw error;
    },
  );
  const worker = await handlerPromise;
  return routeDeadLetters(
    event.Records as unknown as QueueRecord[],
    process.env.ELEMENT_BULK_DEAD_LETTER_QUEUE_ARN,
    { live: worker, deadLetters: worker.deadLetters },
  );
};
