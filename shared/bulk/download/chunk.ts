import { Readable } from 'node:stream';
import { badRequest, ElementError } from '../../errors';
import type { BlobStore } from '../../ports/blob-store';
import type { ServiceNowClient, SnRecord } from '../../servicenow';
import type { Transformation } from '../../transformations';
import {
  columnsFor,
  csvHeader,
  type DownloadFormat,
  FORMAT_CONTENT_TYPE,
  FORMAT_EXTENSION,
  serializePage,
} from './format';
import { keysetQuery, type SysIdRange } from './query';

export const DEFAULT_DOWNLOAD_PAGE_SIZE = 1000;
/**
 * Pages per chunk (one queue message, one part file). 25 pages of a dozen fields make parts of about
 * 5 MB, S3's minimum multipart part size, and bound the work a crashed chunk repeats to seconds on a
 * real instance; fewer, larger chunks also spend less on commits and on the first page of each chunk,
 * which no read-ahead can overlap (measured by the bulk-export benchmark).
 */
export const DEFAULT_PAGES_PER_CHUNK = 25;

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
  /** Optional parallel partition of the sys_id space (see sysIdPartitions). */
  range?: SysIdRange;
  /**
   * Fields asked of ServiceNow (`sysparm_fields`) when they differ from the output `fields` (a
   * transformation reads vendor fields and writes common ones). Absent = `fields`; empty = all.
   */
  readFields?: readonly string[];
  /**
   * Encoded ORDERBY terms (`ORDERBYDESCpriority^ORDERBYnumber`, validated by the caller). A keyset on
   * sys_id cannot follow another order, so such a job pages by offset windows with `ORDERBYsys_id` as
   * the tie-breaker (research A.8: offsets cost more on deep pages and are not a snapshot: rows
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
 * committed state rewrites the same part number, so a crash between the part write and the commit
 * cannot duplicate rows, and a crash before it cannot lose any.
 */
export interface DownloadCursor {
  /** Last sys_id written; the next chunk reads `sys_id>afterSysId`. */
  afterSysId?: string;
  /** Number of the part the next chunk writes (= parts written so far). */
  nextPart: number;
  /** Rows written so far. */
  rows: number;
  /** Column order, fixed by the first chunk (see columnsFor). */
  columns?: string[];
  /** Ordered (`orderBy`) jobs: offset of the next window. */
  offset?: number;
}

export const INITIAL_DOWNLOAD_CURSOR: DownloadCursor = { nextPart: 0, rows: 0 };

export interface RunDownloadChunkOptions {
  client: ServiceNowClient;
  blobStore: BlobStore;
  job: DownloadJob;
  cursor: DownloadCursor;
  /** Pages to read in this chunk at most (default DEFAULT_PAGES_PER_CHUNK). */
  maxPages?: number;
  /** Epoch ms after which no further page is started (the page in flight finishes). */
  deadline?: number;
  now?: () => number;
  /**
   * Rows as read (sys_id included) -> rows as written, e.g. a transformation's toCommon. Applied
   * after the cursor was taken from the raw rows.
   */
  mapRows?: (rows: SnRecord[]) => Promise<SnRecord[]>;
  /** Asked before every page after the first; false stops the chunk there (a cancel request). */
  shouldContinue?: () => Promise<boolean>;
}

export interface DownloadChunkResult {
  /** The state to commit. */
  cursor: DownloadCursor;
  /** Rows written by this chunk. */
  rows: number;
  /** True when the table is exhausted: no further chunk is needed. */
  done: boolean;
  /** Part number written, or undefined when this chunk found no rows (nothing written). */
  part: number | undefined;
}

const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;

export const partKey = (jobId: string, part: number): string => {
  if (!JOB_ID.test(jobId)) throw badRequest('Invalid bulk job id');
  // Zero-padded so a prefix listing returns parts in numeric order.
  return `jobs/${jobId}/parts/${String(part).padStart(6, '0')}`;
};

export const resultKey = (jobId: string, format: DownloadFormat): string => {
  if (!JOB_ID.test(jobId)) throw badRequest('Invalid bulk job id');
  return `jobs/${jobId}/result.${FORMAT_EXTENSION[format]}`;
};

const sysIdOf = (row: SnRecord): string => {
  const value = row.sys_id;
  if (typeof value === 'string' && value !== '') return value;
  throw new ElementError(502, 'ServiceNow returned a row without sys_id; cannot page by it');
};

interface Position {
  afterSysId?: string;
  offset?: number;
}

interface Batch {
  rows: SnRecord[];
  next: Position;
  /** No row exists after these. */
  last: boolean;
}

