import { Transform } from 'node:stream';
import { isElementError } from '../../errors';
import {
  type BlobStore,
  ConditionFailedError,
  MAX_MULTIPART_PARTS,
  type QueueProducer,
  type StateTable,
} from '../../ports';
import type { ServiceNowClient, SnRecord } from '../../servicenow';
import { type Transformation, toCommon, toVendor } from '../../transformations';
import {
  completeDownload,
  type DownloadCursor,
  type DownloadJob,
  type DownloadStream,
  deleteCarries,
  discardDownload,
  FORMAT_CONTENT_TYPE,
  planPartitions,
  resultKey,
  runDownloadChunk,
} from '../download';
import { createErrorReport, type ParsedRow, parseUpload, toRecord, uploadRows } from '../upload';
import { type BulkJob, getJob, jobFromItem, jobKey, TERMINAL_STATUSES, updateJob } from './job';

export interface BulkMessage {
  jobId: string;
  instanceId: string;
  /**
   * `complete`: every page of a download is committed; make the result file from its parts.
   * `notify`: only (re)deliver the completion callback of a job that is already terminal.
   */
  kind: 'download-chunk' | 'complete' | 'upload' | 'notify';
  /** Download: the stream of a partitioned job this chunk belongs to (absent: the job's one stream). */
  partition?: number;
  /**
   * Download: the chunk this message was sent to run (the committed `chunks` count at send time). A
   * message whose chunk is behind the committed cursor is stale (a redelivery of work already
   * committed) and is acknowledged without effect. Absent means 0 (the first message).
   */
  chunk?: number;
}

export interface ProcessBulkDeps {
  stateTable: StateTable;
  blobStore: BlobStore;
  queue: QueueProducer;
  clientFor(instanceId: string): ServiceNowClient | Promise<ServiceNowClient>;
  now: () => number;
  /** Time budget for one download chunk (keep well under the Lambda timeout / queue visibility). */
  deadlineMs: number;
  /** Keyset pages per chunk, unless its part is still under the least part size (default 25). */
  maxPagesPerChunk?: number;
  /** Download: look at the job for a cancel request at most this often while a chunk reads (default 1 s). */
  cancelCheckMs?: number;
  /** Upload: look at the job for a cancel request every this many rows (default 100). */
  cancelCheckEvery?: number;
  /**
   * Upload: rows go through the Batch API this many per request (research C.3), upserts after one IN
   * lookup per batch; undefined or 0 = one Table API request per row.
   */
  uploadBatchSize?: number;
  /**
   * A RUNNING upload whose record was not touched for this long lost its worker (crash, timeout): the
   * next message for it marks it ABORTED instead of leaving it RUNNING forever. Default 5 minutes; the
   * worker touches the record every `cancelCheckEvery` rows.
   */
  staleUploadMs?: number;
}

export const DEFAULT_STALE_UPLOAD_MS = 5 * 60_000;
export const DEFAULT_CANCEL_CHECK_MS = 1000;

/** The error report of an upload's segment (one per segment; GET /bulk/{id}/errors reads them in order). */
export const errorReportKey = (jobId: string, segment: number): string =>
  `jobs/${jobId}/errors/${String(segment).padStart(6, '0')}.jsonl`;

