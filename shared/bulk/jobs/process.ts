/**
 * The bulk worker's entry: one queue message, one step of a job (download-steps.ts, upload-steps.ts;
 * what they share is in worker-context.ts).
 */
import { isRetryable } from '../../errors';
import { convertStep } from './convert-step';
import { complete, downloadChunk } from './download-steps';
import { getJob, TERMINAL_STATUSES } from './job';
import { upload } from './upload-steps';
import { type BulkMessage, failBulkJob, finishCancel, type ProcessBulkDeps } from './worker-context';

/**
 * The queue worker. Resolves when the message may be deleted; throws when it should be redelivered
 * (infrastructure failures: state table, blob store, queue). ServiceNow failures that survived the
 * client's own retries (domain errors: isRetryable is false) end the job in ERROR instead.
 */
export async function processBulkMessage(message: BulkMessage, deps: ProcessBulkDeps): Promise<void> {
  const job = await getJob(deps.stateTable, message.instanceId, message.jobId);
  if (job === undefined || message.kind === 'notify') return;
  // A conversion works on a finished job's file; everything else only on jobs still running.
  if (message.kind === 'convert') return convertStep(message, job, deps);
  if (TERMINAL_STATUSES.has(job.status)) return;
  if (job.status === 'CANCELLATION_PENDING') return finishCancel(deps, job);
  try {
    if (message.kind === 'download-chunk') await downloadChunk(message, job, deps);
    else if (message.kind === 'complete') await complete(job, deps);
    else await upload(message, job, deps);
  } catch (error) {
    if (isRetryable(error)) throw error;
    await failBulkJob(deps, message, error);
  }
}
