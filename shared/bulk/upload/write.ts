import { InvalidInputError, isElementError } from '../../errors';
import { forEachBounded } from '../../resilience';
import type { ServiceNowClient } from '../../servicenow';
import { assertBatchSize, type BatchItemOutcome, type BatchWrite, writeBatch } from './batch';
import type { ParsedRow } from './parse';

/** One row that was not written, for the error report (CE `GET /bulk/{id}/errors`). */
export interface RowFailure {
  rowNumber: number;
  reason: string;
  /** ServiceNow's own text (error.message/detail), verbatim. */
  providerMessage?: string;
  status?: number;
}

export interface UploadProgress {
  written: number;
  created: number;
  updated: number;
  failed: number;
}

export interface UploadResult extends UploadProgress {
  /** True when the signal aborted the upload before every row was handled. */
  cancelled: boolean;
  /** True when `pause` stopped the upload before the rows ran out (see `lastRowNumber`). */
  paused: boolean;
  /** The rowNumber of the last row taken from `rows`; every row up to it was handled. */
  lastRowNumber: number;
}

export interface UploadRowsOptions {
  client: ServiceNowClient;
  table: string;
  rows: AsyncIterable<ParsedRow>;
  /** Upsert key (e.g. `number`): update the record with that value, else create. */
  identifierField?: string;
  /**
   * Rows in flight at once. Default 4, matching the client's per-instance cap
   * (ServiceNow rate limits are per user/instance, so more parallelism only buys 429s).
   */
  concurrency?: number;
  signal?: AbortSignal;
  /**
   * Asked before each batch is taken from `rows`: true stops taking rows, while every row already
   * taken is still handled, so the upload can go on later after `lastRowNumber` without a gap or a
   * row written twice (a bulk upload split across invocations at a deadline).
   */
  pause?: () => boolean;
  /**
   * Send this many rows per Batch API request instead of one Table API request per
   * row; with identifierField, one IN lookup per batch decides POST or PATCH. Default: Table API.
   */
  batchSize?: number;
  onProgress?: (progress: UploadProgress) => void;
  /** Receives every failed row; awaited, so a streaming report applies backpressure. */
  onError: (failure: RowFailure) => void | Promise<void>;
}

export const DEFAULT_UPLOAD_CONCURRENCY = 4;
const FIELD_NAME = /^[A-Za-z0-9_]+$/;

/** Why a row cannot be written, before any request. */
class RowRefused extends Error {}

/**
 * The encoded query for an identifier lookup. `^` separates conditions and a newline ends the query,
 * so a value containing either could smuggle in extra conditions: refused per row.
 */
export const identifierQuery = (field: string, value: string): string => {
  if (value === '') throw new RowRefused(`Identifier field ${JSON.stringify(field)} is empty`);
  if (/[\^\r\n]/.test(value)) {
    throw new RowRefused(`Identifier value may not contain "^" or line breaks`);
  }
  return `${field}=${value}`;
};

/** A row the parser turned into a record. */
interface ValidRow {
  rowNumber: number;
  record: Record<string, string>;
}

/** A row of a Batch API request: a create, or an update of the record its identifier found. */
interface PlannedWrite {
  rowNumber: number;
  write: BatchWrite;
}

/** Where each row of an upsert batch goes. */
interface UpsertPlan {
  writes: PlannedWrite[];
  /** Written one by one after the batch: their value cannot go into an IN list or repeats one of it. */
  oneByOne: ValidRow[];
}

/** A row with a usable identifier value. */
interface Identified {
  row: ValidRow;
  value: string;
}

/**
 * Rows whose value cannot go into an IN list (a comma), or that repeat a value already in this batch,
 * are left for one-by-one writing after the batch, so two rows never race to create one record.
 */
const splitForLookup = (identified: Identified[]): { lookedUp: Identified[]; oneByOne: ValidRow[] } => {
  const lookedUp: Identified[] = [];
  const oneByOne: ValidRow[] = [];
  const seen = new Set<string>();
  for (const entry of identified) {
    if (entry.value.includes(',') || seen.has(entry.value)) oneByOne.push(entry.row);
    else {
      seen.add(entry.value);
      lookedUp.push(entry);
    }
  }
  return { lookedUp, oneByOne };
};

