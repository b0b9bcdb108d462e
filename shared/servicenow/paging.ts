import { BadUpstreamError, InvalidInputError } from '../errors';
import type { ServiceNowClient } from './client';
import type { ListResult, QueryValue, SnRecord } from './types';

/**
 * Paging over the Table API. `sysparm_limit` is applied BEFORE ACLs, so a page can
 * be short, or even empty, while more rows exist: never stop on a short page. Keyset paging on an
 * indexed order is also what keeps deep reads cheap (offsets cost in proportion to the offset).
 */

export const DEFAULT_PAGE_SIZE = 1000;

export interface UpdatedCursor {
  /** `sys_updated_on` of the last row read, `yyyy-MM-dd HH:mm:ss` UTC. */
  updatedOn: string;
  sysId: string;
}

export interface KeysetPage<C> {
  records: SnRecord[];
  /** Position after this page; pass it back as `after` to resume from a checkpoint. */
  cursor: C;
}

interface CommonOptions {
  pageSize?: number;
  fields?: readonly string[];
  /** Extra encoded-query filter ANDed into every group (no `^NQ`, no ORDERBY). */
  query?: string;
  displayValue?: boolean | 'all';
  extra?: Record<string, QueryValue>;
}

export interface KeysetByUpdatedOptions extends CommonOptions {
  /** Inclusive lower bound `yyyy-MM-dd HH:mm:ss` (UTC). */
  since: string;
  /** Resume after this row (from a previous page's cursor). */
  after?: UpdatedCursor;
}

export interface KeysetByIdOptions extends CommonOptions {
  afterSysId?: string;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

const assertFilter = (query: string | undefined): string => {
  const q = (query ?? '').trim().replace(/^\^+|\^+$/g, '');
  // An `^NQ` inside the filter would split our groups; an ORDERBY would fight our order.
  if (/\^NQ|(^|\^)ORDERBY/.test(q)) {
    throw new InvalidInputError('A keyset-paged query must not contain ^NQ or ORDERBY');
  }
  return q;
};

const withFields = (fields: readonly string[] | undefined, keys: readonly string[]) =>
  fields === undefined || fields.length === 0 ? undefined : [...new Set([...fields, ...keys])];

const and = (...parts: string[]) => parts.filter((p) => p !== '').join('^');

/** First page: `sys_updated_on>=B^ORDERBYsys_updated_on^ORDERBYsys_id`. */
export const updatedFirstQuery = (since: string, filter = ''): string =>
  and(`sys_updated_on>=${since}`, filter, 'ORDERBYsys_updated_on^ORDERBYsys_id');

/**
 * Next pages: rows strictly after (T, S) in (sys_updated_on, sys_id) order, as two OR-ed groups,
 * each carrying the lower bound and the filter (as singer-io/tap-servicenow does):
 * `sys_updated_on>=B^sys_updated_on>T^NQsys_updated_on>=B^sys_updated_on=T^sys_id>S^ORDERBY...`.
 */
export const updatedNextQuery = (since: string, after: UpdatedCursor, filter = ''): string =>
  `${and(`sys_updated_on>=${since}`, `sys_updated_on>${after.updatedOn}`, filter)}^NQ${and(
    `sys_updated_on>=${since}`,
    `sys_updated_on=${after.updatedOn}`,
    `sys_id>${after.sysId}`,
    filter,
  )}^ORDERBYsys_updated_on^ORDERBYsys_id`;

export const idQuery = (afterSysId: string | undefined, filter = ''): string =>
  and(afterSysId === undefined ? '' : `sys_id>${afterSysId}`, filter, 'ORDERBYsys_id');

const text = (record: SnRecord, field: string): string => {
  const value = record[field];
  if (typeof value === 'string') return value;
  // display_value=all shapes fields as {value, display_value}
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { value?: unknown }).value === 'string'
  ) {
    return (value as { value: string }).value;
  }
  throw new BadUpstreamError(`ServiceNow returned a row without ${field}; cannot page by it`);
};

const compare = (a: UpdatedCursor, b: UpdatedCursor): number =>
  a.updatedOn < b.updatedOn
    ? -1
    : a.updatedOn > b.updatedOn
      ? 1
      : a.sysId < b.sysId
        ? -1
        : a.sysId > b.sysId
          ? 1
          : 0;

const stuck = () =>
  new BadUpstreamError('ServiceNow paging did not advance (the cursor repeated); stopping to avoid a loop');

