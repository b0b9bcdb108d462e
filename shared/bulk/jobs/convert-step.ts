/**
 * A completed download in another format (the `convert` message): the worker streams the job's file into
 * the wanted format once, and every later request for it is a plain download of the converted object.
 */
import { isElementError, isRetryable } from '../../errors';
import { ConditionFailedError } from '../../ports';
import { convertDownload, type DownloadFormat } from '../download';
import { type BulkJob, type ConvertedFile, getJob, updateJob } from './job';
import { type BulkMessage, iso, type ProcessBulkDeps, safeMessage } from './worker-context';

/** A PENDING conversion older than this lost its worker (Lambda runs 15 minutes at most): queue it again. */
export const CONVERSION_STALE_MS = 16 * 60_000;

/**
 * Sets `files[format]` without losing another format's entry written meanwhile (conditional on the
 * version read, re-read on conflict). Undefined when the job is gone.
 */
export async function setConvertedFile(
  deps: Pick<ProcessBulkDeps, 'stateTable' | 'now'>,
  job: BulkJob,
  format: DownloadFormat,
  file: ConvertedFile,
  options: { unless?: (current: BulkJob) => boolean } = {},
): Promise<BulkJob | undefined> {
  let current: BulkJob | undefined = job;
  for (let attempt = 0; attempt < 10 && current !== undefined; attempt++) {
    if (options.unless?.(current) === true) return current;
    try {
      return await updateJob(
        deps.stateTable,
        current,
        { files: { ...current.files, [format]: file } },
        deps.now,
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      current = await getJob(deps.stateTable, job.instanceId, job.id);
    }
  }
  return current;
}

const columnsOf = (job: BulkJob): readonly string[] | undefined =>
  job.download?.partitions?.[0]?.cursor.columns ?? job.download?.cursor.columns;

export async function convertStep(message: BulkMessage, job: BulkJob, deps: ProcessBulkDeps): Promise<void> {
  const format = message.format;
  const state = job.download;
  if (format === undefined || state === undefined || job.status !== 'COMPLETED') return;
  if (format === state.job.format || job.files?.[format]?.status === 'READY') return;
  const requestedAt = job.files?.[format]?.requestedAt ?? iso(deps.now);
  let file: ConvertedFile;
  try {
    const columns = columnsOf(job);
    const { key } = await convertDownload({
      blobStore: deps.blobStore,
      jobId: job.id,
      from: state.job.format,
      to: format,
      ...(columns === undefined ? {} : { columns }),
      ...(state.job.fields === undefined ? {} : { fields: state.job.fields }),
      deadline: deps.now() + deps.deadlineMs,
      now: deps.now,
    });
    file = { status: 'READY', requestedAt, key };
  } catch (error) {
    // Infrastructure failures are retried by the queue; a file that cannot be converted is reported.
    if (isRetryable(error) || !isElementError(error)) throw error;
    file = { status: 'ERROR', requestedAt, error: safeMessage(error), statusCode: error.status };
  }
  await setConvertedFile(deps, job, format, file);
}
