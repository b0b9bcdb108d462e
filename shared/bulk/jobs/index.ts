/**
 * The bulk job state machine (CE bulk, research section 6): job records in the state table and the
 * queue worker that drives downloads chunk by chunk and uploads in one pass.
 */
export type { BulkDirection, BulkJob, BulkJobStatus, CreateJobInput, ListJobsOptions } from './job';
export { createJob, getJob, jobKey, listJobs, newJobId, requestCancel, TERMINAL_STATUSES } from './job';
export type { BulkMessage, ProcessBulkDeps } from './process';
export { bulkMessage, errorReportKey, failBulkJob, processBulkMessage } from './process';