/** The failures of one batch, reported once every batch taken before it has finished. */
type BatchFailures = RowFailure[];

/** A row's identifier and its look-up query, refused when missing, empty or able to inject conditions. */
const identifierOf = (field: string, record: Record<string, string>): { value: string; query: string } => {
  const value = record[field];
  if (value === undefined) throw new RowRefused(`Identifier field ${JSON.stringify(field)} is missing`);
  return { value, query: identifierQuery(field, value) };
};

/**
 * The failure a row records for `error`. A 401 (credentials rejected even after refresh) or an error
 * that is no answer of ServiceNow's is thrown on: every other row would fail the same way.
 */
const rowFailureOf = (error: unknown, rowNumber: number): RowFailure => {
  if (error instanceof RowRefused) return { rowNumber, reason: error.message };
  if (isElementError(error) && error.status !== 401) {
    return {
      rowNumber,
      reason: error.message,
      status: error.status,
      ...(error.providerMessage === undefined ? {} : { providerMessage: error.providerMessage }),
    };
  }
  throw error;
};

/** The rows in batches of `size`, in order; a batch is taken whole. */
async function* batchesOf(rows: AsyncIterable<ParsedRow>, size: number): AsyncGenerator<ParsedRow[]> {
  let batch: ParsedRow[] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * One upload. The bounded pool takes batches from the rows (`concurrency` in flight, none taken once
 * paused or cancelled) and each batch goes through the same steps: set aside the rows the parser
 * refused, resolve upsert targets, write the batch, record each row's outcome. Each batch's failures
 * are reported once every batch taken before it has finished, so they reach `onError` in row order.
 */
class RowUpload {
  private readonly progress: UploadProgress = { written: 0, created: 0, updated: 0, failed: 0 };
  /** The last row of the batches started; every row up to it is handled once they finish. */
  private lastRowNumber = 0;
  private readonly identifierField: string | undefined;
  /** Rows per Batch API request; undefined: one Table API request per row. */
  private readonly batchSize: number | undefined;

  constructor(private readonly options: UploadRowsOptions) {
    this.identifierField = options.identifierField;
    this.batchSize = options.batchSize;
  }

  async run(): Promise<UploadResult> {
    const { signal } = this.options;
    const { stoppedBy } = await forEachBounded(
      batchesOf(this.options.rows, this.batchSize ?? 1),
      Math.max(1, Math.floor(this.options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY)),
      (batch) => this.writeTakenBatch(batch),
      {
        ...(signal === undefined ? {} : { signal }),
        until: () => this.options.pause?.() === true,
        inOrder: (failures) => this.reportFailures(failures),
      },
    );
    const cancelled = stoppedBy !== 'exhausted' && signal?.aborted === true;
    return {
      ...this.progress,
      cancelled,
      paused: stoppedBy === 'until' && !cancelled,
      lastRowNumber: this.lastRowNumber,
    };
  }

  /** Every step of one batch; returns its failures for the report. */
  private async writeTakenBatch(batch: ParsedRow[]): Promise<BatchFailures> {
    this.lastRowNumber = Math.max(this.lastRowNumber, batch.at(-1)?.rowNumber ?? 0);
    const failures: BatchFailures = [];
    const rows = this.setAsideUnparsedRows(batch, failures);
    if (this.batchSize === undefined) {
      for (const row of rows) await this.writeRow(row, failures);
    } else if (rows.length > 0) {
      await this.writeThroughBatchApi(rows, failures);
    }
    return failures;
  }

  /** Rows the parser refused fail with its reason; the others go on. */
  private setAsideUnparsedRows(batch: ParsedRow[], failures: BatchFailures): ValidRow[] {
    const rows: ValidRow[] = [];
    for (const row of batch) {
      if (row.record === undefined) {
        this.recordFailure(failures, { rowNumber: row.rowNumber, reason: row.error ?? 'Invalid record' });
      } else {
        rows.push({ rowNumber: row.rowNumber, record: row.record });
      }
    }
    return rows;
  }

  /** Table API: one request per row, after a look-up by identifier for an upsert. */
  private async writeRow(row: ValidRow, failures: BatchFailures): Promise<void> {
    try {
      this.countWritten(await this.createOrUpdate(row.record));
    } catch (error) {
      this.recordFailure(failures, rowFailureOf(error, row.rowNumber));
    }
  }

  /**
   * Without an identifier field: POST. With it: GET `<field>=<value>` (limit 2), then PATCH the single
   * match or POST when none; two matches refuse the row (ambiguous).
   */
  private async createOrUpdate(record: Record<string, string>): Promise<'created' | 'updated'> {
    const { client, table } = this.options;
    const field = this.identifierField;
    if (field === undefined) {
      await client.create(table, record);
      return 'created';
    }
    const { value, query } = identifierOf(field, record);
    const found = await client.list(table, { query, fields: ['sys_id'], limit: 2, noCount: true });
    if (found.records.length > 1) {
      throw new RowRefused(`Identifier ${field}=${value} matches more than one record`);
    }
    const sysId = found.records[0]?.sys_id;
    if (typeof sysId === 'string' && sysId !== '') {
      await client.update(table, sysId, record);
      return 'updated';
    }
    await client.create(table, record);
    return 'created';
  }

  /** Batch API: the rows as one request (an upsert resolves its targets first), then the leftovers. */
  private async writeThroughBatchApi(rows: ValidRow[], failures: BatchFailures): Promise<void> {
    const field = this.identifierField;
    let plan: UpsertPlan;
    if (field === undefined) {
      plan = {
        writes: rows.map(({ rowNumber, record }) => ({ rowNumber, write: { record } })),
        oneByOne: [],
      };
    } else {
      const identified = this.setAsideBadIdentifiers(rows, field, failures);
      try {
        plan = await this.resolveUpsertTargets(identified, field, failures);
      } catch (error) {
        for (const { row } of identified) this.recordFailure(failures, rowFailureOf(error, row.rowNumber));
        return;
      }
    }
    await this.sendBatch(plan.writes, failures);
    for (const row of plan.oneByOne) await this.writeRow(row, failures);
  }

  /** Rows without a usable identifier (missing, empty, query injection) fail before any request. */
  private setAsideBadIdentifiers(rows: ValidRow[], field: string, failures: BatchFailures): Identified[] {
    const identified: Identified[] = [];
    for (const row of rows) {
      try {
        identified.push({ row, value: identifierOf(field, row.record).value });
      } catch (error) {
        this.recordFailure(failures, rowFailureOf(error, row.rowNumber));
      }
    }
    return identified;
  }

  /**
   * ONE look-up for the batch (`<field>IN<v1>,<v2>,...`) decides PATCH or POST per row; a value
   * matching more than one record fails its row (ambiguous).
   */
  private async resolveUpsertTargets(
    identified: Identified[],
    field: string,
    failures: BatchFailures,
  ): Promise<UpsertPlan> {
    const { lookedUp, oneByOne } = splitForLookup(identified);
    if (lookedUp.length === 0) return { writes: [], oneByOne };
    const matches = await this.lookUpSysIds(lookedUp, field);
    const writes: PlannedWrite[] = [];
    for (const { row, value } of lookedUp) {
      const ids = matches.get(value) ?? [];
      if (ids.length > 1) {
        this.recordFailure(failures, {
          rowNumber: row.rowNumber,
          reason: `Identifier ${field}=${value} matches more than one record`,
        });
        continue;
      }
      writes.push({
        rowNumber: row.rowNumber,
        write: ids[0] === undefined ? { record: row.record } : { record: row.record, sysId: ids[0] },
      });
    }
    return { writes, oneByOne };
  }

  /** The sys_ids of the records holding each identifier value. */
  private async lookUpSysIds(lookedUp: Identified[], field: string): Promise<Map<string, string[]>> {
    const found = await this.options.client.list(this.options.table, {
      query: `${field}IN${lookedUp.map((entry) => entry.value).join(',')}`,
      fields: ['sys_id', field],
      limit: lookedUp.length * 2 + 1,
      noCount: true,
    });
    const matches = new Map<string, string[]>();
    for (const record of found.records) {
      const key = record[field];
      const sysId = record.sys_id;
      if (typeof key !== 'string' || typeof sysId !== 'string') continue;
      matches.set(key, [...(matches.get(key) ?? []), sysId]);
    }
    return matches;
  }

  /** One Batch API request; a request that fails as a whole fails each of its rows. */
  private async sendBatch(writes: PlannedWrite[], failures: BatchFailures): Promise<void> {
    if (writes.length === 0) return;
    let outcomes: BatchItemOutcome[];
    try {
      outcomes = await writeBatch(
        this.options.client,
        this.options.table,
        writes.map((entry) => entry.write),
      );
    } catch (error) {
      for (const entry of writes) this.recordFailure(failures, rowFailureOf(error, entry.rowNumber));
      return;
    }
    for (const [index, outcome] of outcomes.entries()) {
      const entry = writes[index];
      if (entry !== undefined) await this.recordOutcome(entry, outcome, failures);
    }
  }

  /** A written item is counted, a refused one fails its row, one the instance did not run goes alone. */
  private async recordOutcome(
    entry: PlannedWrite,
    outcome: BatchItemOutcome,
    failures: BatchFailures,
  ): Promise<void> {
    if (outcome.ok) {
      this.countWritten(entry.write.sysId === undefined ? 'created' : 'updated');
    } else if (outcome.unserviced) {
      // Not run within the instance's 30 s batch quota: sent on its own.
      await this.writeRow({ rowNumber: entry.rowNumber, record: entry.write.record }, failures);
    } else {
      this.recordFailure(failures, {
        rowNumber: entry.rowNumber,
        reason: outcome.reason,
        status: outcome.status,
        ...(outcome.providerMessage === undefined ? {} : { providerMessage: outcome.providerMessage }),
      });
    }
  }

  private countWritten(kind: 'created' | 'updated'): void {
    this.progress[kind]++;
    this.progress.written++;
    this.options.onProgress?.({ ...this.progress });
  }

  /** Counted at once (progress), reported later in row order (reportFailures). */
  private recordFailure(failures: BatchFailures, failure: RowFailure): void {
    this.progress.failed++;
    failures.push(failure);
    this.options.onProgress?.({ ...this.progress });
  }

  /** One batch's failures in row order, each awaited: a streaming report applies backpressure. */
  private reportFailures(failures: BatchFailures): Promise<void> | undefined {
    if (failures.length === 0) return undefined; // most batches: nothing to wait for
    return this.reportEach(failures.sort((a, b) => a.rowNumber - b.rowNumber));
  }

  private async reportEach(failures: BatchFailures): Promise<void> {
    for (const failure of failures) await this.options.onError(failure);
  }
}

/**
 * Writes parsed rows to a ServiceNow table through the Table API with bounded concurrency.
 *
 * - Without `identifierField`: POST per row. With it: GET `<field>=<value>` (limit 2), then PATCH
 *   the single match or POST when none; two matches fail the row (ambiguous). The look-up and the
 *   write are two requests, so a record created by someone else in between is not seen and a
 *   duplicate can appear; ServiceNow has no conditional insert on the Table API.
 *   Two rows of the same file with the same identifier race the same way when they are in flight
 *   together.
 * - 429/503 are retried by the client honouring Retry-After; a row fails only when
 *   the client gives up. 400/403/404 etc. fail the row with ServiceNow's message and the upload
 *   goes on. 401 (credentials rejected even after refresh) stops the whole upload: every other
 *   row would fail the same way.
 * - `batchSize`: N rows per Batch API request (see batch.ts), one request where the Table API needs
 *   N. Real instances still run the items one by one server-side. Upserts look the batch's
 *   identifiers up in one `IN` query first.
 * - Cancel (`signal`): no new row is started after the abort; rows already in flight finish and are
 *   counted, so nothing is written after this function returns.
 * - A file-level error of `rows` (413, broken CSV quoting, not a JSON array) fails the whole upload
 *   once the rows in flight have settled.
 */
export const uploadRows = async (options: UploadRowsOptions): Promise<UploadResult> => {
  const { identifierField } = options;
  if (identifierField !== undefined && !FIELD_NAME.test(identifierField)) {
    throw new InvalidInputError(`Invalid identifier field name ${JSON.stringify(identifierField)}`);
  }
  if (options.batchSize !== undefined) assertBatchSize(options.batchSize);
  return new RowUpload(options).run();
};