/**
 * Reads one keyset query, stepping with sysparm_offset while ServiceNow answers an EMPTY page that
 * still has a `next` link (every row of the window hidden by ACLs): the cursor cannot move without
 * a row, so the offset skips the hidden window instead of ending the scan early.
 */
const readWindow = async (
  client: ServiceNowClient,
  table: string,
  query: string,
  options: CommonOptions,
  keys: readonly string[],
): Promise<SnRecord[]> => {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  // display_value=true would turn the key fields into user-time-zone display strings (A.6, A.7),
  // which cannot be fed back into the query; 'all' keeps the raw value beside the display value.
  if (options.displayValue === true)
    throw new InvalidInputError('Keyset paging needs displayValue false or "all"');
  for (let offset = 0; ; offset += pageSize) {
    const page: ListResult = await client.list(table, {
      query,
      fields: withFields(options.fields, keys),
      limit: pageSize,
      ...(offset === 0 ? {} : { offset }),
      noCount: true,
      excludeReferenceLink: true,
      ...(options.displayValue === undefined ? {} : { displayValue: options.displayValue }),
      ...(options.extra === undefined ? {} : { extra: options.extra }),
    });
    if (page.records.length > 0 || !page.hasNext) return page.records;
  }
};

/** Incremental read ordered by (sys_updated_on, sys_id); stops only on an empty page. */
export async function* keysetByUpdated(
  client: ServiceNowClient,
  table: string,
  options: KeysetByUpdatedOptions,
): AsyncGenerator<KeysetPage<UpdatedCursor>> {
  if (!DATE_TIME.test(options.since))
    throw new InvalidInputError('since must be formatted yyyy-MM-dd HH:mm:ss');
  const filter = assertFilter(options.query);
  let cursor = options.after;
  for (;;) {
    const query =
      cursor === undefined
        ? updatedFirstQuery(options.since, filter)
        : updatedNextQuery(options.since, cursor, filter);
    const records = await readWindow(client, table, query, options, ['sys_id', 'sys_updated_on']);
    const last = records.at(-1);
    if (last === undefined) return;
    const next = { updatedOn: text(last, 'sys_updated_on'), sysId: text(last, 'sys_id') };
    if (cursor !== undefined && compare(next, cursor) <= 0) throw stuck();
    cursor = next;
    yield { records, cursor };
  }
}

/** Full scan ordered by sys_id (`sys_id>S^ORDERBYsys_id`); stops only on an empty page. */
export async function* keysetById(
  client: ServiceNowClient,
  table: string,
  options: KeysetByIdOptions = {},
): AsyncGenerator<KeysetPage<string>> {
  const filter = assertFilter(options.query);
  let cursor = options.afterSysId;
  for (;;) {
    const records = await readWindow(client, table, idQuery(cursor, filter), options, ['sys_id']);
    const last = records.at(-1);
    if (last === undefined) return;
    const next = text(last, 'sys_id');
    if (cursor !== undefined && next <= cursor) throw stuck();
    cursor = next;
    yield { records, cursor };
  }
}

export interface OffsetPageOptions {
  /** 1-based, as CE's `page` parameter. */
  page: number;
  pageSize: number;
  query?: string;
  fields?: readonly string[];
  displayValue?: boolean | 'all';
  extra?: Record<string, QueryValue>;
}

/**
 * One page for CE's `page`/`pageSize` parameters. Appends ORDERBYsys_id when the query has no
 * order, so pages are deterministic (without ORDERBY the order is unspecified).
 * `hasNext` comes from the Link header, since a short page does not mean the last page.
 */
export const offsetPage = async (
  client: ServiceNowClient,
  table: string,
  options: OffsetPageOptions,
): Promise<ListResult> => {
  if (!Number.isInteger(options.page) || options.page < 1)
    throw new InvalidInputError('page must be a positive integer');
  if (!Number.isInteger(options.pageSize) || options.pageSize < 1) {
    throw new InvalidInputError('pageSize must be a positive integer');
  }
  const base = (options.query ?? '').trim().replace(/^\^+|\^+$/g, '');
  const query = /(^|\^)ORDERBY/.test(base) ? base : and(base, 'ORDERBYsys_id');
  return client.list(table, {
    query,
    limit: options.pageSize,
    offset: (options.page - 1) * options.pageSize,
    ...(options.fields === undefined ? {} : { fields: options.fields }),
    ...(options.displayValue === undefined ? {} : { displayValue: options.displayValue }),
    ...(options.extra === undefined ? {} : { extra: options.extra }),
  });
};
