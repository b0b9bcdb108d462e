import { type Env, FUNCTION_ENV, readEnv } from '../../config/env';
import { ForbiddenError, NotFoundError } from '../../errors';
import { EVENT_KEYS } from '../../events';
import {
  createInstanceStore,
  fullConfiguration,
  type InstanceDeps,
  instanceSecretFor,
  serviceNowClientFor,
} from '../../instances';
import { sharedOutboundAgent } from '../../net';
import type { BlobStore, QueueProducer, QueueRecord } from '../../ports';
import * as z from '../../validation/zod';
import type { ProcessBulkDeps } from '../jobs';
import { BulkQueueWorker, type BulkWorkerLogger } from './queue-worker';

export interface BulkWorkerPorts extends InstanceDeps {
  blobStore?: BlobStore;
  bulkQueue?: QueueProducer;
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
  /** See BulkQueueWorkerDeps.retryLater. */
  retryLater?: (record: QueueRecord, delaySeconds: number) => Promise<void>;
}

const BULK_WORKER_ENV = z.pick(FUNCTION_ENV, {
  ELEMENT_BULK_MAX_RECEIVE_COUNT: true,
  ELEMENT_BULK_CHUNK_DEADLINE_MS: true,
  ELEMENT_BULK_PAGES_PER_CHUNK: true,
  ELEMENT_BULK_UPLOAD_BATCH_SIZE: true,
});

/** The worker's settings from the function's environment (shared/config/env.ts checks each). */
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

export const DEFAULT_CHUNK_DEADLINE_MS = 600_000;
export const DEFAULT_UPLOAD_BATCH_SIZE = 50;

/** The bulk queue worker on the given ports: jobs' ServiceNow clients and callback keys from the instances. */
export const createBulkQueueWorker = (
  ports: BulkWorkerPorts,
  logger: BulkWorkerLogger,
  options: BulkWorkerOptions = {},
): BulkQueueWorker => {
  const { blobStore, bulkQueue } = ports;
  if (blobStore === undefined || bulkQueue === undefined) {
    throw new Error(
      'The bulk worker needs a blob store and a bulk queue (ELEMENT_BULK_BUCKET, ELEMENT_BULK_QUEUE_URL)',
    );
  }
  const store = createInstanceStore(ports);
  const process: ProcessBulkDeps = {
    stateTable: ports.stateTable,
    blobStore,
    queue: bulkQueue,
    now: () => ports.now().getTime(),
    deadlineMs: options.chunkDeadlineMs ?? DEFAULT_CHUNK_DEADLINE_MS,
    ...(options.pagesPerChunk === undefined ? {} : { maxPagesPerChunk: options.pagesPerChunk }),
    uploadBatchSize: options.uploadBatchSize ?? DEFAULT_UPLOAD_BATCH_SIZE,
    ...(options.staleUploadMs === undefined ? {} : { staleUploadMs: options.staleUploadMs }),
    ...(options.cancelCheckEvery === undefined ? {} : { cancelCheckEvery: options.cancelCheckEvery }),
    ...(options.soleWorker === undefined ? {} : { soleWorker: options.soleWorker }),
    clientFor: async (instanceId) => {
      const instance = await store.get(Number(instanceId));
      // Domain errors end the job in ERROR with this (safe) message instead of retrying.
      if (instance === undefined) throw new NotFoundError('The instance of this bulk job was deleted');
      if (instance.disabled) throw new ForbiddenError(`The instance ${instance.id} is disabled`);
      return serviceNowClientFor(instance, ports);
    },
  };
  /**
   * The signature key lives in the instance secret (shared/instances/README.md), read through the same
   * per-process cache as the events dispatcher: a burst of job callbacks reads it once.
   */
  const signingKey = async (instanceId: string): Promise<string | undefined> => {
    const instance = await store.get(Number(instanceId));
    if (instance === undefined) return undefined;
    const secret = await instanceSecretFor(instance, ports);
    const key = fullConfiguration(instance, secret)[EVENT_KEYS.signatureKey];
    return key === undefined || key === '' ? undefined : key;
  };
  return new BulkQueueWorker({
    process,
    callbacks: {
      stateTable: ports.stateTable,
      now: ports.now,
      http: sharedOutboundAgent(ports.allowedHosts),
      allowedHosts: ports.allowedHosts,
      signingKey,
      ...(options.callbackAttempts === undefined ? {} : { attempts: options.callbackAttempts }),
      ...(options.callbackSleep === undefined ? {} : { sleep: options.callbackSleep }),
    },
    logger,
    ...(options.maxReceiveCount === undefined ? {} : { maxReceiveCount: options.maxReceiveCount }),
    ...(options.stalledJobMs === undefined ? {} : { stalledJobMs: options.stalledJobMs }),
    ...(options.retryLater === undefined ? {} : { retryLater: options.retryLater }),
  });
};