const readFieldsOf = (job: DownloadJob): string[] | undefined => {
  const fields = job.readFields ?? job.fields;
  return fields === undefined || fields.length === 0 ? undefined : [...new Set([...fields, 'sys_id'])];
};

/**
 * One keyset window (research A.8): `sysparm_limit` applies before ACLs, so a page can be empty while
 * a `next` link says more rows exist; the cursor cannot move without a row, so the offset steps over
 * the hidden window instead of ending the download early.
 */
const readKeyset = async (client: ServiceNowClient, job: DownloadJob, afterSysId: string | undefined) => {
  const pageSize = job.pageSize ?? DEFAULT_DOWNLOAD_PAGE_SIZE;
  const query = keysetQuery(job.encodedQuery, afterSysId, job.range);
  const fields = readFieldsOf(job);
  for (let offset = 0; ; offset += pageSize) {
    const page = await client.list(job.table, {
      query,
      ...(fields === undefined ? {} : { fields }),
      limit: pageSize,
      ...(offset === 0 ? {} : { offset }),
      noCount: true,
      excludeReferenceLink: true,
    });
    if (page.records.length > 0 || !page.hasNext) return page.records;
  }
};

/** Ordered jobs: offset windows of `filter^ORDER^ORDERBYsys_id`, stepping over windows ACLs emptied. */
const readOrdered = async (client: ServiceNowClient, job: DownloadJob, from: number): Promise<Batch> => {
  const pageSize = job.pageSize ?? DEFAULT_DOWNLOAD_PAGE_SIZE;
  // keysetQuery without a cursor only adds the partition bounds (to every ^NQ group) and ORDERBYsys_id.
  const bounded = keysetQuery(job.encodedQuery, undefined, job.range).replace(/\^?ORDERBYsys_id$/, '');
  const query = [bounded, job.orderBy, 'ORDERBYsys_id']
    .filter((part) => part !== undefined && part !== '')
    .join('^');
  const fields = readFieldsOf(job);
  for (let offset = from; ; offset += pageSize) {
    const page = await client.list(job.table, {
      query,
      ...(fields === undefined ? {} : { fields }),
      limit: pageSize,
      ...(offset === 0 ? {} : { offset }),
      noCount: true,
      excludeReferenceLink: true,
    });
    if (page.records.length > 0 || !page.hasNext) {
      return { rows: page.records, next: { offset: offset + pageSize }, last: !page.hasNext };
    }
  }
};

/** The next rows after `position`, cut to the job's `limit`; empty rows mean the table is exhausted. */
const readBatch = async (
  client: ServiceNowClient,
  job: DownloadJob,
  position: Position,
  remaining: number,
): Promise<Batch> => {
  if (remaining <= 0) return { rows: [], next: position, last: true };
  let batch: Batch;
  if (job.orderBy !== undefined && job.orderBy !== '') {
    batch = await readOrdered(client, job, position.offset ?? 0);
  } else {
    const rows = await readKeyset(client, job, position.afterSysId);
    const last = rows.at(-1);
    const afterSysId = last === undefined ? position.afterSysId : sysIdOf(last);
    if (
      last !== undefined &&
      position.afterSysId !== undefined &&
      (afterSysId ?? '') <= position.afterSysId
    ) {
      throw new ElementError(502, 'ServiceNow paging did not advance (the cursor repeated); stopping');
    }
    batch = {
      rows,
      next: afterSysId === undefined ? {} : { afterSysId },
      last: rows.length === 0,
    };
  }
  if (batch.rows.length >= remaining) return { ...batch, rows: batch.rows.slice(0, remaining), last: true };
  return batch;
};

/**
 * Reads up to `maxPages` pages after `cursor` and writes them as ONE part object, streamed: the
 * Readable handed to BlobStore.put pulls the next page only when the upload wants more bytes, so at
 * most one page is in memory (S3 multipart via lib-storage in AWS). Any failure rejects before the
 * caller commits; the caller then retries from the same cursor.
 */
