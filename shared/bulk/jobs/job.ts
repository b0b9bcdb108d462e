import { randomUUID } from 'node:crypto';
import { ConflictError, InvalidInputError } from '../../errors';
import { ConditionFailedError, type StateItem, type StateTable } from '../../ports';
import type { Transformation } from '../../transformations';
import type { DownloadCursor, DownloadFormat, DownloadJob, SysIdRange } from '../download';
import type { UploadFormat } from '../upload';

/** CE bulk job statuses. */
export type BulkJobStatus =
  | 'CREATED'
  | 'RUNNING'
  | 'COMPLETED'
  | 'CANCELLED'
  | 'CANCELLATION_PENDING'
  | 'ABORTED'
  | 'ERROR';

export type BulkDirection = 'download' | 'upload';

export const TERMINAL_STATUSES: ReadonlySet<BulkJobStatus> = new Set([
  'COMPLETED',
  'CANCELLED',
  'ABORTED',
  'ERROR',
]);

export interface BulkJob {
  id: string;
  instanceId: string;
  direction: BulkDirection;
  objectName: string;
  table: string;
  status: BulkJobStatus;
  /** Download: rows written. Upload: rows handled (written + failed). */
  recordsCount: number;
  recordsFailedCount: number;
  /** ISO timestamps. */
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  completedAt?: string;
  /** Safe to show the caller: never holds credentials. */
  error?: string;
  download?: {
    job: DownloadJob;
    cursor: DownloadCursor;
    resultKey?: string;
    /** Rows the filter matched when the job started (Aggregate API, pre-ACL), for `progress`. */
    total?: number;
    /** Every page is read and committed; the `complete` message makes the result file from the parts. */
    done?: boolean;
    /**
     * A partitioned job's streams (planned by the first message), each with its own cursor; they upload
     * parts of one multipart upload (its id is also in `cursor`).
     */
    partitions?: { range: SysIdRange; cursor: DownloadCursor; done?: boolean }[];
  };
  upload?: {
    blobKey: string;
    format: UploadFormat;
    identifierField?: string;
    /** Error reports of the segments run so far, in order (see processBulkMessage's upload). */
    errorReportKeys?: string[];
    /** Segments committed so far; the next segment's message carries this number as `chunk`. */
    segment?: number;
    /** The segment a worker claimed (running, or dead when the record goes stale). */
    claimed?: number;
    /** The worker that claimed it (ProcessBulkDeps.workerId). */
    claimedBy?: string;
    /** Data rows in the file (counted when the job starts), for `progress`. */
    rowsTotal?: number;
    /** Data rows handled by the committed segments (the next one skips them). */
    rowsDone?: number;
    /** Of those, the rows that failed. */
    failedDone?: number;
    /** Common resource uploads: every row goes through toVendor first. */
    transformation?: Transformation;
    /** Presigned uploads: the PUT URL expires then; a job still waiting after it is ABORTED. */
    awaitingFileUntil?: string;
  };
  /**
   * A completed download's file in formats other than its own, converted on first request by the
   * worker (shared/bulk/download/convert.ts); the API answers 202 while one is PENDING.
   */
  files?: Partial<Record<DownloadFormat, ConvertedFile>>;
  /** 0-100, written by the worker while the job runs. */
  progress?: number;
  /** The completion callback target (Elements-Async-Callback-Url / notificationUrl), SSRF-checked. */
  notificationUrl?: string;
  /** CE metaData `callback-payload`: echoed in the completion callback. */
  callbackPayload?: unknown;
  /** The completion callback's outcome, once attempted (so a redelivered message does not re-send it). */
  callback?: { status: 'DELIVERED' | 'FAILED'; attempts: number; at: string; statusCode?: number };
  /** State-table version of the record read (optimistic locking); not part of the API shape. */
  version?: number;
}

export interface ConvertedFile {
  status: 'PENDING' | 'READY' | 'ERROR';
  /** ISO time of the request that queued the conversion (a PENDING one older than a worker run is retried). */
  requestedAt: string;
  key?: string;
  error?: string;
  statusCode?: number;
}

export const jobKey = (instanceId: string, jobId: string) => ({
  pk: `BULK#${instanceId}`,
  sk: `JOB#${jobId}`,
});
const listPk = (instanceId: string) => `BULKJOBS#${instanceId}`;

const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'expiresAt'];

export const jobFromItem = (item: StateItem): BulkJob => {
  const record: Record<string, unknown> = { ...item };
  for (const name of KEY_ATTRIBUTES) delete record[name];
  return record as unknown as BulkJob;
};

/** Job ids become blob key segments (`jobs/<id>/...`), hence the restricted alphabet. */
export const newJobId = (): string => randomUUID().replaceAll('-', '');

export interface CreateJobInput {
  instanceId: string;
  direction: BulkDirection;
  objectName: string;
  table: string;
  download?: { job: Omit<DownloadJob, 'id'> };
  upload?: BulkJob['upload'];
  notificationUrl?: string;
  callbackPayload?: unknown;
  /** Defaults to a random id. */
  id?: string;
}

