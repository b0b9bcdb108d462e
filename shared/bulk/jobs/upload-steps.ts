/**
 * Upload jobs: the file parsed and written in segments bounded by the chunk deadline.
 */
import { Transform } from 'node:stream';
import { isElementError } from '../../errors';
import { recordUploadedRows } from '../../metrics';
import { ConditionFailedError } from '../../ports';
import { type Transformation, toVendor } from '../../transformations';
import { createErrorReport, type ParsedRow, parseUpload, toRecord, uploadRows } from '../upload';
import { type BulkJob, getJob, jobFromItem, jobKey, updateJob } from './job';
import {
  type BulkMessage,
  ClaimedByLiveWorkerError,
  DEFAULT_STALE_UPLOAD_MS,
  errorReportKey,
  finishCancel,
  iso,
  PROCESS_WORKER_ID,
  type ProcessBulkDeps,
  reconciledCount,
  safeMessage,
  send,
} from './worker-context';

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
export async function upload(message: BulkMessage, job: BulkJob, deps: ProcessBulkDeps): Promise<void> {
  const state = job.upload;
  if (job.direction !== 'upload' || state === undefined) return;
  const segment = message.chunk ?? 0;
  const committed = state.segment ?? 0;
  if (segment < committed) return; // a redelivery of a segment already committed
  // Claimed by a worker that may still run (a duplicate message, or a worker that died moments ago):
  // come back once the claim would be stale, never acknowledge, or a dead worker's job has no message
  // left. Claimed by a worker that died (crash, timeout: stale record, or another process in local
  // mode): an upsert writes the same records when it runs again, so its segment runs again from its
  // start; re-running inserts would write rows twice, so such a job ends ABORTED with the rows
  // ServiceNow actually holds.
  const claimed = job.status === 'RUNNING' && state.claimed === segment;
  if (claimed) {
    const staleMs = deps.staleUploadMs ?? DEFAULT_STALE_UPLOAD_MS;
    const age = deps.now() - Date.parse(job.updatedAt);
    const ownerGone = deps.soleWorker === true && state.claimedBy !== (deps.workerId ?? PROCESS_WORKER_ID);
    if (!ownerGone && age < staleMs)
      throw new ClaimedByLiveWorkerError(Math.ceil((staleMs - age) / 1000) + 1);
  }
  if (claimed && state.identifierField === undefined) {
    const recordsCount = await reconciledCount(job, deps);
    const done = await updateJob(
      deps.stateTable,
      job,
      {
        status: 'ABORTED',
        recordsCount,
        error: `The upload stopped after ${recordsCount} rows (worker crash or timeout); rows already written stay written`,
        completedAt: iso(deps.now),
      },
      deps.now,
    ).catch((error: unknown) => {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    });
    if (done !== undefined) await deps.blobStore.delete(state.blobKey);
    else await finishCancelRequestedMeanwhile(job, deps);
    return;
  }
  // Claim the segment (again, for a dead upsert segment): a duplicate message finds it claimed and stops.
  const claimable = job.status === 'RUNNING' || (segment === 0 && job.status === 'CREATED');
  if (!claimable || segment !== committed) return;
  let running: BulkJob;
  try {
    running = await updateJob(
      deps.stateTable,
      job,
      {
        status: 'RUNNING',
        ...(segment === 0 && job.startedAt === undefined ? { startedAt: iso(deps.now), progress: 0 } : {}),
        upload: { ...state, claimed: segment, claimedBy: deps.workerId ?? PROCESS_WORKER_ID },
      },
      deps.now,
    );
  } catch (error) {
    if (error instanceof ConditionFailedError) return finishCancelRequestedMeanwhile(job, deps);
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

/**
 * A write of this step lost to a concurrent change of the job. When that change was a cancel request, this
 * message is the job's last one (acknowledging it leaves nothing that would finish the cancel), so the
 * cancel is finished here; any other change belongs to a worker that carries on with the job.
 */
async function finishCancelRequestedMeanwhile(job: BulkJob, deps: ProcessBulkDeps): Promise<void> {
  const current = await getJob(deps.stateTable, job.instanceId, job.id);
  if (current?.status === 'CANCELLATION_PENDING') await finishCancel(deps, current);
}

/** Data rows in the uploaded file (one parse without writing), or undefined when it cannot be read. */
async function countRows(deps: ProcessBulkDeps, state: NonNullable<BulkJob['upload']>) {
  const blob = await deps.blobStore.get(state.blobKey);
  if (blob === undefined) return undefined;
  let rows = 0;
  try {
    for await (const row of parseUpload(blob.body, state.format)) rows = row.rowNumber;
  } catch {
    return undefined; // the segment's own parse reports what is wrong with the file
  } finally {
    blob.body.destroy();
  }
  return rows;
}

/** Rows after `rowsDone` (the rows earlier segments handled). */
async function* rowsAfter(rows: AsyncIterable<ParsedRow>, rowsDone: number): AsyncGenerator<ParsedRow> {
  for await (const row of rows) if (row.rowNumber > rowsDone) yield row;
}

async function runUploadSegment(running: BulkJob, segment: number, deps: ProcessBulkDeps): Promise<void> {
  const job = running;
  const state = running.upload as NonNullable<BulkJob['upload']>;
  const rowsDone = state.rowsDone ?? 0;
  // Committed counts, not the record's: a dead segment's heartbeats counted rows that now run again.
  const failedBefore = state.failedDone ?? 0;
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
  const rowsTotal = state.rowsTotal ?? (await countRows(deps, state));
  let bytes = 0;
  const controller = new AbortController();
  const every = deps.cancelCheckEvery ?? 100;
  let nextCheck = every;
  let checking = false;
  let latest = { written: 0, failed: 0 };
  let inFlight: Promise<void> = Promise.resolve();
  const progressOf = (handled: number) =>
    rowsTotal !== undefined && rowsTotal > 0
      ? Math.min(99, Math.floor(((rowsDone + handled) / rowsTotal) * 100))
      : size > 0
        ? Math.min(99, Math.floor((bytes / size) * 100))
        : 0;
  const checkpoint = (progress: { written: number; failed: number }, force = false) => {
    latest = progress;
    const handled = progress.written + progress.failed;
    if (checking || (!force && handled < nextCheck)) return;
    nextCheck = handled + every;
    checking = true;
    // One write does three things: counts for GET status, the heartbeat (updatedAt) that tells a live
    // upload from a dead one, and reading back the status to see a cancel request.
    inFlight = deps.stateTable
      .update(
        jobKey(job.instanceId, job.id),
        {
          recordsCount: rowsDone + handled,
          recordsFailedCount: failedBefore + progress.failed,
          progress: progressOf(handled),
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
  // Also a heartbeat while no row completes (ServiceNow slow, 429s ridden out): a live segment never
  // looks dead to a redelivered message.
  const heartbeat = setInterval(
    () => checkpoint(latest, true),
    (deps.staleUploadMs ?? DEFAULT_STALE_UPLOAD_MS) / 4,
  );
  heartbeat.unref?.();
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
    clearInterval(heartbeat);
    await report.abort(error as Error);
    // A file-level failure (broken CSV quoting, not a JSON array, ServiceNow gone) ends the job in
    // ERROR (processBulkMessage), so the file has no further use; anything else is redelivered and
    // the stale-upload path above cleans up.
    if (isElementError(error)) await deps.blobStore.delete(state.blobKey).catch(() => undefined);
    throw error;
  }
  clearInterval(heartbeat);
  await inFlight; // so no heartbeat lands after the commit below
  blob.body.destroy(); // a paused segment leaves the rest of the file unread
  const { key } = await report.close();
  const handled = result.written + result.failed;
  recordUploadedRows(result.written, bytes);
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
        progress: progressOf(handled),
        upload: {
          ...state,
          ...(rowsTotal === undefined ? {} : { rowsTotal }),
          segment: next,
          rowsDone: result.lastRowNumber,
          failedDone: totals.recordsFailedCount,
          errorReportKeys,
        },
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
