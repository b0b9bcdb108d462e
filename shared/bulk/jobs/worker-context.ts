/**
 * What the bulk worker's steps share: the message and dependency shapes, sending the next message, and
 * ending a job (error, cancel) with its leftovers dropped.
 */
import { randomUUID } from 'node:crypto';
import { isElementError, TimedOutError } from '../../errors';
import { toServiceNowDateTime } from '../../events/dates';
import type { BlobStore, QueueProducer, StateTable } from '../../ports';
import type { ServiceNowClient } from '../../servicenow';
import { type DownloadFormat, discardDownload } from '../download';
import { type BulkJob, getJob, TERMINAL_STATUSES, updateJob } from './job';

export interface BulkMessage {
  jobId: string;
  instanceId: string;
  /**
   * `complete`: every page of a download is committed; make the result file from its parts.
   * `notify`: only (re)deliver the completion callback of a job that is already terminal.
   * `convert`: write a COMPLETED download's file in `format` too (asked for by a download request).
   */
  kind: 'download-chunk' | 'complete' | 'upload' | 'notify' | 'convert';
  /** `convert`: the format wanted. */
  format?: DownloadFormat;
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
  /** Keyset pages per chunk at most (default: no cap; a chunk's length is `chunkMs`). */
  maxPagesPerChunk?: number;
  /**
   * A download chunk ends at its first part boundary after this long (default 1 minute): the work a
   * crash repeats, traded against what no read-ahead overlaps once per chunk (its first page, its last
   * part's upload, the commit), a small share of an export's time (`npm run bench` measures it).
   */
  chunkMs?: number;
  /** Download: look at the job for a cancel request at most this often while a chunk reads (default 1 s). */
  cancelCheckMs?: number;
  /** Upload: look at the job for a cancel request every this many rows (default 100). */
  cancelCheckEvery?: number;
  /**
   * Upload: rows go through the Batch API this many per request, upserts after one IN
   * lookup per batch; undefined or 0 = one Table API request per row.
   */
  uploadBatchSize?: number;
  /**
   * A RUNNING upload whose record was not touched for this long lost its worker (crash, timeout): the
   * next message for it ends or re-runs the segment instead of leaving it RUNNING forever. Default 2
   * minutes; a running segment touches the record every `cancelCheckEvery` rows and every quarter of
   * this period, whatever ServiceNow's pace.
   */
  staleUploadMs?: number;
  /** Names this worker in the claims it writes (default: one random id per process). */
  workerId?: string;
  /**
   * This is the only worker of its queue (local mode: one process per data directory), so a claim
   * written by another worker id belongs to a process that is gone: no need to wait for it to go stale.
   */
  soleWorker?: boolean;
}

export const DEFAULT_STALE_UPLOAD_MS = 2 * 60_000;
/** Default `workerId`: a process that restarts is a new worker. */
export const PROCESS_WORKER_ID = randomUUID();

/**
 * Thrown for a message whose upload segment is claimed by a worker that may still run: the message
 * must come back after `retryAfterSeconds` (when the claim would have gone stale), not be acknowledged,
 * or a worker that died with a fresh claim leaves its job RUNNING with no message left.
 */
export class ClaimedByLiveWorkerError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('The bulk job segment is claimed by a worker that may still be running');
    this.name = 'ClaimedByLiveWorkerError';
  }
}
export const DEFAULT_CANCEL_CHECK_MS = 1000;
export const DEFAULT_CHUNK_MS = 60_000;

/** The error report of an upload's segment (one per segment; GET /bulk/{id}/errors reads them in order). */
export const errorReportKey = (jobId: string, segment: number): string =>
  `jobs/${jobId}/errors/${String(segment).padStart(6, '0')}.jsonl`;

/** Serialised message for QueueProducer.sendBatch. */
export const bulkMessage = (message: BulkMessage) => ({
  // Unique within one sendBatch; the stream's number ends the id (see planStreams).
  id: `${message.jobId.slice(0, 64)}-${message.chunk ?? 0}-${message.partition ?? 0}${message.format === undefined ? '' : `-${message.format}`}`,
  body: JSON.stringify(message),
});

