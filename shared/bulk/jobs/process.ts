import { isElementError } from '../../errors';
import { type BlobStore, ConditionFailedError, type QueueProducer, type StateTable } from '../../ports';
import type { ServiceNowClient } from '../../servicenow';
import { assembleDownload, runDownloadChunk } from '../download';
import { createErrorReport, parseUpload, uploadRows } from '../upload';
import { type BulkJob, getJob, TERMINAL_STATUSES, updateJob } from './job';

export interface BulkMessage {
  jobId: string;
  instanceId: string;
  kind: 'download-chunk' | 'upload';
  /**
   * Download: the part this message was sent to write (the committed `nextPart` at send time). A
   * message whose part is behind the committed cursor is stale (a redelivery of work already
   * committed) and is acknowledged without effect. Absent means 0 (the first message).
   */
  part?: number;
}

export interface ProcessBulkDeps {
  stateTable: StateTable;
  blobStore: BlobStore;
  queue: QueueProducer;
  clientFor(instanceId: string): ServiceNowClient | Promise<ServiceNowClient>;
  now: () => number;
  /** Time budget for one download chunk (keep well under the Lambda timeout / queue visibility). */
  deadlineMs: number;
  /** Keyset pages per chunk at most (default 10). */
  maxPagesPerChunk?: number;
  /** Upload: look at the job for a cancel request every this many rows (default 100). */
  cancelCheckEvery?: number;
}

export const errorReportKey = (jobId: string): string => `jobs/${jobId}/errors.jsonl`;

/** Serialised message for QueueProducer.sendBatch. */
export const bulkMessage = (message: BulkMessage) => ({
  id: `${message.jobId}-${message.part ?? 0}`.slice(0, 80),
  body: JSON.stringify(message),
});

const iso = (now: () => number) => new Date(now()).toISOString();

const send = async (queue: QueueProducer, message: BulkMessage): Promise<void> => {
  for (let attempt = 0; attempt < 3; attempt++) {
    const { failed } = await queue.sendBatch([bulkMessage(message)]);
    if (failed.length === 0) return;
  }
  // Thrown so the current message is redelivered; see the report about stalled jobs.
  throw new Error('Could not enqueue the next bulk chunk');
};

const deleteParts = async (blobStore: BlobStore, jobId: string): Promise<void> => {
  let cursor: string | undefined;
  do {
    const page = await blobStore.list(`jobs/${jobId}/parts/`, cursor === undefined ? {} : { cursor });
    for (const item of page.items) await blobStore.delete(item.key);
    cursor = page.cursor;
  } while (cursor !== undefined);
};

/** Only our own ElementError messages reach the job record: they are written to carry no secrets. */
const safeMessage = (error: unknown): string =>
  isElementError(error)
    ? error.providerMessage === undefined
      ? error.message
      : `${error.message}: ${error.providerMessage}`
    : 'Internal error while processing the bulk job';

/**
 * Marks a job ERROR (e.g. from a dead-letter queue handler after the queue gave up redelivering).
 * Terminal jobs are left as they are.
 */
export async function failBulkJob(
  deps: ProcessBulkDeps,
  message: BulkMessage,
  error: unknown,
): Promise<void> {
  const job = await getJob(deps.stateTable, message.instanceId, message.jobId);
  if (job === undefined || TERMINAL_STATUSES.has(job.status)) return;
  await updateJob(
    deps.stateTable,
    job,
    { status: 'ERROR', error: safeMessage(error), completedAt: iso(deps.now) },
    deps.now,
    { conditional: false },
  );
}

const finishCancel = async (deps: ProcessBulkDeps, job: BulkJob): Promise<void> => {
  if (job.direction === 'download') await deleteParts(deps.blobStore, job.id);
  await updateJob(deps.stateTable, job, { status: 'CANCELLED', completedAt: iso(deps.now) }, deps.now, {
    conditional: false,
  });
};

/**
 * The queue worker. Resolves when the message may be deleted; throws when it should be redelivered
 * (infrastructure failures: state table, blob store, queue). ServiceNow failures that survived the
 * client's own retries (ElementError) end the job in ERROR instead.
 */
export async function processBulkMessage(message: BulkMessage, deps: ProcessBulkDeps): Promise<void> {
  const job = await getJob(deps.stateTable, message.instanceId, message.jobId);
  if (job === undefined || TERMINAL_STATUSES.has(job.status)) return;
  if (job.status === 'CANCELLATION_PENDING') return finishCancel(deps, job);
  try {
    if (message.kind === 'download-chunk') await downloadChunk(message, job, deps);
    else await upload(job, deps);
  } catch (error) {
    if (!isElementError(error)) throw error;
    await failBulkJob(deps, message, error);
  }
}

