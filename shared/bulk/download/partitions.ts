import { InvalidInputError } from '../../errors';
import type { ServiceNowClient, SnRecord } from '../../servicenow';
import { columnsFor, writePage } from './format';
import { keysetQuery, type SysIdRange } from './query';
import type { DownloadJob } from './types';

/** The most parallel streams a download may ask for (S3's 10,000 parts are shared among them). */
export const MAX_DOWNLOAD_PARTITIONS = 16;

/** Rows read to estimate a row's size in the file (and, for CSV without a field list, the columns). */
const SAMPLE_ROWS = 200;

export interface PartitionPlan {
  /** sys_id ranges, in order; one range without bounds means: read as one stream. */
  ranges: SysIdRange[];
  /** The file's columns, fixed for every stream (they write in parallel). */
  columns?: string[];
}

export interface PlanPartitionsOptions {
  client: ServiceNowClient;
  job: DownloadJob;
  requested: number;
  /** Rows the filter matches (Aggregate API). */
  total: number;
  /**
   * Every stream but the last must write at least this many bytes (S3's least part size): a partition
   * gets at least twice as many rows as that takes, so a few rows deleted while the job runs cannot
   * shrink it under.
   */
  minStreamBytes: number;
  mapRows?: (rows: SnRecord[]) => Promise<SnRecord[]>;
}

/**
 * Splits a keyset download into up to `requested` streams of about equal row counts. Even splits of the
 * id space would fit random GUIDs but not tables whose ids share a prefix, so the bounds are the sys_ids
 * found at offsets `k * total / n` of the filter in sys_id order: n - 1 one-row reads.
 * Fewer streams when the rows would make streams smaller than `minStreamBytes`.
 */
export async function planPartitions(options: PlanPartitionsOptions): Promise<PartitionPlan> {
  const { client, job, requested, total } = options;
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_DOWNLOAD_PARTITIONS) {
    throw new InvalidInputError(`partitions must be an integer from 1 to ${MAX_DOWNLOAD_PARTITIONS}`);
  }
  const query = keysetQuery(job.encodedQuery, undefined);
  const fields = job.readFields ?? job.fields;
  const sample = await client.list(job.table, {
    query,
    ...(fields === undefined || fields.length === 0 ? {} : { fields: [...new Set([...fields, 'sys_id'])] }),
    limit: SAMPLE_ROWS,
    noCount: true,
    excludeReferenceLink: true,
  });
  if (sample.records.length === 0) return { ranges: [{}] };
  const mapped = options.mapRows === undefined ? sample.records : await options.mapRows(sample.records);
  const columns = columnsFor(job.fields, mapped);
  let bytes = 0;
  writePage({ write: (text) => (bytes += Buffer.byteLength(text)) }, job.format, mapped, {
    columns,
    fields: job.fields,
    first: false,
  });
  const minRows = Math.ceil((2 * options.minStreamBytes) / Math.max(1, bytes / mapped.length));
  const count = Math.min(requested, Math.floor(total / minRows));
  if (count <= 1) return { ranges: [{}], columns };
  const bounds: string[] = [];
  for (let k = 1; k < count; k++) {
    const page = await client.list(job.table, {
      query,
      fields: ['sys_id'],
      limit: 1,
      offset: Math.floor((k * total) / count),
      noCount: true,
      excludeReferenceLink: true,
    });
    const id = page.records[0]?.sys_id;
    // Rows deleted since the count can leave an offset past the end: fewer streams then.
    if (typeof id !== 'string' || id === '') break;
    if (bounds.length === 0 || id > (bounds.at(-1) as string)) bounds.push(id);
  }
  const ranges: SysIdRange[] = [];
  for (let i = 0; i <= bounds.length; i++) {
    const from = bounds[i - 1];
    const to = bounds[i];
    ranges.push({ ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
  }
  return { ranges, columns };
}
