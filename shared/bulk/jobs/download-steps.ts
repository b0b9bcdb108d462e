/**
 * Download jobs: one stream of chunks, or a plan and parallel streams, then the completion.
 */
import { recordDownloadedRows } from '../../metrics';
import { ConditionFailedError, MAX_MULTIPART_PARTS } from '../../ports';
import type { ServiceNowClient, SnRecord } from '../../servicenow';
import { type Transformation, toCommon } from '../../transformations';
import {
  completeDownload,
  type DownloadCursor,
  type DownloadJob,
  type DownloadStream,
  deleteCarries,
  FORMAT_CONTENT_TYPE,
  planPartitions,
  resultKey,
  runDownloadChunk,
} from '../download';
import { type BulkJob, getJob, updateJob } from './job';
import {
  type BulkMessage,
  bulkMessage,
  DEFAULT_CANCEL_CHECK_MS,
  DEFAULT_CHUNK_MS,
  finishCancel,
  iso,
  type ProcessBulkDeps,
  send,
} from './worker-context';

type DownloadState = NonNullable<BulkJob['download']>;
type StreamState = NonNullable<DownloadState['partitions']>[number];

/** Part numbers per stream of a partitioned job: S3's 10,000 shared evenly. */
const streamOf = (index: number, count: number): DownloadStream => {
  const partLimit = Math.floor(MAX_MULTIPART_PARTS / count);
  return { index, count, partBase: index * partLimit, partLimit };
};

export async function downloadChunk(
  message: BulkMessage,
  job: BulkJob,
  deps: ProcessBulkDeps,
): Promise<void> {
  const state = job.download;
  if (job.direction !== 'download' || state === undefined) return;
  if (state.done === true) return; // every page is read; only the `complete` message is left
  if (message.partition !== undefined) return streamChunk(message, message.partition, job, state, deps);
  // Stale: a redelivered or duplicated message for a chunk already committed (or planned). The first
  // message of a job is for chunk 0, so its duplicates are caught the same way.
  if ((message.chunk ?? 0) < (state.cursor.chunks ?? 0) || state.partitions !== undefined) return;
  const client = await deps.clientFor(job.instanceId);
  // The filter's size, once, for `progress` (pre-ACL like every ServiceNow count).
  const total =
    state.total ??
    ((state.cursor.chunks ?? 0) === 0 && state.job.range === undefined
      ? await client.count(state.job.table, state.job.encodedQuery).catch(() => undefined)
      : undefined);
  if ((state.job.partitions ?? 1) > 1 && (state.cursor.chunks ?? 0) === 0 && total !== undefined) {
    const planned = await planStreams(job, state, total, client, deps);
    if (planned) return;
  }
  const result = await runChunk(job, state.job, state.cursor, undefined, client, deps);
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
  client: ServiceNowClient,
  deps: ProcessBulkDeps,
) {
  const transformation = definition.transformation;
  let checkedAt = deps.now();
  return runDownloadChunk({
    client,
    blobStore: deps.blobStore,
    job: definition,
    cursor,
    ...(stream === undefined ? {} : { stream }),
    ...(deps.maxPagesPerChunk === undefined ? {} : { maxPages: deps.maxPagesPerChunk }),
    deadline: deps.now() + deps.deadlineMs,
    endAfter: deps.now() + (deps.chunkMs ?? DEFAULT_CHUNK_MS),
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
  }).then(recordDownloadedRows);
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
  client: ServiceNowClient,
  deps: ProcessBulkDeps,
): Promise<boolean> {
  const transformation = state.job.transformation;
  const plan = await planPartitions({
    client,
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
  const client = await deps.clientFor(job.instanceId);
  const result = await runChunk(job, { ...state.job, range: own.range }, own.cursor, stream, client, deps);
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
export async function complete(job: BulkJob, deps: ProcessBulkDeps): Promise<void> {
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
