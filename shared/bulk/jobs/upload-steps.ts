/**
 * Upload jobs: the file parsed and written in segments bounded by the chunk deadline.
 */
import { type Readable, Transform } from 'node:stream';
import { isElementError } from '../../errors';
import { recordUploadedRows } from '../../metrics';
import { ConditionFailedError } from '../../ports';
import { type Transformation, toVendor } from '../../transformations';
import {
  createErrorReport,
  type ErrorReport,
  type ParsedRow,
  parseUpload,
  toRecord,
  uploadRows,
} from '../upload';
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

type UploadState = NonNullable<BulkJob['upload']>;

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
  // Claimed by a worker that died (crash, timeout: stale record, or another process in local mode): an
  // upsert writes the same records when it runs again, so its segment runs again from its start;
  // re-running inserts would write rows twice, so such a job ends ABORTED with the rows ServiceNow
  // actually holds.
  const claimed = job.status === 'RUNNING' && state.claimed === segment;
  if (claimed) refuseClaimOfLiveWorker(job, state, deps);
  if (claimed && state.identifierField === undefined) return abortDeadInsertUpload(job, state, deps);
  // Claim the segment (again, for a dead upsert segment): a duplicate message finds it claimed and stops.
  const claimable = job.status === 'RUNNING' || (segment === 0 && job.status === 'CREATED');
  if (!claimable || segment !== committed) return;
  const running = await claimSegment(job, state, segment, deps);
  if (running === undefined) return;
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
 * A segment claimed by a worker that may still run (a duplicate message, or a worker that died moments
 * ago): the message comes back once the claim would be stale; never acknowledged, or a dead worker's
 * job would have no message left.
 */
function refuseClaimOfLiveWorker(job: BulkJob, state: UploadState, deps: ProcessBulkDeps): void {
  const staleMs = deps.staleUploadMs ?? DEFAULT_STALE_UPLOAD_MS;
  const age = deps.now() - Date.parse(job.updatedAt);
  const ownerGone = deps.soleWorker === true && state.claimedBy !== (deps.workerId ?? PROCESS_WORKER_ID);
  if (!ownerGone && age < staleMs) throw new ClaimedByLiveWorkerError(Math.ceil((staleMs - age) / 1000) + 1);
}

/** Ends an insert upload whose worker died: ABORTED with the rows ServiceNow holds, the file deleted. */
async function abortDeadInsertUpload(job: BulkJob, state: UploadState, deps: ProcessBulkDeps): Promise<void> {
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
}

