import {
  BadUpstreamError,
  ConflictError,
  InternalError,
  InvalidInputError,
  PayloadTooLargeError,
} from '../../errors';
import { METRICS, recordMetric } from '../../metrics';
import { type BlobStore, InvalidPartError, MAX_MULTIPART_PARTS, NoSuchUploadError } from '../../ports';
import type { ServiceNowClient, SnRecord } from '../../servicenow';
import type { Transformation } from '../../transformations';
import {
  columnsFor,
  type DownloadFormat,
  FORMAT_CONTENT_TYPE,
  FORMAT_EXTENSION,
  fileHead,
  fileTail,
  writePage,
} from './format';
import { acquirePartBuffer, type PartBuffer, releasePartBuffer } from './part-buffer';
import { keysetQuery, type SysIdRange } from './query';

export const DEFAULT_DOWNLOAD_PAGE_SIZE = 1000;

/**
 * The least size of part `partNumber`. S3 allows 10,000 parts per upload, so parts grow in steps late in
 * a job: 5,000 x 5 MiB + 4,000 x 20 MiB + 1,000 x 80 MiB lets one file reach about 180 GiB.
 */
export const partTargetBytes = (minPartBytes: number, partNumber: number): number =>
  minPartBytes * (partNumber <= 5000 ? 1 : partNumber <= 9000 ? 4 : 16);

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

const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;

const jobPrefix = (jobId: string): string => {
  if (!JOB_ID.test(jobId)) throw new InvalidInputError('Invalid bulk job id');
  return `jobs/${jobId}`;
};

export const resultKey = (jobId: string, format: DownloadFormat): string =>
  `${jobPrefix(jobId)}/result.${FORMAT_EXTENSION[format]}`;

/** The carry object written by the chunk whose committed count is `chunk` (a retry rewrites the same one). */
export const carryKey = (jobId: string, chunk: number, stream?: number): string =>
  `${jobPrefix(jobId)}/carry/${stream === undefined ? '' : `s${String(stream).padStart(3, '0')}-`}${String(chunk).padStart(6, '0')}`;

export const carryPrefix = (jobId: string): string => `${jobPrefix(jobId)}/carry/`;

const sysIdOf = (row: SnRecord): string => {
  const value = row.sys_id;
  if (typeof value === 'string' && value !== '') return value;
  throw new BadUpstreamError('ServiceNow returned a row without sys_id; cannot page by it');
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
 * The first window of `query` from `offset` on that holds rows: `sysparm_limit` applies
 * before ACLs, so a page can be empty while a `next` link says more rows exist; stepping the offset over
 * such a hidden window keeps the download from ending early.
 */
const firstRowsFrom = async (client: ServiceNowClient, job: DownloadJob, query: string, from: number) => {
  const pageSize = job.pageSize ?? DEFAULT_DOWNLOAD_PAGE_SIZE;
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
    if (page.records.length > 0 || !page.hasNext) return { ...page, offset };
  }
};

/** One keyset window: the rows after `afterSysId` (the cursor cannot move without a row, see firstRowsFrom). */
const readKeyset = async (client: ServiceNowClient, job: DownloadJob, afterSysId: string | undefined) =>
  (await firstRowsFrom(client, job, keysetQuery(job.encodedQuery, afterSysId, job.range), 0)).records;