async function downloadChunk(message: BulkMessage, job: BulkJob, deps: ProcessBulkDeps): Promise<void> {
  const state = job.download;
  if (job.direction !== 'download' || state === undefined) return;
  // Stale: a redelivered or duplicated message for a part already committed. The first message of a
  // job is for part 0, so its duplicates are caught the same way.
  if ((message.part ?? 0) < state.cursor.nextPart) return;
  const client = await deps.clientFor(job.instanceId);
  const result = await runDownloadChunk({
    client,
    blobStore: deps.blobStore,
    job: state.job,
    cursor: state.cursor,
    ...(deps.maxPagesPerChunk === undefined ? {} : { maxPages: deps.maxPagesPerChunk }),
    deadline: deps.now() + deps.deadlineMs,
    now: deps.now,
  });
  let committed: BulkJob;
  try {
    // ifVersion: a duplicate of this message that ran the same chunk concurrently commits only once.
    committed = await updateJob(
      deps.stateTable,
      job,
      {
        status: 'RUNNING',
        ...(job.startedAt === undefined ? { startedAt: iso(deps.now) } : {}),
        recordsCount: result.cursor.rows,
        download: { ...state, cursor: result.cursor },
      },
      deps.now,
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    const current = await getJob(deps.stateTable, job.instanceId, job.id);
    // A cancel request landed while the chunk ran: finish it now (the part just written goes too).
    if (current?.status === 'CANCELLATION_PENDING') return finishCancel(deps, current);
    return; // someone else committed this chunk: nothing more to do
  }
  if (!result.done) {
    await send(deps.queue, {
      jobId: job.id,
      instanceId: job.instanceId,
      kind: 'download-chunk',
      part: result.cursor.nextPart,
    });
    return;
  }
  const { key } = await assembleDownload(deps.blobStore, job.id, result.cursor, state.job.format);
  await updateJob(
    deps.stateTable,
    committed,
    {
      status: 'COMPLETED',
      completedAt: iso(deps.now),
      download: { ...state, cursor: result.cursor, resultKey: key },
    },
    deps.now,
    { conditional: false },
  );
  await deleteParts(deps.blobStore, job.id);
}

async function upload(job: BulkJob, deps: ProcessBulkDeps): Promise<void> {
  const state = job.upload;
  if (job.direction !== 'upload' || state === undefined) return;
  // Claim the job: a duplicate message (or a redelivery after a crash) finds it RUNNING and stops,
  // because re-running an upload would write its rows twice.
  if (job.status !== 'CREATED') return;
  let running: BulkJob;
  try {
    running = await updateJob(
      deps.stateTable,
      job,
      { status: 'RUNNING', startedAt: iso(deps.now) },
      deps.now,
    );
  } catch (error) {
    if (error instanceof ConditionFailedError) return;
    throw error;
  }
  const blob = await deps.blobStore.get(state.blobKey);
  if (blob === undefined) {
    await updateJob(
      deps.stateTable,
      running,
      { status: 'ERROR', error: 'The uploaded file is missing', completedAt: iso(deps.now) },
      deps.now,
      { conditional: false },
    );
    return;
  }
  const controller = new AbortController();
  const every = deps.cancelCheckEvery ?? 100;
  let nextCheck = every;
  let checking = false;
  const checkCancel = (handled: number) => {
    if (handled < nextCheck || checking) return;
    nextCheck = handled + every;
    checking = true;
    getJob(deps.stateTable, job.instanceId, job.id)
      .then((current) => {
        if (current?.status === 'CANCELLATION_PENDING') controller.abort();
      })
      .catch(() => {}) // a failed poll only delays the cancel until the next one
      .finally(() => {
        checking = false;
      });
  };
  const report = createErrorReport(deps.blobStore, errorReportKey(job.id), 'jsonl');
  let result: Awaited<ReturnType<typeof uploadRows>>;
  try {
    result = await uploadRows({
      client: await deps.clientFor(job.instanceId),
      table: job.table,
      rows: parseUpload(blob.body, state.format),
      ...(state.identifierField === undefined ? {} : { identifierField: state.identifierField }),
      signal: controller.signal,
      onProgress: (progress) => checkCancel(progress.written + progress.failed),
      onError: (failure) => report.add(failure),
    });
  } catch (error) {
    await report.abort(error as Error);
    throw error;
  }
  const { key } = await report.close();
  await updateJob(
    deps.stateTable,
    running,
    {
      status: result.cancelled ? 'CANCELLED' : 'COMPLETED',
      recordsCount: result.written + result.failed,
      recordsFailedCount: result.failed,
      completedAt: iso(deps.now),
      upload: { ...state, errorReportKey: key },
    },
    deps.now,
    { conditional: false },
  );
}
