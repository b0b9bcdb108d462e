/**
 * The bulk job state machine (CE bulk): job records in the state table and the
 * queue worker that drives downloads chunk by chunk and uploads in one pass.
 */
export { CONVERSION_STALE_MS, setConvertedFile } from './convert-step';
export type {
  BulkDirection,
  BulkJob,
  BulkJobStatus,
  ConvertedFile,
  CreateJobInput,
  ListJobsOptions,
} from './job';
export {
  createJob,
  getJob,
  jobFromItem,
  jobKey,
  listJobs,
  newJobId,
  requestCancel,
  TERMINAL_STATUSES,
  updateJob,
} from './job';
export { processBulkMessage } from './process';
export {
  type BulkMessage,
  bulkMessage,
  ClaimedByLiveWorkerError,
  DEFAULT_STALE_UPLOAD_MS,
  DEFAULT_STALLED_JOB_MS,
  endStalledJob,
  errorReportKey,
  failBulkJob,
  type ProcessBulkDeps,
} from './worker-context';
