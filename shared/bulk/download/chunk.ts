import { Readable } from 'node:stream';
import { badRequest, ElementError } from '../../errors';
import type { BlobStore } from '../../ports/blob-store';
import type { ServiceNowClient, SnRecord } from '../../servicenow';
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
}

export const INITIAL_DOWNLOAD_CURSOR: DownloadCursor = { nextPart: 0, rows: 0 };

export interface RunDownloadChunkOptions {
  client: ServiceNowClient;
  blobStore: BlobStore;
  job: DownloadJob;
  cursor: DownloadCursor;
  /** Pages to read in this chunk at most (default 10). */
  maxPages?: number;
  /** Epoch ms after which no further page is started (the page in flight finishes). */
  deadline?: number;
  now?: () => number;
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

/**
 * One keyset window (research A.8): `sysparm_limit` applies before ACLs, so a page can be empty while
 * a `next` link says more rows exist; the cursor cannot move without a row, so the offset steps over
 * the hidden window instead of ending the download early.
 */
const readPage = async (client: ServiceNowClient, job: DownloadJob, afterSysId: string | undefined) => {
  const pageSize = job.pageSize ?? DEFAULT_DOWNLOAD_PAGE_SIZE;
  const query = keysetQuery(job.encodedQuery, afterSysId, job.range);
  const fields =
    job.fields === undefined || job.fields.length === 0 ? undefined : [...new Set([...job.fields, 'sys_id'])];
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

/**
 * Reads up to `maxPages` keyset pages after `cursor` and writes them as ONE part object, streamed:
 * the Readable handed to BlobStore.put pulls the next page only when the upload wants more bytes, so
 * at most one page is in memory (S3 multipart via lib-storage in AWS). Any failure rejects before the
 * caller commits; the caller then retries from the same cursor.
 */
export async function runDownloadChunk(options: RunDownloadChunkOptions): Promise<DownloadChunkResult> {
  const { client, blobStore, job } = options;
  const maxPages = options.maxPages ?? 10;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(maxPages) || maxPages < 1) throw badRequest('maxPages must be a positive integer');
  const pageSize = job.pageSize ?? DEFAULT_DOWNLOAD_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw badRequest('pageSize must be a positive integer');

  // The first page is read before the upload starts: an empty result writes no part at all.
  let afterSysId = options.cursor.afterSysId;
  const first = await readPage(client, job, afterSysId);
  if (first.length === 0) {
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
  const columns = options.cursor.columns ?? columnsFor(job.fields, first);
  let rows = 0;
  let done = false;

  async function* body(): AsyncGenerator<string> {
    let page: SnRecord[] = first;
    for (let read = 1; ; read++) {
      yield serializePage(job.format, page, { columns, fields: job.fields, first: read === 1 });
      rows += page.length;
      afterSysId = sysIdOf(page[page.length - 1] as SnRecord);
      if (read >= maxPages || (options.deadline !== undefined && now() >= options.deadline)) return;
      const previous = afterSysId;
      page = await readPage(client, job, afterSysId);
      if (page.length === 0) {
        done = true;
        return;
      }
      if (sysIdOf(page[page.length - 1] as SnRecord) <= previous) {
        throw new ElementError(502, 'ServiceNow paging did not advance (the cursor repeated); stopping');
      }
    }
  }

  const part = options.cursor.nextPart;
  await blobStore.put(partKey(job.id, part), Readable.from(body(), { objectMode: false }), {
    contentType: FORMAT_CONTENT_TYPE[job.format],
  });
  return {
    cursor: {
      ...(afterSysId === undefined ? {} : { afterSysId }),
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