/** Marks the segment as this worker's; undefined when a concurrent change of the job won. */
async function claimSegment(
  job: BulkJob,
  state: UploadState,
  segment: number,
  deps: ProcessBulkDeps,
): Promise<BulkJob | undefined> {
  try {
    return await updateJob(
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
    if (error instanceof ConditionFailedError) {
      await finishCancelRequestedMeanwhile(job, deps);
      return undefined;
    }
    throw error;
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
async function countRows(deps: ProcessBulkDeps, state: UploadState) {
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

type UploadOutcome = Awaited<ReturnType<typeof uploadRows>>;
type RowCounts = { written: number; failed: number };

/** Runs the segment of an upload this worker claimed (`running` holds the claim). */
const runUploadSegment = (running: BulkJob, segment: number, deps: ProcessBulkDeps): Promise<void> =>
  new UploadSegment(running, segment, deps).run();

/**
 * One claimed segment of an upload: reads the file from the first row earlier segments did not handle,
 * writes rows until the deadline while the checkpoint keeps the job counted, alive and watching for a
 * cancel, then either hands the rest to the next segment or ends the job.
 */
class UploadSegment {
  private readonly state: UploadState;
  /** The last row earlier segments handled. */
  private readonly rowsDone: number;
  /**
   * Failed rows earlier segments committed, not the record's count: a dead segment's heartbeats counted
   * rows that now run again.
   */
  private readonly failedBefore: number;
  private readonly deadline: number;
  /** Aborted when a checkpoint reads a cancel request. */
  private readonly cancel = new AbortController();
  private readonly checkEvery: number;
  /** Data rows in the file when known (progress by rows), else progress by bytes of `size`. */
  private rowsTotal: number | undefined;
  private size = 0;
  private bytesRead = 0;
  private latest: RowCounts = { written: 0, failed: 0 };
  private nextCheck: number;
  private checking = false;
  private checkInFlight: Promise<void> = Promise.resolve();
  private batchesTaken = 0;

  constructor(
    private readonly job: BulkJob,
    private readonly segment: number,
    private readonly deps: ProcessBulkDeps,
  ) {
    this.state = job.upload as UploadState;
    this.rowsDone = this.state.rowsDone ?? 0;
    this.failedBefore = this.state.failedDone ?? 0;
    this.deadline = deps.now() + deps.deadlineMs;
    this.checkEvery = deps.cancelCheckEvery ?? 100;
    this.nextCheck = this.checkEvery;
  }

  async run(): Promise<void> {
    const blob = await this.deps.blobStore.get(this.state.blobKey);
    if (blob === undefined) return this.failMissingFile();
    this.size = blob.contentLength;
    this.rowsTotal = this.state.rowsTotal ?? (await countRows(this.deps, this.state));
    const rows = this.rowsToWrite(blob.body);
    const report = createErrorReport(this.deps.blobStore, errorReportKey(this.job.id, this.segment), 'jsonl');
    let outcome: UploadOutcome;
    try {
      outcome = await this.writeRows(rows, report);
    } catch (error) {
      await this.abandon(error, report);
      throw error;
    }
    await this.checkInFlight; // so no heartbeat lands after the commit below
    blob.body.destroy(); // a paused segment leaves the rest of the file unread
    const { key } = await report.close();
    recordUploadedRows(outcome.written, this.bytesRead);
    const errorReportKeys = [...(this.state.errorReportKeys ?? []), key];
    if (outcome.paused) await this.handOverToNextSegment(outcome, errorReportKeys);
    else await this.finishJob(outcome, errorReportKeys);
  }

  private async failMissingFile(): Promise<void> {
    await updateJob(
      this.deps.stateTable,
      this.job,
      { status: 'ERROR', error: 'The uploaded file is missing', completedAt: iso(this.deps.now) },
      this.deps.now,
      { conditional: false },
    );
  }

  /** The file's rows after those earlier segments handled, in vendor form, counting the bytes read. */
  private rowsToWrite(body: Readable) {
    const counted = body.pipe(
      byteCounter((total) => {
        this.bytesRead = total;
      }),
    );
    body.on('error', (error) => counted.destroy(error));
    const parsed = rowsAfter(parseUpload(counted, this.state.format), this.rowsDone);
    return this.state.transformation === undefined ? parsed : vendorRows(parsed, this.state.transformation);
  }

  private async writeRows(rows: AsyncIterable<ParsedRow>, report: ErrorReport): Promise<UploadOutcome> {
    // Also a heartbeat while no row completes (ServiceNow slow, 429s ridden out): a live segment never
    // looks dead to a redelivered message.
    const heartbeat = setInterval(
      () => this.checkpoint(this.latest, true),
      (this.deps.staleUploadMs ?? DEFAULT_STALE_UPLOAD_MS) / 4,
    );
    heartbeat.unref?.();
    // Inserts and upserts alike go through the Batch API (upserts with one IN lookup per batch).
    const batchSize = (this.deps.uploadBatchSize ?? 0) > 0 ? this.deps.uploadBatchSize : undefined;
    try {
      return await uploadRows({
        client: await this.deps.clientFor(this.job.instanceId),
        table: this.job.table,
        rows,
        ...(this.state.identifierField === undefined ? {} : { identifierField: this.state.identifierField }),
        ...(batchSize === undefined ? {} : { batchSize }),
        signal: this.cancel.signal,
        // Every segment takes at least one batch, so the job always moves on.
        pause: () => this.batchesTaken++ > 0 && this.deps.now() >= this.deadline,
        onProgress: (progress) => this.checkpoint(progress),
        onError: (failure) => report.add(failure),
      });
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * One write does three things: counts for GET status, the heartbeat (updatedAt) that tells a live
   * upload from a dead one, and reading back the status to see a cancel request. At most one is in
   * flight; between heartbeats one is written every `checkEvery` rows.
   */
  private checkpoint(progress: RowCounts, force = false): void {
    this.latest = progress;
    const handled = progress.written + progress.failed;
    if (this.checking || (!force && handled < this.nextCheck)) return;
    this.nextCheck = handled + this.checkEvery;
    this.checking = true;
    this.checkInFlight = this.deps.stateTable
      .update(
        jobKey(this.job.instanceId, this.job.id),
        {
          recordsCount: this.rowsDone + handled,
          recordsFailedCount: this.failedBefore + progress.failed,
          progress: this.progressOf(handled),
          updatedAt: iso(this.deps.now),
        },
        { ifExists: true },
      )
      .then((item) => {
        if (jobFromItem(item).status === 'CANCELLATION_PENDING') this.cancel.abort();
      })
      .catch(() => {}) // a failed poll only delays the cancel until the next one
      .finally(() => {
        this.checking = false;
      });
  }

  private progressOf(handled: number): number {
    if (this.rowsTotal !== undefined && this.rowsTotal > 0)
      return Math.min(99, Math.floor(((this.rowsDone + handled) / this.rowsTotal) * 100));
    return this.size > 0 ? Math.min(99, Math.floor((this.bytesRead / this.size) * 100)) : 0;
  }

  /**
   * The segment failed past its claim. A file-level failure (broken CSV quoting, not a JSON array,
   * ServiceNow gone) ends the job in ERROR (processBulkMessage), so the file has no further use; anything
   * else is redelivered and the stale-upload path of `upload` cleans up.
   */
  private async abandon(error: unknown, report: ErrorReport): Promise<void> {
    await report.abort(error as Error);
    if (isElementError(error)) await this.deps.blobStore.delete(this.state.blobKey).catch(() => undefined);
  }

  private totals(outcome: UploadOutcome) {
    return {
      recordsCount: this.rowsDone + outcome.written + outcome.failed,
      recordsFailedCount: this.failedBefore + outcome.failed,
    };
  }

  /** Commits how far this segment got and queues the next one. */
  private async handOverToNextSegment(outcome: UploadOutcome, errorReportKeys: string[]): Promise<void> {
    const next = this.segment + 1;
    const totals = this.totals(outcome);
    await updateJob(
      this.deps.stateTable,
      this.job,
      {
        ...totals,
        progress: this.progressOf(outcome.written + outcome.failed),
        upload: {
          ...this.state,
          ...(this.rowsTotal === undefined ? {} : { rowsTotal: this.rowsTotal }),
          segment: next,
          rowsDone: outcome.lastRowNumber,
          failedDone: totals.recordsFailedCount,
          errorReportKeys,
        },
      },
      this.deps.now,
      { conditional: false },
    );
    await send(this.deps.queue, {
      jobId: this.job.id,
      instanceId: this.job.instanceId,
      kind: 'upload',
      chunk: next,
    });
  }

  /** Ends the job (every row handled, or cancelled); the error reports stay for GET /bulk/{id}/errors. */
  private async finishJob(outcome: UploadOutcome, errorReportKeys: string[]): Promise<void> {
    await updateJob(
      this.deps.stateTable,
      this.job,
      {
        status: outcome.cancelled ? 'CANCELLED' : 'COMPLETED',
        ...this.totals(outcome),
        completedAt: iso(this.deps.now),
        ...(outcome.cancelled ? {} : { progress: 100 }),
        upload: { ...this.state, errorReportKeys },
      },
      this.deps.now,
      { conditional: false },
    );
    await this.deps.blobStore.delete(this.state.blobKey).catch(() => undefined);
  }
}
