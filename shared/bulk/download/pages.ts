import { BadUpstreamError } from '../../errors';
import type { ServiceNowClient, SnRecord } from '../../servicenow';
import { keysetQuery } from './query';
import type { DownloadJob } from './types';

export const DEFAULT_DOWNLOAD_PAGE_SIZE = 1000;

/** Where a download's next rows start: after a sys_id (keyset jobs) or at an offset (ordered jobs). */
export interface Position {
  afterSysId?: string;
  offset?: number;
}

/** One page of rows as read, with the position after it. */
export interface Batch {
  rows: SnRecord[];
  next: Position;
  /** No row exists after these. */
  last: boolean;
}

const sysIdOf = (row: SnRecord): string => {
  const value = row.sys_id;
  if (typeof value === 'string' && value !== '') return value;
  throw new BadUpstreamError('ServiceNow returned a row without sys_id; cannot page by it');
};

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
export const readBatch = async (
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