export async function runDownloadChunk(options: RunDownloadChunkOptions): Promise<DownloadChunkResult> {
  const { client, blobStore, job } = options;
  const maxPages = options.maxPages ?? DEFAULT_PAGES_PER_CHUNK;
  const now = options.now ?? Date.now;
  const mapRows = options.mapRows ?? (async (rows: SnRecord[]) => rows);
  if (!Number.isInteger(maxPages) || maxPages < 1) throw badRequest('maxPages must be a positive integer');
  const pageSize = job.pageSize ?? DEFAULT_DOWNLOAD_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw badRequest('pageSize must be a positive integer');
  const limit = job.limit ?? Number.POSITIVE_INFINITY;

  // The first page is read before the upload starts: an empty result writes no part at all.
  let position: Position = {
    ...(options.cursor.afterSysId === undefined ? {} : { afterSysId: options.cursor.afterSysId }),
    ...(options.cursor.offset === undefined ? {} : { offset: options.cursor.offset }),
  };
  const first = await readBatch(client, job, position, limit - options.cursor.rows);
  if (first.rows.length === 0) {
    // With a field selection the CSV header is known even for an empty result.
    const columns =
      options.cursor.columns ??
      (job.fields !== undefined && job.fields.length > 0 ? columnsFor(job.fields, []) : undefined);
    return {
      cursor: { ...options.cursor, ...(columns === undefined ? {} : { columns }) },
      rows: 0,
      done: true,
      part: undefined,
    };
  }
  const firstMapped = await mapRows(first.rows);
  const columns = options.cursor.columns ?? columnsFor(job.fields, firstMapped);
  let rows = 0;
  let done = false;

  /** The page after `from` (undefined when a cancel request stops the chunk), mapped. */
  const readNext = async (from: Position, written: number) => {
    // The cancel check runs beside the page read, not before it: keyset paging has one page in flight
    // at most, so a state-table round trip ahead of every request would be ServiceNow idle time (a
    // DynamoDB read per page in AWS). A cancel costs at most this one page read, which is dropped.
    const [proceed, next] = await Promise.all([
      options.shouldContinue?.() ?? true,
      readBatch(client, job, from, limit - options.cursor.rows - written),
    ]);
    if (!proceed) return undefined;
    return { batch: next, mapped: next.rows.length === 0 ? [] : await mapRows(next.rows) };
  };

  async function* body(): AsyncGenerator<string> {
    let batch = first;
    let mapped = firstMapped;
    for (let read = 1; ; read++) {
      // Read ahead: the next page is requested before this one is serialized and written, so
      // ServiceNow's time and ours overlap instead of adding up (two pages in memory at most).
      const more =
        !batch.last && read < maxPages && (options.deadline === undefined || now() < options.deadline);
      const ahead = more ? readNext(batch.next, rows + batch.rows.length) : undefined;
      // Awaited below; this only keeps a failure that lands while we are suspended from being unhandled.
      ahead?.catch(() => {});
      yield serializePage(job.format, mapped, { columns, fields: job.fields, first: read === 1 });
      rows += batch.rows.length;
      position = batch.next;
      if (batch.last) {
        done = true;
        return;
      }
      if (ahead === undefined) return;
      const next = await ahead;
      if (next === undefined) return;
      if (next.batch.rows.length === 0) {
        done = true;
        return;
      }
      ({ batch, mapped } = next);
    }
  }

  const part = options.cursor.nextPart;
  await blobStore.put(partKey(job.id, part), Readable.from(body(), { objectMode: false }), {
    contentType: FORMAT_CONTENT_TYPE[job.format],
  });
  return {
    cursor: {
      ...(position.afterSysId === undefined ? {} : { afterSysId: position.afterSysId }),
      ...(position.offset === undefined ? {} : { offset: position.offset }),
      nextPart: part + 1,
      rows: options.cursor.rows + rows,
      columns,
    },
    rows,
    done,
    part,
  };
}

/**
 * Concatenates parts 0..parts-1 into `jobs/<id>/result.<ext>`, streaming part after part. Adds the
 * framing the parts lack: the CSV header once, the JSON array's `[`, `,` between parts and `]`.
 */
export async function assembleDownload(
  blobStore: BlobStore,
  jobId: string,
  cursor: Pick<DownloadCursor, 'nextPart' | 'columns'>,
  format: DownloadFormat,
): Promise<{ key: string }> {
  const key = resultKey(jobId, format);
  async function* body(): AsyncGenerator<string | Buffer> {
    if (format === 'csv' && cursor.columns !== undefined) yield csvHeader(cursor.columns);
    if (format === 'json') yield '[\n';
    for (let part = 0; part < cursor.nextPart; part++) {
      const object = await blobStore.get(partKey(jobId, part));
      if (object === undefined) throw new ElementError(500, `Bulk part ${part} of job ${jobId} is missing`);
      if (format === 'json' && part > 0) yield ',\n';
      for await (const bytes of object.body) yield bytes as Buffer;
    }
    if (format === 'json') yield '\n]\n';
  }
  await blobStore.put(key, Readable.from(body(), { objectMode: false }), {
    contentType: FORMAT_CONTENT_TYPE[format],
  });
  return { key };
}