/** Serialised message for QueueProducer.sendBatch. */
export const bulkMessage = (message: BulkMessage) => ({
  // Unique within one sendBatch; the stream's number ends the id (see planStreams).
  id: `${message.jobId.slice(0, 64)}-${message.chunk ?? 0}-${message.partition ?? 0}`,
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

/** Whatever a download wrote, dropped when it ends without a result (cancel, error); best effort. */
const discard = async (blobStore: BlobStore, job: BulkJob): Promise<void> => {
  const state = job.download;
  if (job.direction === 'download' && state !== undefined) {
    await discardDownload(blobStore, state.job, state.cursor).catch(() => undefined);
  }
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
  // The bucket's lifecycle rules would drop these too (a day for the upload, three for objects).
  await discard(deps.blobStore, job);
}

const finishCancel = async (deps: ProcessBulkDeps, job: BulkJob): Promise<void> => {
  await discard(deps.blobStore, job);
  // An upload cancelled between two segments: its file has no further use.
  if (job.upload !== undefined) await deps.blobStore.delete(job.upload.blobKey).catch(() => undefined);
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
  if (job === undefined || TERMINAL_STATUSES.has(job.status) || message.kind === 'notify') return;
  if (job.status === 'CANCELLATION_PENDING') return finishCancel(deps, job);
  try {
    if (message.kind === 'download-chunk') await downloadChunk(message, job, deps);
    else if (message.kind === 'complete') await complete(job, deps);
    else await upload(message, job, deps);
  } catch (error) {
    if (!isElementError(error)) throw error;
    await failBulkJob(deps, message, error);
  }
}

type DownloadState = NonNullable<BulkJob['download']>;
type StreamState = NonNullable<DownloadState['partitions']>[number];

/** Part numbers per stream of a partitioned job: S3's 10,000 shared evenly. */
const streamOf = (index: number, count: number): DownloadStream => {
  const partLimit = Math.floor(MAX_MULTIPART_PARTS / count);
  return { index, count, partBase: index * partLimit, partLimit };
};

async function downloadChunk(message: BulkMessage, job: BulkJob, deps: ProcessBulkDeps): Promise<void> {
  const state = job.download;
  if (job.direction !== 'download' || state === undefined) return;
  if (state.done === true) return; // every page is read; only the `complete` message is left
  if (message.partition !== undefined) return streamChunk(message, message.partition, job, state, deps);
  // Stale: a redelivered or duplicated message for a chunk already committed (or planned). The first
  // message of a job is for chunk 0, so its duplicates are caught the same way.
  if ((message.chunk ?? 0) < (state.cursor.chunks ?? 0) || state.partitions !== undefined) return;
  const client = await deps.clientFor(job.instanceId);
  // The filter's size, once, for `progress` (pre-ACL like every ServiceNow count, research A.8).
  const total =
    state.total ??
    ((state.cursor.chunks ?? 0) === 0 && state.job.range === undefined
      ? await client.count(state.job.table, state.job.encodedQuery).catch(() => undefined)
      : undefined);
  if ((state.job.partitions ?? 1) > 1 && (state.cursor.chunks ?? 0) === 0 && total !== undefined) {
    const planned = await planStreams(job, state, total, deps);
    if (planned) return;
  }
  const result = await runChunk(job, state.job, state.cursor, undefined, deps);
  if (result.cancelled === true) return cancelledChunk(job, deps);
  try {
    // ifVersion: a duplicate of this message that ran the same chunk concurrently commits only once.
    await updateJob(
      deps.stateTable,
      job,
      {
        ...runningSince(job, deps),
        recordsCount: result.cursor.rows,
        download: {
          ...state,
          cursor: result.cursor,
          ...(result.done ? { done: true } : {}),
          ...(total === undefined ? {} : { total: Math.min(total, state.job.limit ?? total) }),
        },
      },
      deps.now,
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    return lostCommit(job, state, result.cursor.uploadId, deps);
  }
  // The last chunk only commits; completing the upload runs as its own message, so a failure there is
  // retried alone, without reading the last pages again.
  await send(
    deps.queue,
    result.done
      ? { jobId: job.id, instanceId: job.instanceId, kind: 'complete' }
      : {
          jobId: job.id,
          instanceId: job.instanceId,
          kind: 'download-chunk',
          chunk: result.cursor.chunks ?? 0,
        },
  );
}

/** One chunk of the job (or of one stream of it), with the worker's limits and cancel check. */
async function runChunk(
  job: BulkJob,
  definition: DownloadJob,
  cursor: DownloadCursor,
  stream: DownloadStream | undefined,
  deps: ProcessBulkDeps,
) {
  const transformation = definition.transformation;
  let checkedAt = deps.now();
  return runDownloadChunk({
    client: await deps.clientFor(job.instanceId),
    blobStore: deps.blobStore,
    job: definition,
    cursor,
    ...(stream === undefined ? {} : { stream }),
    ...(deps.maxPagesPerChunk === undefined ? {} : { maxPages: deps.maxPagesPerChunk }),
    deadline: deps.now() + deps.deadlineMs,
    now: deps.now,
    ...(transformation === undefined ? {} : { mapRows: commonRows(transformation) }),
    // A cancel request stops the chunk at its next page read instead of at the chunk's end. The job is
    // read once a second at most, not per page: a read per page cost a DynamoDB read per 1,000 rows
    // and, locally, a tenth of the export's time.
    shouldContinue: async () => {
      if (deps.now() - checkedAt < (deps.cancelCheckMs ?? DEFAULT_CANCEL_CHECK_MS)) return true;
      checkedAt = deps.now();
      const status = (await getJob(deps.stateTable, job.instanceId, job.id))?.status;
      return status === 'RUNNING' || status === 'CREATED';
    },
  });
}

/** A download's first commit starts it: RUNNING, with its start time. */
const runningSince = (job: BulkJob, deps: ProcessBulkDeps) => ({
  status: 'RUNNING' as const,
  ...(job.startedAt === undefined ? { startedAt: iso(deps.now) } : {}),
});

const cancelledChunk = async (job: BulkJob, deps: ProcessBulkDeps): Promise<void> => {
  const current = await getJob(deps.stateTable, job.instanceId, job.id);
  if (current?.status === 'CANCELLATION_PENDING') await finishCancel(deps, current);
};

/** After a commit lost to a concurrent one: drop what only this run started, finish a cancel. */
async function lostCommit(
  job: BulkJob,
  state: DownloadState,
  startedUploadId: string | undefined,
  deps: ProcessBulkDeps,
): Promise<void> {
  if (startedUploadId !== undefined && startedUploadId !== state.cursor.uploadId) {
    await deps.blobStore.abortMultipartUpload(resultKey(state.job.id, state.job.format), startedUploadId);
  }
  const current = await getJob(deps.stateTable, job.instanceId, job.id);
  // A cancel request landed while the chunk ran: finish it now (the part just uploaded goes too).
  if (current?.status === 'CANCELLATION_PENDING') return finishCancel(deps, current);
  // Otherwise someone else committed this chunk: nothing more to do.
}

/**
 * Plans a partitioned job's streams, starts the upload they share and queues each stream's first chunk.
 * False when the rows are too few for more than one stream: the job then runs as one.
 */
async function planStreams(
  job: BulkJob,
  state: DownloadState,
  total: number,
  deps: ProcessBulkDeps,
): Promise<boolean> {
  const transformation = state.job.transformation;
  const plan = await planPartitions({
    client: await deps.clientFor(job.instanceId),
    job: state.job,
    requested: state.job.partitions ?? 1,
    total,
    minStreamBytes: deps.blobStore.minPartBytes,
    ...(transformation === undefined ? {} : { mapRows: commonRows(transformation) }),
  });
  if (plan.ranges.length <= 1) return false;
  const key = resultKey(state.job.id, state.job.format);
  const { uploadId } = await deps.blobStore.createMultipartUpload(key, {
    contentType: FORMAT_CONTENT_TYPE[state.job.format],
  });
  const cursor: DownloadCursor = {
    ...state.cursor,
    uploadId,
    ...(plan.columns === undefined ? {} : { columns: plan.columns }),
  };
  try {
    await updateJob(
      deps.stateTable,
      job,
      {
        ...runningSince(job, deps),
        download: {
          ...state,
          cursor,
          total,
          partitions: plan.ranges.map((range) => ({ range, cursor })),
        },
      },
      deps.now,
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    await lostCommit(job, state, uploadId, deps);
    return true;
  }
  const { failed } = await deps.queue.sendBatch(
    plan.ranges.map((_, partition) =>
      bulkMessage({ jobId: job.id, instanceId: job.instanceId, kind: 'download-chunk', partition, chunk: 0 }),
    ),
  );
  // The plan is committed, so a redelivery of this message would not send them again: send the rest now.
  for (const entry of failed) {
    const partition = Number(entry.id.split('-').at(-1));
    await send(deps.queue, {
      jobId: job.id,
      instanceId: job.instanceId,
      kind: 'download-chunk',
      partition,
      chunk: 0,
    });
  }
  return true;
}

/**
 * One chunk of one stream. Streams commit into the same job record, so a commit that loses to another
 * stream's re-reads the record and commits again, as long as its own stream's cursor did not move (a
 * duplicate of this message committed first otherwise). The commit that marks the last stream done
 * queues `complete`.
 */
async function streamChunk(
  message: BulkMessage,
  index: number,
  job: BulkJob,
  state: DownloadState,
  deps: ProcessBulkDeps,
): Promise<void> {
  const streams = state.partitions;
  const own = streams?.[index];
  if (streams === undefined || own === undefined || own.done === true) return;
  if ((message.chunk ?? 0) < (own.cursor.chunks ?? 0)) return; // stale
  const stream = streamOf(index, streams.length);
  const result = await runChunk(job, { ...state.job, range: own.range }, own.cursor, stream, deps);
  if (result.cancelled === true) return cancelledChunk(job, deps);
  let current: BulkJob | undefined = job;
  for (let attempt = 0; attempt < 50; attempt++) {
    const now = current?.download?.partitions;
    if (current === undefined || now === undefined || current.status !== 'RUNNING') {
      if (current?.status === 'CANCELLATION_PENDING') await finishCancel(deps, current);
      return;
    }
    if ((now[index]?.cursor.chunks ?? 0) !== (own.cursor.chunks ?? 0)) return; // committed by a duplicate
    const next: StreamState[] = now.map((s, i) =>
      i === index ? { range: s.range, cursor: result.cursor, ...(result.done ? { done: true } : {}) } : s,
    );
    const allDone = next.every((s) => s.done === true);
    try {
      await updateJob(
        deps.stateTable,
        current,
        {
          recordsCount: next.reduce((sum, s) => sum + s.cursor.rows, 0),
          download: {
            ...(current.download as DownloadState),
            partitions: next,
            ...(allDone ? { done: true } : {}),
          },
        },
        deps.now,
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      current = await getJob(deps.stateTable, job.instanceId, job.id);
      continue;
    }
    if (allDone) await send(deps.queue, { jobId: job.id, instanceId: job.instanceId, kind: 'complete' });
    else if (!result.done) {
      await send(deps.queue, {
        jobId: job.id,
        instanceId: job.instanceId,
        kind: 'download-chunk',
        partition: index,
        chunk: result.cursor.chunks ?? 0,
      });
    }
    return;
  }
  throw new Error('Could not commit a bulk stream chunk: the job record kept changing');
}

/** Makes the result file of a fully read download from its parts and completes the job (idempotent). */
async function complete(job: BulkJob, deps: ProcessBulkDeps): Promise<void> {
  const state = job.download;
  if (job.direction !== 'download' || state === undefined || state.done !== true) return;
  const { key } = await completeDownload(
    deps.blobStore,
    state.job,
    state.cursor,
    state.partitions?.map((s, i, all) => ({
      partBase: streamOf(i, all.length).partBase,
      nextPart: s.cursor.nextPart,
    })),
  );
  try {
    await updateJob(
      deps.stateTable,
      job,
      {
        status: 'COMPLETED',
        completedAt: iso(deps.now),
        progress: 100,
        download: { ...state, resultKey: key },
      },
      deps.now,
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    const current = await getJob(deps.stateTable, job.instanceId, job.id);
    // A cancel request landed while the file was completed: the cancel wins.
    if (current?.status === 'CANCELLATION_PENDING') return finishCancel(deps, current);
    return; // a duplicate of this message completed it
  }
  await deleteCarries(deps.blobStore, job.id);
}

/** Vendor rows -> common rows (a common resource's download). */
const commonRows =
  (transformation: Transformation) =>
  (rows: SnRecord[]): Promise<SnRecord[]> =>
    Promise.all(rows.map((row) => toCommon(transformation, row) as Promise<SnRecord>));

/** Common rows -> vendor rows (a common resource's upload); a row toVendor refuses is a row error. */
async function* vendorRows(rows: AsyncIterable<ParsedRow>, transformation: Transformation) {
  for await (const row of rows) {
    if (row.record === undefined) {
      yield row;
      continue;
    }
    let mapped: ReturnType<typeof toRecord>;
    try {
      mapped = toRecord(toVendor(transformation, row.record));
    } catch (error) {
      yield {
        rowNumber: row.rowNumber,
        error: isElementError(error) ? error.message : 'Transformation failed',
      };
      continue;
    }
    yield { rowNumber: row.rowNumber, ...mapped };
  }
}

/** Counts the bytes the parser pulled, for `progress`. */
const byteCounter = (onBytes: (total: number) => void) => {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      onBytes(total);
      callback(null, chunk);
    },
  });
};

/**
 * An upload runs in segments of at most `deadlineMs` each (one queue message each), so a file of any
 * size fits invocations of a bounded length. A segment stops taking rows at its deadline, finishes the
 * rows it took, commits how far it got (`upload.segment`, `upload.rowsDone`) and queues the next
 * segment, which parses the file again and skips the rows already handled: nothing is written twice
 * and nothing is skipped. Each segment writes its own error report (`errorReportKeys`).
 */
async function upload(message: BulkMessage, job: BulkJob, deps: ProcessBulkDeps): Promise<void> {
  const state = job.upload;
  if (job.direction !== 'upload' || state === undefined) return;
  const segment = message.chunk ?? 0;
  const committed = state.segment ?? 0;
  if (segment < committed) return; // a redelivery of a segment already committed
  if (job.status === 'RUNNING' && state.claimed === segment) {
    // Claimed by a worker that still runs (a duplicate message: stop) or that died (crash, timeout:
    // the record went stale). Re-running rows after a crash would write rows twice, so a dead segment
    // ends the job instead of leaving it RUNNING forever.
    const idleMs = deps.now() - Date.parse(job.updatedAt);
    if (idleMs < (deps.staleUploadMs ?? DEFAULT_STALE_UPLOAD_MS)) return;
    const done = await updateJob(
      deps.stateTable,
      job,
      {
        status: 'ABORTED',
        error: `The upload stopped after ${job.recordsCount} rows (worker crash or timeout); rows already written stay written`,
        completedAt: iso(deps.now),
      },
      deps.now,
    ).catch((error: unknown) => {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    });
    if (done !== undefined) await deps.blobStore.delete(state.blobKey);
    return;
  }
  // Claim the segment: a duplicate message finds it claimed and stops.
  if (job.status !== (segment === 0 ? 'CREATED' : 'RUNNING') || segment !== committed) return;
  let running: BulkJob;
  try {
    running = await updateJob(
      deps.stateTable,
      job,
      {
        status: 'RUNNING',
        ...(segment === 0 ? { startedAt: iso(deps.now), progress: 0 } : {}),
        upload: { ...state, claimed: segment },
      },
      deps.now,
    );
  } catch (error) {
    if (error instanceof ConditionFailedError) return;
    throw error;
  }
  try {
    await runUploadSegment(running, segment, deps);
  } catch (error) {
    // Past the claim the segment cannot be re-run safely (see above): end the job with a safe message.
    await updateJob(
      deps.stateTable,
      running,
      {
        status: isElementError(error) ? 'ERROR' : 'ABORTED',
        error: safeMessage(error),
        completedAt: iso(deps.now),
      },
      deps.now,
      { conditional: false },
    );
  }
}

/** Rows after `rowsDone` (the rows earlier segments handled). */
async function* rowsAfter(rows: AsyncIterable<ParsedRow>, rowsDone: number): AsyncGenerator<ParsedRow> {
  for await (const row of rows) if (row.rowNumber > rowsDone) yield row;
}

async function runUploadSegment(running: BulkJob, segment: number, deps: ProcessBulkDeps): Promise<void> {
  const job = running;
  const state = running.upload as NonNullable<BulkJob['upload']>;
  const rowsDone = state.rowsDone ?? 0;
  const failedBefore = job.recordsFailedCount;
  const deadline = deps.now() + deps.deadlineMs;
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
  const size = blob.contentLength;
  let bytes = 0;
  const controller = new AbortController();
  const every = deps.cancelCheckEvery ?? 100;
  let nextCheck = every;
  let checking = false;
  const checkpoint = (progress: { written: number; failed: number }) => {
    const handled = progress.written + progress.failed;
    if (handled < nextCheck || checking) return;
    nextCheck = handled + every;
    checking = true;
    // One write does three things: counts for GET status, the heartbeat (updatedAt) that tells a live
    // upload from a dead one, and reading back the status to see a cancel request.
    deps.stateTable
      .update(
        jobKey(job.instanceId, job.id),
        {
          recordsCount: rowsDone + handled,
          recordsFailedCount: failedBefore + progress.failed,
          progress: size > 0 ? Math.min(99, Math.floor((bytes / size) * 100)) : 0,
          updatedAt: iso(deps.now),
        },
        { ifExists: true },
      )
      .then((item) => {
        if (jobFromItem(item).status === 'CANCELLATION_PENDING') controller.abort();
      })
      .catch(() => {}) // a failed poll only delays the cancel until the next one
      .finally(() => {
        checking = false;
      });
  };
  const counted = blob.body.pipe(
    byteCounter((total) => {
      bytes = total;
    }),
  );
  blob.body.on('error', (error) => counted.destroy(error));
  const parsed = rowsAfter(parseUpload(counted, state.format), rowsDone);
  const report = createErrorReport(deps.blobStore, errorReportKey(job.id, segment), 'jsonl');
  // Inserts and upserts alike go through the Batch API (upserts with one IN lookup per batch).
  const batchSize = (deps.uploadBatchSize ?? 0) > 0 ? deps.uploadBatchSize : undefined;
  let taken = 0;
  let result: Awaited<ReturnType<typeof uploadRows>>;
  try {
    result = await uploadRows({
      client: await deps.clientFor(job.instanceId),
      table: job.table,
      rows: state.transformation === undefined ? parsed : vendorRows(parsed, state.transformation),
      ...(state.identifierField === undefined ? {} : { identifierField: state.identifierField }),
      ...(batchSize === undefined ? {} : { batchSize }),
      signal: controller.signal,
      // Every segment takes at least one batch, so the job always moves on.
      pause: () => taken++ > 0 && deps.now() >= deadline,
      onProgress: checkpoint,
      onError: (failure) => report.add(failure),
    });
  } catch (error) {
    await report.abort(error as Error);
    // A file-level failure (broken CSV quoting, not a JSON array, ServiceNow gone) ends the job in
    // ERROR (processBulkMessage), so the file has no further use; anything else is redelivered and
    // the stale-upload path above cleans up.
    if (isElementError(error)) await deps.blobStore.delete(state.blobKey).catch(() => undefined);
    throw error;
  }
  blob.body.destroy(); // a paused segment leaves the rest of the file unread
  const { key } = await report.close();
  const handled = result.written + result.failed;
  const totals = {
    recordsCount: rowsDone + handled,
    recordsFailedCount: failedBefore + result.failed,
  };
  const errorReportKeys = [...(state.errorReportKeys ?? []), key];
  if (result.paused) {
    const next = segment + 1;
    await updateJob(
      deps.stateTable,
      running,
      {
        ...totals,
        upload: { ...state, segment: next, rowsDone: result.lastRowNumber, errorReportKeys },
      },
      deps.now,
      { conditional: false },
    );
    await send(deps.queue, { jobId: job.id, instanceId: job.instanceId, kind: 'upload', chunk: next });
    return;
  }
  await updateJob(
    deps.stateTable,
    running,
    {
      status: result.cancelled ? 'CANCELLED' : 'COMPLETED',
      ...totals,
      completedAt: iso(deps.now),
      ...(result.cancelled ? {} : { progress: 100 }),
      upload: { ...state, errorReportKeys },
    },
    deps.now,
    { conditional: false },
  );
  // The file served its purpose; the error reports stay for GET /bulk/{id}/errors.
  await deps.blobStore.delete(state.blobKey).catch(() => undefined);
}
