/** The bulk queue's consumer: which jobs a queue message names, and one record's run through them. */

export { messagesOf } from './messages';
export {
  BULK_RETRY_DELAY,
  BulkMessageRetryError,
  BulkQueueWorker,
  type BulkQueueWorkerDeps,
  type BulkWorkerLogger,
} from './queue-worker';
export {
  type BulkWorkerOptions,
  type BulkWorkerPorts,
  bulkWorkerOptionsFromEnv,
  createBulkQueueWorker,
  DEFAULT_CHUNK_DEADLINE_MS,
  DEFAULT_UPLOAD_BATCH_SIZE,
} from './setup';
