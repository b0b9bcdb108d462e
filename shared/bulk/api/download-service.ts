/**
 * What the bulk download API does with job records, apart from HTTP: the start of an incremental export
 * (`continueFromJobId`), and which stored file answers a download in the format asked for, queueing its
 * conversion when it is not written yet.
 */
import {
  ConflictError,
  ElementError,
  InvalidInputError,
  NotFoundError,
  UnavailableError,
} from '../../errors';
import type { DownloadFormat } from '../download';
import { type BulkJob, bulkMessage, CONVERSION_STALE_MS, getJob, setConvertedFile } from '../jobs';
import { negotiateFormat } from './accept';
import type { BulkJobContext } from './job-service';

/**
 * Where a download continuing `jobId` starts: when that earlier COMPLETED download of the same object
 * started, so this one takes the rows changed since (an incremental export on `filterDateField`).
 */
export const continuedFrom = async (
  context: BulkJobContext,
  objectName: string,
  jobId: string,
): Promise<string> => {
  const previous = await getJob(context.stateTable, context.instanceId, jobId);
  if (previous === undefined || previous.direction !== 'download') {
    throw new NotFoundError(`No download job ${jobId.slice(0, 128)} to continue from`);
  }
  if (previous.objectName !== objectName || previous.status !== 'COMPLETED') {
    throw new InvalidInputError('continueFromJobId must name a COMPLETED download of the same objectName');
  }
  return previous.startedAt ?? previous.createdAt;
};

/** Roughly how fast the worker converts (bytes/s), for Retry-After: 1-60 s. */
const CONVERSION_BYTES_PER_SECOND = 50 * 1024 * 1024;

/**
 * Queues the conversion of the job's file to `format` unless one is under way; resolves to the seconds
 * after which to ask again.
 */
const requestConversion = async (context: BulkJobContext, job: BulkJob, format: DownloadFormat) => {
  const now = () => context.now().getTime();
  const fresh = (current: BulkJob) => {
    const pending = current.files?.[format];
    return pending?.status === 'PENDING' && Date.parse(pending.requestedAt) + CONVERSION_STALE_MS > now();
  };
  if (!fresh(job)) {
    const requestedAt = context.now().toISOString();
    const updated = await setConvertedFile(
      { stateTable: context.stateTable, now },
      job,
      format,
      { status: 'PENDING', requestedAt },
      { unless: (current) => fresh(current) || current.files?.[format]?.status === 'READY' },
    );
    // Queued only by the request that recorded PENDING (another request or a finished worker won otherwise).
    if (updated?.files?.[format]?.requestedAt === requestedAt) {
      const message = bulkMessage({ jobId: job.id, instanceId: job.instanceId, kind: 'convert', format });
      const { failed } = await context.queue().sendBatch([message]);
      if (failed.length > 0)
        throw new UnavailableError('The conversion could not be queued; try again later');
    }
  }
  const source = await context.blobStore().head(job.download?.resultKey ?? '');
  return Math.min(60, Math.max(1, Math.ceil((source?.size ?? 0) / CONVERSION_BYTES_PER_SECOND)));
};

export type DownloadFile =
  | { status: 'ready'; job: BulkJob; format: DownloadFormat; key: string }
  | { status: 'converting'; job: BulkJob; format: DownloadFormat; retryAfterSeconds: number };

/**
 * The finished file of download `id` of `objectName` in the format `accept` asks for: stored, or being
 * converted once by the worker. 404 for another job, 409 before COMPLETED, 406 for a format it cannot
 * be served in, the conversion's own error when it failed.
 */
export const downloadFile = async (
  context: BulkJobContext,
  id: string,
  objectName: string,
  accept: string | undefined,
): Promise<DownloadFile> => {
  const job = await getJob(context.stateTable, context.instanceId, id);
  if (job === undefined || job.direction !== 'download' || job.objectName !== objectName) {
    throw new NotFoundError(`No bulk download ${id.slice(0, 128)} of ${objectName.slice(0, 128)}`);
  }
  const stored = job.download?.job.format ?? 'jsonl';
  const storedKey = job.download?.resultKey;
  if (job.status !== 'COMPLETED' || storedKey === undefined) {
    throw new ConflictError(`The bulk job is ${job.status}; its file is available once it is COMPLETED`);
  }
  const format = negotiateFormat(accept, stored);
  if (format === undefined) {
    throw new ElementError(
      406,
      'A bulk file is served as text/csv, application/jsonl or application/json (JSON lines; an array with application/json; format=array)',
    );
  }
  if (format === stored) return { status: 'ready', job, format, key: storedKey };
  const converted = job.files?.[format];
  if (converted?.status === 'ERROR') {
    throw new ElementError(converted.statusCode ?? 500, converted.error ?? 'The conversion failed');
  }
  if (converted?.status === 'READY' && converted.key !== undefined) {
    return { status: 'ready', job, format, key: converted.key };
  }
  return {
    status: 'converting',
    job,
    format,
    retryAfterSeconds: await requestConversion(context, job, format),
  };
};