export const iso = (now: () => number) => new Date(now()).toISOString();

export const send = async (queue: QueueProducer, message: BulkMessage): Promise<void> => {
  for (let attempt = 0; attempt < 3; attempt++) {
    const { failed } = await queue.sendBatch([bulkMessage(message)]);
    if (failed.length === 0) return;
  }
  // Thrown so the current message is redelivered; see the report about stalled jobs.
  throw new Error('Could not enqueue the next bulk chunk');
};

/** Whatever a download wrote, dropped when it ends without a result (cancel, error); best effort. */
export const discard = async (blobStore: BlobStore, job: BulkJob): Promise<void> => {
  const state = job.download;
  if (job.direction === 'download' && state !== undefined) {
    await discardDownload(blobStore, state.job, state.cursor).catch(() => undefined);
  }
};

/** Only our own ElementError messages reach the job record: they are written to carry no secrets. */
export const safeMessage = (error: unknown): string =>
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

export const finishCancel = async (deps: ProcessBulkDeps, job: BulkJob): Promise<void> => {
  await discard(deps.blobStore, job);
  // An upload cancelled between two segments: its file has no further use.
  if (job.upload !== undefined) await deps.blobStore.delete(job.upload.blobKey).catch(() => undefined);
  // An insert whose worker died mid-segment: count what ServiceNow holds, not the last heartbeat.
  const counted =
    job.upload?.claimed !== undefined && job.upload.identifierField === undefined
      ? { recordsCount: await reconciledCount(job, deps) }
      : {};
  await updateJob(
    deps.stateTable,
    job,
    { status: 'CANCELLED', ...counted, completedAt: iso(deps.now) },
    deps.now,
    { conditional: false },
  );
};

/**
 * Default for endStalledJob: a live job touches its record at least every chunk (downloads) or every
 * 30 s (upload heartbeats), so 20 minutes without a write on a redelivered message means every attempt
 * dies; with the queue's visibility (the worker's timeout plus a minute) the job is ERROR within the hour.
 */
export const DEFAULT_STALLED_JOB_MS = 20 * 60_000;

/**
 * For a message received again (its worker failed or timed out): a job whose record has not moved for
 * `stalledAfterMs` cannot finish (every attempt dies before committing anything), so it ends in ERROR
 * now rather than after every remaining receive. True when it ended the job.
 */
export async function endStalledJob(
  deps: ProcessBulkDeps,
  message: BulkMessage,
  stalledAfterMs = DEFAULT_STALLED_JOB_MS,
): Promise<boolean> {
  const job = await getJob(deps.stateTable, message.instanceId, message.jobId);
  if (job === undefined || TERMINAL_STATUSES.has(job.status) || job.status === 'CREATED') return false;
  const idleMs = deps.now() - Date.parse(job.updatedAt);
  if (!(idleMs >= stalledAfterMs)) return false;
  const minutes = Math.round(idleMs / 60_000);
  await failBulkJob(
    deps,
    message,
    new TimedOutError(
      `The bulk job made no progress for ${minutes} minutes: its worker failed on every attempt`,
    ),
  );
  return true;
}

/**
 * Rows handled by an insert upload whose worker died: the rows ServiceNow holds that were created in
 * the job's table since the job started (every segment's inserts; the heartbeat count misses the rows
 * written after the last heartbeat) plus the rows that failed. Exact unless something else creates
 * rows in that table meanwhile; falls back to the heartbeat count when ServiceNow cannot be asked.
 */
export async function reconciledCount(job: BulkJob, deps: ProcessBulkDeps): Promise<number> {
  if (job.startedAt === undefined) return job.recordsCount;
  try {
    const client = await deps.clientFor(job.instanceId);
    const since = toServiceNowDateTime(Date.parse(job.startedAt));
    const written = await client.count(job.table, `sys_created_on>=${since}`);
    return written + job.recordsFailedCount;
  } catch {
    return job.recordsCount;
  }
}