export async function createJob(
  stateTable: StateTable,
  input: CreateJobInput,
  now: () => number,
): Promise<BulkJob> {
  const id = input.id ?? newJobId();
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new InvalidInputError('Invalid bulk job id');
  if ((input.direction === 'download') !== (input.download !== undefined)) {
    throw new TypeError('A download job needs `download` and an upload job needs `upload`');
  }
  const at = new Date(now()).toISOString();
  const job: BulkJob = {
    id,
    instanceId: input.instanceId,
    direction: input.direction,
    objectName: input.objectName,
    table: input.table,
    status: 'CREATED',
    recordsCount: 0,
    recordsFailedCount: 0,
    createdAt: at,
    updatedAt: at,
    ...(input.download === undefined
      ? {}
      : { download: { job: { ...input.download.job, id }, cursor: { nextPart: 0, rows: 0 } } }),
    ...(input.upload === undefined ? {} : { upload: input.upload }),
    ...(input.notificationUrl === undefined ? {} : { notificationUrl: input.notificationUrl }),
    ...(input.callbackPayload === undefined ? {} : { callbackPayload: input.callbackPayload }),
  };
  const stored = await stateTable.put(
    {
      ...jobKey(input.instanceId, id),
      // Newest first through the index: ISO time sorts chronologically, the id breaks ties.
      gsi1pk: listPk(input.instanceId),
      gsi1sk: `${at}#${id}`,
      ...(job as unknown as Record<string, never>),
    },
    { ifNotExists: true },
  );
  return jobFromItem(stored);
}

export async function getJob(
  stateTable: StateTable,
  instanceId: string,
  jobId: string,
): Promise<BulkJob | undefined> {
  const item = await stateTable.get(jobKey(instanceId, jobId));
  return item === undefined ? undefined : jobFromItem(item);
}

export interface ListJobsOptions {
  status?: BulkJobStatus;
  direction?: BulkDirection;
  objectName?: string;
  cursor?: string;
  limit?: number;
}

/**
 * Newest first. Filters apply after the index read, so a page can be shorter than `limit` (even
 * empty) and still carry a cursor, like a DynamoDB query with a filter expression.
 */
export async function listJobs(
  stateTable: StateTable,
  instanceId: string,
  options: ListJobsOptions = {},
): Promise<{ items: BulkJob[]; cursor?: string }> {
  const page = await stateTable.query({
    pk: listPk(instanceId),
    index: 'gsi1',
    descending: true,
    limit: Math.min(Math.max(options.limit ?? 100, 1), 1000),
    ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
  });
  const items = page.items
    .map(jobFromItem)
    .filter(
      (job) =>
        (options.status === undefined || job.status === options.status) &&
        (options.direction === undefined || job.direction === options.direction) &&
        (options.objectName === undefined || job.objectName === options.objectName),
    );
  return { items, ...(page.cursor === undefined ? {} : { cursor: page.cursor }) };
}

/**
 * Sets attributes only if the job still has the version read; ConditionFailedError otherwise.
 * Passing `undefined` as version writes unconditionally (terminal transitions).
 */
export async function updateJob(
  stateTable: StateTable,
  job: BulkJob,
  set: Partial<Omit<BulkJob, 'id' | 'instanceId' | 'version'>>,
  now: () => number,
  options: { conditional?: boolean } = { conditional: true },
): Promise<BulkJob> {
  const item = await stateTable.update(
    jobKey(job.instanceId, job.id),
    { ...(set as Record<string, never>), updatedAt: new Date(now()).toISOString() },
    {
      ifExists: true,
      ...(options.conditional === false || job.version === undefined ? {} : { ifVersion: job.version }),
    },
  );
  return jobFromItem(item);
}

/**
 * CE `PUT /bulk/{id}/cancel`: a job not yet started is CANCELLED at once; a running one becomes
 * CANCELLATION_PENDING and the worker finishes the cancellation at its next check. Terminal jobs
 * are returned unchanged. Undefined when the job does not exist.
 */
export async function requestCancel(
  stateTable: StateTable,
  instanceId: string,
  jobId: string,
  now: () => number,
): Promise<BulkJob | undefined> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const job = await getJob(stateTable, instanceId, jobId);
    if (job === undefined) return undefined;
    try {
      if (job.status === 'CREATED') {
        return await updateJob(
          stateTable,
          job,
          { status: 'CANCELLED', completedAt: new Date(now()).toISOString() },
          now,
        );
      }
      if (job.status === 'RUNNING')
        return await updateJob(stateTable, job, { status: 'CANCELLATION_PENDING' }, now);
      return job;
    } catch (error) {
      // The worker committed in between: read again and decide on the new status.
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  throw new ConflictError('The bulk job is changing too fast to cancel; try again');
}
