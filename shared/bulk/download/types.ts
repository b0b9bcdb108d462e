import type { BlobStore } from '../../ports';
import type { ServiceNowClient, SnRecord } from '../../servicenow';
import type { Transformation } from '../../transformations';
import type { DownloadFormat } from './format';
import type { SysIdRange } from './query';

export interface DownloadJob {
  /** Job id; also the blob key segment, so restricted to `[A-Za-z0-9_-]`. */
  id: string;
  table: string;
  /** ServiceNow encoded query (e.g. from ceqlToEncodedQuery), no ORDERBY; may contain `^NQ`. */
  encodedQuery: string;
  /** Selected fields (validated by the caller against the table metadata); empty/absent = all. */
  fields?: readonly string[];
  format: DownloadFormat;
  pageSize?: number;
  /**
   * Parallel streams asked for (planPartitions decides how many run); keyset jobs only, without `limit`.
   */
  partitions?: number;
  /** The sys_id range of one parallel stream (see planPartitions). */
  range?: SysIdRange;
  /**
   * Fields asked of ServiceNow (`sysparm_fields`) when they differ from the output `fields` (a
   * transformation reads vendor fields and writes common ones). Absent = `fields`; empty = all.
   */
  readFields?: readonly string[];
  /**
   * Encoded ORDERBY terms (`ORDERBYDESCpriority^ORDERBYnumber`, validated by the caller). A keyset on
   * sys_id cannot follow another order, so such a job pages by offset windows with `ORDERBYsys_id` as
   * the tie-breaker (offsets cost more on deep pages and are not a snapshot: rows
   * inserted or deleted meanwhile can shift a row across a window edge).
   */
  orderBy?: string;
  /** At most this many rows in the file (CE v3 `limit`). */
  limit?: number;
  /**
   * A common resource's effective transformation, snapshotted at job creation so every chunk maps rows
   * the same way (the worker applies toCommon; this module stays mapping-agnostic, see `mapRows`).
   */
  transformation?: Transformation;
}

/**
 * What the caller persists after a chunk succeeds (and only then). Re-running a chunk from the same
 * committed state rewrites the same part number (S3 keeps the latest upload of a number), so a crash
 * between the part upload and the commit cannot duplicate rows, and a crash before it cannot lose any.
 */
export interface DownloadCursor {
  /** Last sys_id written; the next chunk reads `sys_id>afterSysId`. */
  afterSysId?: string;
  /** Parts uploaded so far; the next chunk uploads part number `nextPart + 1`. */
  nextPart: number;
  /** Chunks committed so far (a chunk that only carried bytes forward uploads no part). */
  chunks?: number;
  /** Rows written so far. */
  rows: number;
  /** Column order, fixed by the first chunk (see columnsFor). */
  columns?: string[];
  /** Ordered (`orderBy`) jobs: offset of the next window. */
  offset?: number;
  /** The result file's multipart upload, started by the first chunk that cannot write the whole file. */
  uploadId?: string;
  /**
   * Bytes a chunk stopped by its deadline could not yet upload (under the least part size): kept in a
   * carry object that the next chunk puts in front of its own rows.
   */
  carry?: number;
}

export const INITIAL_DOWNLOAD_CURSOR: DownloadCursor = { nextPart: 0, rows: 0 };

export interface RunDownloadChunkOptions {
  client: ServiceNowClient;
  blobStore: BlobStore;
  job: DownloadJob;
  cursor: DownloadCursor;
  /** Pages to read in this chunk at most, unless its part is still under the least part size (default: no cap). */
  maxPages?: number;
  /**
   * Epoch ms after which the chunk ends at its next part boundary: what a chunk's length is measured in
   * (the worker gives it a minute), since that is what a crashed chunk costs to repeat.
   */
  endAfter?: number;
  /**
   * Epoch ms after which no further page is started (the page in flight finishes); the bytes read so far
   * are uploaded as a part, or carried to the next chunk when they are too few for one.
   */
  deadline?: number;
  now?: () => number;
  /**
   * Rows as read (sys_id included) -> rows as written, e.g. a transformation's toCommon. Applied
   * after the cursor was taken from the raw rows.
   */
  mapRows?: (rows: SnRecord[]) => Promise<SnRecord[]>;
  /** Asked beside every page read after the first; false stops the chunk there (a cancel request). */
  shouldContinue?: () => Promise<boolean>;
  /** One stream of a partitioned job; absent for a job read as one stream (see DownloadStream). */
  stream?: DownloadStream;
}

/**
 * One of the parallel streams of a partitioned download (planned by planPartitions). Its rows go to part
 * numbers `partBase + 1 .. partBase + partLimit` of the upload the plan started (`cursor.uploadId`).
 * Only stream 0 opens the file (CSV header, `[`) and only the last closes it. Every other stream holds
 * its last part back, in its carry object, until it knows whether more of its rows follow: S3 refuses a
 * part under the least size unless it is the file's last, and a stream's end is not the file's end.
 */
export interface DownloadStream {
  index: number;
  count: number;
  partBase: number;
  partLimit: number;
}

export interface DownloadChunkResult {
  /** The state to commit. */
  cursor: DownloadCursor;
  /** Rows written by this chunk. */
  rows: number;
  /** True when the table is exhausted: completeDownload is next. */
  done: boolean;
  /** The last part number uploaded, or undefined (the whole file written at once, or bytes carried). */
  part: number | undefined;
  /** A cancel request stopped the chunk: nothing was written, nothing is to commit. */
  cancelled?: boolean;
}