/** Ordered jobs: offset windows of `filter^ORDER^ORDERBYsys_id`. */
const readOrdered = async (client: ServiceNowClient, job: DownloadJob, from: number): Promise<Batch> => {
  const pageSize = job.pageSize ?? DEFAULT_DOWNLOAD_PAGE_SIZE;
  // keysetQuery without a cursor only adds the partition bounds (to every ^NQ group) and ORDERBYsys_id.
  const bounded = keysetQuery(job.encodedQuery, undefined, job.range).replace(/\^?ORDERBYsys_id$/, '');
  const query = [bounded, job.orderBy, 'ORDERBYsys_id']
    .filter((part) => part !== undefined && part !== '')
    .join('^');
  const page = await firstRowsFrom(client, job, query, from);
  return { rows: page.records, next: { offset: page.offset + pageSize }, last: !page.hasNext };
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
      throw new BadUpstreamError('ServiceNow paging did not advance (the cursor repeated); stopping');
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

const readCarry = async (
  blobStore: BlobStore,
  job: DownloadJob,
  cursor: DownloadCursor,
  stream: DownloadStream | undefined,
  into: PartBuffer,
) => {
  const key = carryKey(job.id, (cursor.chunks ?? 0) - 1, stream?.index);
  const object = await blobStore.get(key);
  if (object === undefined || object.size !== cursor.carry) {
    throw new InternalError(`The carried bytes of bulk job ${job.id} are missing`);
  }
  for await (const bytes of object.body) into.append(bytes as Buffer);
};

/**
 * Reads pages after `cursor` and uploads them as parts of the result file's multipart upload. Pages are
 * read ahead by one, so ServiceNow's time and ours overlap, and a full part (at least the store's least
 * part size) uploads while the next one fills, so at most two parts sit in memory. A chunk ends at a part
 * boundary once it has read long enough (`endAfter`, `maxPages`), at the end of the rows (the last part
 * carries the file's tail; a chunk holding the whole file writes it in one put, without a multipart
 * upload), or at its deadline (bytes too few for a part wait in a carry object for the next chunk). Any failure rejects before the
 * caller commits; the caller then retries from the same cursor and the same part numbers.
 */
export async function runDownloadChunk(options: RunDownloadChunkOptions): Promise<DownloadChunkResult> {
  const { client, blobStore, job, cursor } = options;
  const maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
  const now = options.now ?? Date.now;
  const mapRows = options.mapRows ?? (async (rows: SnRecord[]) => rows);
  if (maxPages !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxPages) || maxPages < 1)) {
    throw new InvalidInputError('maxPages must be a positive integer');
  }
  const pageSize = job.pageSize ?? DEFAULT_DOWNLOAD_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new InvalidInputError('pageSize must be a positive integer');
  const limit = job.limit ?? Number.POSITIVE_INFINITY;
  const key = resultKey(job.id, job.format);
  const contentType = FORMAT_CONTENT_TYPE[job.format];
  const pastDeadline = () => options.deadline !== undefined && now() >= options.deadline;
  /** The chunk has read enough: its page cap or its length in time. */
  const longEnough = (pages: number) =>
    pages >= maxPages || (options.endAfter !== undefined && now() >= options.endAfter);

  let position: Position = {
    ...(cursor.afterSysId === undefined ? {} : { afterSysId: cursor.afterSysId }),
    ...(cursor.offset === undefined ? {} : { offset: cursor.offset }),
  };
  let batch = await readBatch(client, job, position, limit - cursor.rows);
  let mapped = batch.rows.length === 0 ? [] : await mapRows(batch.rows);
  // With a field selection the CSV header is known even for an empty result.
  const columns =
    cursor.columns ??
    (batch.rows.length > 0 || (job.fields !== undefined && job.fields.length > 0)
      ? columnsFor(job.fields, mapped)
      : undefined);

  /** The page after `from` (undefined when a cancel request stops the chunk), mapped. */
  const readNext = async (from: Position, written: number) => {
    // The cancel check runs beside the page read, not before it: keyset paging has one page in flight
    // at most, so a state-table round trip ahead of every request would be ServiceNow idle time. A
    // cancel costs at most this one page read, which is dropped.
    const [proceed, next] = await Promise.all([
      options.shouldContinue?.() ?? true,
      readBatch(client, job, from, limit - cursor.rows - written),
    ]);
    if (!proceed) return undefined;
    return { batch: next, mapped: next.rows.length === 0 ? [] : await mapRows(next.rows) };
  };

  const { stream } = options;
  const opensFile = stream === undefined || stream.index === 0;
  const closesFile = stream === undefined || stream.index === stream.count - 1;
  const holdBack = !closesFile;
  const partBase = stream?.partBase ?? 0;
  const partLimit = stream?.partLimit ?? MAX_MULTIPART_PARTS;
  let nextPart = cursor.nextPart;
  let uploadId = cursor.uploadId;
  // Part sizes grow with the share of the stream's part numbers used (see partTargetBytes).
  const targetOf = (partNumber: number) =>
    partTargetBytes(blobStore.minPartBytes, Math.ceil((partNumber * MAX_MULTIPART_PARTS) / partLimit));
  const newBuffer = () => acquirePartBuffer(Math.ceil(targetOf(nextPart + 1) * (holdBack ? 2.25 : 1.25)));
  /** Uploads `bytes` as this stream's part `partNumber` (starting the multipart upload first if needed). */
  const upload = async (bytes: Uint8Array, partNumber: number) => {
    if (partNumber > partLimit) {
      throw new PayloadTooLargeError(
        'The bulk result exceeds the largest file S3 can assemble; narrow the query or use fewer partitions',
      );
    }
    uploadId ??= (await blobStore.createMultipartUpload(key, { contentType })).uploadId;
    await blobStore.uploadPart(key, uploadId, partBase + partNumber, bytes);
    recordMetric(METRICS.bulkBytesDownloaded, bytes.length);
  };
  let uploading: Promise<void> | undefined;
  /** Buffers to give back at the end; a part's buffer goes back as soon as its upload settles. */
  const held = new Set<PartBuffer>();

  let buffer = newBuffer();
  held.add(buffer);
  let rows = 0;
  let done = batch.rows.length === 0;
  try {
    if (cursor.carry !== undefined) await readCarry(blobStore, job, cursor, stream, buffer);
    else if ((cursor.chunks ?? 0) === 0 && opensFile) buffer.write(fileHead(job.format, columns));
    let pageBytes = 0;
    /** After a page that brought the current part to `bytes`: does the chunk end there? */
    const endsAt = (bytes: number, pages: number) =>
      pastDeadline() || (longEnough(pages) && (holdBack || bytes >= targetOf(nextPart + 1)));
    for (let pages = 1; !done; pages++) {
      // Read ahead unless the chunk is expected to end with this page (a wrong guess costs one page
      // read, dropped, or one page read without overlap).
      const ahead =
        batch.last || endsAt(buffer.length + pageBytes, pages)
          ? undefined
          : readNext(batch.next, rows + batch.rows.length);
      // Awaited below; this only keeps a failure that lands while we are suspended from being unhandled.
      ahead?.catch(() => {});
      const before = buffer.length;
      writePage(buffer, job.format, mapped, {
        columns: columns ?? [],
        fields: job.fields,
        first: opensFile && cursor.rows + rows === 0,
      });
      pageBytes = buffer.length - before;
      rows += batch.rows.length;
      position = batch.next;
      // No reference to a written page may outlive this point. A page still held while we await the
      // next one survives the young collections that run then and is moved to the old generation,
      // which only a full collection empties: the heap grew with the export until V8 ran one (a 1M-row
      // export on Node 24 peaked at 188-194 MB, 151-168 MB at 100k rows; 153-155 MB once pages were let go).
      batch = { ...batch, rows: [] };
      mapped = [];
      if (batch.last) {
        done = true;
        break;
      }
      const target = targetOf(nextPart + 1);
      // The chunk ends at a part boundary (a page read ahead by a wrong guess is dropped)...
      if ((holdBack || buffer.length >= target) && longEnough(pages)) break;
      // ...or at its deadline: no page starts after it, but a page read ahead before it is written.
      if (ahead === undefined && pastDeadline()) break;
      // A full part mid-chunk uploads while the next one fills (one upload in flight at most). A stream
      // that holds back keeps its last `target` bytes for the part after (they may be the stream's end).
      const keep = holdBack ? target : 0;
      if (buffer.length >= target + keep) {
        await uploading;
        nextPart += 1;
        const full = buffer;
        buffer = newBuffer();
        held.add(buffer);
        buffer.append(full.bytes().subarray(full.length - keep));
        uploading = upload(full.bytes().subarray(0, full.length - keep), nextPart).finally(() => {
          held.delete(full);
          releasePartBuffer(full);
        });
        uploading.catch(() => {});
      }
      let next = await (ahead ?? readNext(batch.next, rows));
      if (next === undefined) {
        // Cancelled: nothing is committed, so a multipart upload this chunk started has no other owner.
        await uploading?.catch(() => {});
        if (uploadId !== undefined && cursor.uploadId === undefined) {
          await blobStore.abortMultipartUpload(key, uploadId);
        }
        return { cursor, rows: 0, done: false, part: undefined, cancelled: true };
      }
      if (next.batch.rows.length === 0) done = true;
      else ({ batch, mapped } = next);
      // A suspended async function keeps its variables alive, this one included (see above).
      next = undefined;
    }
    if (done && closesFile) buffer.write(fileTail(job.format));
    await uploading;

    const chunks = (cursor.chunks ?? 0) + 1;
    const committed = (extra: Partial<DownloadCursor>): DownloadCursor => ({
      ...(position.afterSysId === undefined ? {} : { afterSysId: position.afterSysId }),
      ...(position.offset === undefined ? {} : { offset: position.offset }),
      nextPart,
      chunks,
      rows: cursor.rows + rows,
      ...(columns === undefined ? {} : { columns }),
      ...(uploadId === undefined ? {} : { uploadId }),
      ...extra,
    });
    if (done && nextPart === 0 && stream === undefined) {
      // The whole file fits this chunk: one put, no multipart upload to start or complete.
      await blobStore.put(key, buffer.bytes(), { contentType });
      recordMetric(METRICS.bulkBytesDownloaded, buffer.bytes().length);
      return { cursor: committed({}), rows, done, part: undefined };
    }
    if (!done && (holdBack || buffer.length < targetOf(nextPart + 1))) {
      // Stopped by the deadline under the least part size (S3 refuses a small part that is not the
      // last), or a stream holding back: the bytes wait in a carry object for the next chunk.
      if (buffer.length > 0) {
        await blobStore.put(carryKey(job.id, chunks - 1, stream?.index), buffer.bytes());
      }
      const carried = buffer.length > 0 ? { carry: buffer.length } : {};
      return {
        cursor: committed(carried),
        rows,
        done,
        part: nextPart > cursor.nextPart ? nextPart : undefined,
      };
    }
    if (buffer.length > 0) {
      nextPart += 1;
      await upload(buffer.bytes(), nextPart);
    }
    return { cursor: committed({}), rows, done, part: nextPart > cursor.nextPart ? nextPart : undefined };
  } finally {
    // A failed chunk may leave an upload running; its buffer is not reused before it settles.
    await uploading?.catch(() => {});
    for (const part of held) releasePartBuffer(part);
  }
}

