/**
 * What the bulk API does with job records, apart from HTTP: start a job (and undo it when it cannot be
 * queued), read the caller's job (ending an upload whose URL expired unused), cancel, list, and page
 * through an upload's error report.
 */
import { createInterface } from 'node:readline';
import { ConflictError, NotFoundError, UnavailableError } from '../../errors';
import type { AllowedHosts } from '../../net';
import type { BlobStore, QueueProducer, StateTable } from '../../ports';
import { checkCallbackUrl } from '../callback';
import {
  type BulkJob,
  bulkMessage,
  type CreateJobInput,
  createJob,
  getJob,
  listJobs,
  requestCancel,
  TERMINAL_STATUSES,
  updateJob,
} from '../jobs';
import { jobView } from './job-view';
import { parseJobsWhere, signJobsToken, verifyJobsToken } from './jobs-query';

/** The caller's instance and the ports a bulk request uses; blob store and queue throw when absent. */
export interface BulkJobContext {
  instanceId: string;
  stateTable: StateTable;
  allowedHosts: AllowedHosts;
  now: () => Date;
  blobStore(): BlobStore;
  queue(): QueueProducer;
}

const millis = (context: BulkJobContext) => () => context.now().getTime();

/** A job's callback URL, SSRF-checked now (400 if refused); blank means none. */
export const checkedCallbackUrl = async (
  context: BulkJobContext,
  url: string | undefined,
): Promise<string | undefined> => {
  if (url === undefined || url.trim() === '') return undefined;
  return checkCallbackUrl(url.trim(), { allowedHosts: context.allowedHosts });
};

/**
 * Creates the job and queues its first message. When the queue refuses, the job is marked ERROR and
 * the caller gets a 503: a CREATED job nobody will ever run must not be left behind.
 */
export async function startJob(
  context: BulkJobContext,
  input: Omit<CreateJobInput, 'instanceId'>,
  options: { queue?: boolean } = {},
): Promise<BulkJob> {
  const queue = context.queue();
  const job = await createJob(
    context.stateTable,
    { ...input, instanceId: context.instanceId },
    millis(context),
  );
  if (options.queue === false) return job;
  const kind = job.direction === 'download' ? 'download-chunk' : 'upload';
  let failed = true;
  try {
    const message = bulkMessage({ jobId: job.id, instanceId: job.instanceId, kind, chunk: 0 });
    failed = (await queue.sendBatch([message])).failed.length > 0;
  } catch {
    failed = true;
  }
  if (failed) {
    await updateJob(
      context.stateTable,
      job,
      { status: 'ERROR', error: 'The job could not be queued', completedAt: context.now().toISOString() },
      millis(context),
      { conditional: false },
    );
    throw new UnavailableError('The bulk job could not be queued; try again later');
  }
  return job;
}

/**
 * The answer CE gives for a new job (`BulkQuery` / `BulkUploadResponse`): CE documents
 * `instance_id` for a query and `instanceId` for an upload, so both are there.
 */
export const createdView = (job: BulkJob) => ({
  id: job.id,
  status: job.status,
  instanceId: Number(job.instanceId),
  instance_id: Number(job.instanceId),
});

/**
 * The caller's job (404 otherwise). A presigned upload whose URL expired with no file is ABORTED
 * here, on read: nothing else would ever end it.
 */
export const ownJob = async (context: BulkJobContext, id: string): Promise<BulkJob> => {
  const job = await getJob(context.stateTable, context.instanceId, id);
  if (job === undefined) throw new NotFoundError(`No bulk job ${id.slice(0, 128)}`);
  const until = job.upload?.awaitingFileUntil;
  // A minute of grace: a PUT that started just before expiry may still be landing.
  if (
    job.status === 'CREATED' &&
    until !== undefined &&
    Date.parse(until) + 60_000 < context.now().getTime()
  ) {
    return updateJob(
      context.stateTable,
      job,
      {
        status: 'ABORTED',
        error: 'No file was uploaded before the upload URL expired',
        completedAt: context.now().toISOString(),
      },
      millis(context),
    ).catch(() => job);
  }
  return job;
};

/**
 * A job not started yet is CANCELLED at once (and its callback queued), a running one becomes
 * CANCELLATION_PENDING until the worker stops it at its next check.
 */
export const cancelJob = async (context: BulkJobContext, id: string): Promise<BulkJob> => {
  const before = await ownJob(context, id);
  if (TERMINAL_STATUSES.has(before.status)) {
    throw new ConflictError(`The bulk job is already ${before.status}; there is nothing to cancel`);
  }
  const job = await requestCancel(context.stateTable, context.instanceId, id, millis(context));
  if (job === undefined) throw new NotFoundError('No such bulk job');
  if (job.status === 'CANCELLED' && job.startedAt === undefined) {
    if (job.upload !== undefined) {
      await context
        .blobStore()
        .delete(job.upload.blobKey)
        .catch(() => undefined);
    }
    if (job.notificationUrl !== undefined) {
      // The worker delivers the callback; a failed send only loses the notification, not the cancel.
      const notify = bulkMessage({ jobId: job.id, instanceId: job.instanceId, kind: 'notify' });
      await context
        .queue()
        .sendBatch([{ ...notify, id: `${job.id}-notify` }])
        .catch(() => undefined);
    }
  }
  return job;
};

/** Newest first, CEQL `where` over the job fields (parseJobsWhere), paged by signed tokens. */
export const listJobPage = async (
  context: BulkJobContext,
  page: { where: string | null; pageSize: number; token: string | null; tokenKey: () => Buffer },
): Promise<{ jobs: ReturnType<typeof jobView>[]; nextToken?: string }> => {
  const { matches, ...filter } = parseJobsWhere(page.where);
  const scope = `${context.instanceId}|${page.where ?? ''}`;
  let cursor = page.token ? verifyJobsToken(page.tokenKey(), scope, page.token) : undefined;
  const items: BulkJob[] = [];
  // Filters apply after each index read; reading at most what is still missing means nothing read is
  // dropped, and the next token resumes exactly after the last job shown (bounded reads per call).
  for (let reads = 0; reads < 10 && items.length < page.pageSize; reads++) {
    const read = await listJobs(context.stateTable, context.instanceId, {
      ...filter,
      limit: page.pageSize - items.length,
      ...(cursor === undefined ? {} : { cursor }),
    });
    items.push(...(matches === undefined ? read.items : read.items.filter(matches)));
    cursor = read.cursor;
    if (cursor === undefined) break;
  }
  return {
    jobs: items.map(jobView),
    ...(cursor === undefined ? {} : { nextToken: signJobsToken(page.tokenKey(), scope, cursor) }),
  };
};

/**
 * The rows an upload could not write, `{rowNumber, reason, status?, providerMessage?}`, from the job's
 * error reports (one per segment, in row order), `pageSize` of them from `offset`.
 */
export const errorReportPage = async (
  context: BulkJobContext,
  id: string,
  offset: number,
  pageSize: number,
): Promise<{ items: unknown[]; more: boolean }> => {
  const job = await ownJob(context, id);
  const items: unknown[] = [];
  let more = false;
  let index = 0;
  for (const key of job.upload?.errorReportKeys ?? []) {
    if (more) break;
    const object = await context.blobStore().get(key);
    if (object === undefined) continue;
    const lines = createInterface({ input: object.body, crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      if (index >= offset + pageSize) {
        more = true;
        break;
      }
      if (index >= offset) items.push(JSON.parse(line));
      index++;
    }
    lines.close();
    object.body.destroy();
  }
  return { items, more };
};