/**
 * Completes the result file of a fully read download from the parts its cursor committed (idempotent: an
 * upload completed by an earlier attempt whose commit was lost is recognised by the object's presence).
 * ListParts gives each part's latest ETag, which is the one S3 accepts (see BlobStore.listParts). A
 * partitioned job passes its streams: each committed `nextPart` parts after its `partBase`.
 */
export async function completeDownload(
  blobStore: BlobStore,
  job: Pick<DownloadJob, 'id' | 'format'>,
  cursor: Pick<DownloadCursor, 'nextPart' | 'uploadId'>,
  streams: readonly { partBase: number; nextPart: number }[] = [{ partBase: 0, nextPart: cursor.nextPart }],
): Promise<{ key: string }> {
  const key = resultKey(job.id, job.format);
  const { uploadId } = cursor;
  if (uploadId === undefined) return { key }; // written whole by its only chunk
  const wanted = (partNumber: number) =>
    streams.some((s) => partNumber > s.partBase && partNumber <= s.partBase + s.nextPart);
  const expected = streams.reduce((sum, s) => sum + s.nextPart, 0);
  try {
    const parts = (await blobStore.listParts(key, uploadId)).filter((p) => wanted(p.partNumber));
    if (parts.length !== expected) {
      throw new InternalError(`${expected - parts.length} part(s) of bulk job ${job.id} are missing`);
    }
    await blobStore.completeMultipartUpload(key, uploadId, parts);
  } catch (error) {
    if (error instanceof InvalidPartError) {
      // Only a partitioned job can get here: a stream came out under S3's least part size.
      throw new ConflictError(
        'A partition of this download came out smaller than S3 accepts (rows deleted while it ran?); run it again with fewer partitions',
      );
    }
    if (!(error instanceof NoSuchUploadError) || (await blobStore.head(key)) === undefined) throw error;
  }
  return { key };
}

/** Drops everything a download wrote: its multipart upload, carry objects and (if any) result file. */
export async function discardDownload(
  blobStore: BlobStore,
  job: Pick<DownloadJob, 'id' | 'format'>,
  cursor: Pick<DownloadCursor, 'uploadId'>,
): Promise<void> {
  const key = resultKey(job.id, job.format);
  if (cursor.uploadId !== undefined) await blobStore.abortMultipartUpload(key, cursor.uploadId);
  await deleteCarries(blobStore, job.id);
  await blobStore.delete(key);
}

/** Carry objects are spent once the chunk after them committed; the job's end removes them all. */
export async function deleteCarries(blobStore: BlobStore, jobId: string): Promise<void> {
  let listCursor: string | undefined;
  do {
    const page = await blobStore.list(
      carryPrefix(jobId),
      listCursor === undefined ? {} : { cursor: listCursor },
    );
    for (const item of page.items) await blobStore.delete(item.key);
    listCursor = page.cursor;
  } while (listCursor !== undefined);
}
