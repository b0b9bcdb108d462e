import { type OrderTerm, orderTermsToEncoded, parseOrderBy, parseWhere, toEncodedQuery } from '../../ceql';
import { BadUpstreamError } from '../../errors';
import type { ResolvedResource } from '../../resources';
import type { ListResult, SnRecord, TableParams } from '../../servicenow';
import { NEXT_PAGE_TOKEN_HEADER, RETURNED_COUNT_HEADER, TOTAL_COUNT_HEADER } from '../headers';
import { rowsWithinBytes } from '../page-bytes';
import {
  invalidPageToken,
  type PageCursor,
  type PageTokenScope,
  signPageToken,
  verifyPageToken,
} from '../page-token';
import { catalogFor, checkedFields, fieldsOf, tableMetadata } from './catalog';
import type { RecordsMapping } from './common';
import type { RecordsContext, RecordsResponse } from './context';
import { and, andEveryGroup } from './encoded';
import type { ListParams } from './list-params';
import { sysIdOf, toHubRecords } from './shape';

/**
 * Windows read in one call when every row of a keyset window is hidden by ACLs (empty page with a `next`
 * link): after this many the page is answered empty WITH a token, so one call stays well inside the
 * API Gateway time limit and the caller resumes where it stopped.
 */
const MAX_EMPTY_WINDOWS = 5;

interface Plan {
  table: string;
  /** Filter (where AND resource filter), without order. */
  filter: string;
  /** ORDERBY terms, always ending in sys_id so ties never reorder between pages. */
  order: string;
  /**
   * How a next page resumes: `id` when the order is sys_id alone (`sys_id>X`), `time` for one date-time
   * system field then sys_id (`F>v ^NQ F=v^sys_id>X`), `offset` for any other order.
   */
  mode: 'id' | 'time' | 'offset';
  /** The date-time order field in `time` mode. */
  timeField?: { name: string; descending: boolean; requested: boolean };
  fields: string[] | undefined;
  scope: PageTokenScope;
}

const plan = async (
  ctx: RecordsContext,
  resource: ResolvedResource,
  params: ListParams,
  mapping: RecordsMapping | undefined,
): Promise<Plan> => {
  const metadata = await tableMetadata(ctx, resource.table);
  // Parse first (syntax errors are 400 without any ServiceNow call), then load the tables dot-walked
  // names pass through, then translate with every name checked. A common resource's
  // names are mapped to ServiceNow's first (shared/transformations/ceql.ts).
  const parsedWhere = params.where === undefined ? undefined : parseWhere(params.where);
  const where = parsedWhere !== undefined && mapping ? mapping.where(parsedWhere) : parsedWhere;
  const parsedTerms = params.orderBy === undefined ? [] : parseOrderBy(params.orderBy);
  const terms = mapping ? mapping.orderBy(parsedTerms) : parsedTerms;
  const requestedFields =
    mapping && params.fields !== undefined ? mapping.fields(params.fields) : params.fields;
  const names = [...fieldsOf(where), ...terms.map((t) => t.field), ...(requestedFields ?? [])];
  const catalog = await catalogFor(ctx, metadata, names);
  const whereQuery = toEncodedQuery(where, { fields: catalog });
  const ordered = orderTermsToEncoded(terms, catalog);
  const last = terms.at(-1);
  const order = last?.field === 'sys_id' ? ordered : and(ordered, 'ORDERBYsys_id');
  const first = terms[0];
  const bySysId = (t: OrderTerm | undefined) => t?.field === 'sys_id' && !t.descending;
  // Time keyset only on raw values: displayValues=true turns dates into user-time-zone text (A.7).
  const timed =
    first !== undefined &&
    TIME_FIELDS.has(first.field) &&
    params.displayValues !== true &&
    (terms.length === 1 || (terms.length === 2 && bySysId(terms[1])));
  const mode =
    terms.length === 0 || (terms.length === 1 && bySysId(first)) ? 'id' : timed ? 'time' : 'offset';
  const filter = andEveryGroup(whereQuery, resource.filter);
  let fields = checkedFields(requestedFields, catalog);
  let timeField: Plan['timeField'];
  if (mode === 'time' && first !== undefined) {
    const requested = fields === undefined || fields.includes(first.field);
    // The cursor needs the last row's value; it is read even when `fields` left it out.
    if (fields !== undefined && !requested) fields = [...fields, first.field];
    timeField = { name: first.field, descending: first.descending, requested };
  }
  return {
    table: resource.table,
    filter,
    order,
    mode,
    ...(timeField === undefined ? {} : { timeField }),
    fields,
    scope: { instanceId: ctx.instanceId, table: resource.table, query: `${mode}|${filter}|${order}` },
  };
};

/** Date-time system fields every row has (never empty), so `F>v` / `F=v` see every row. */
const TIME_FIELDS = new Set(['sys_updated_on', 'sys_created_on']);

const firstCursor = (p: Plan, params: ListParams): PageCursor => {
  const offset = (params.page - 1) * params.pageSize;
  return p.mode === 'offset' ? { kind: 'offset', offset } : { kind: 'keyset', skip: offset };
};

const rawText = (record: SnRecord, field: string): string => {
  const value = record[field];
  if (typeof value === 'string') return value;
  const inner =
    typeof value === 'object' && value !== null ? (value as { value?: unknown }).value : undefined;
  if (typeof inner === 'string') return inner;
  throw new BadUpstreamError(`ServiceNow returned a row without ${field}; cannot page by it`);
};

/** The rows after (value, sys_id) in `time` mode, inside every group of the filter. */
const afterTime = (p: Plan, value: string, after: string): string => {
  const field = p.timeField?.name ?? 'sys_updated_on';
  const beyond = `${field}${p.timeField?.descending ? '<' : '>'}${value}`;
  return `${andEveryGroup(p.filter, beyond)}^NQ${andEveryGroup(p.filter, `${field}=${value}^sys_id>${after}`)}`;
};

const resumeQuery = (p: Plan, cursor: PageCursor & { kind: 'keyset' }): string => {
  if (cursor.after === undefined) return p.filter;
  if (cursor.value !== undefined) return afterTime(p, cursor.value, cursor.after);
  return andEveryGroup(p.filter, `sys_id>${cursor.after}`);
};

const nextAfter = (p: Plan, last: SnRecord): PageCursor => {
  const after = sysIdOf(last);
  if (p.mode !== 'time' || p.timeField === undefined) return { kind: 'keyset', after, skip: 0 };
  const value = rawText(last, p.timeField.name);
  if (!DATE_TIME.test(value)) {
    throw new BadUpstreamError(`ServiceNow returned ${p.timeField.name} in an unexpected format`);
  }
  return { kind: 'keyset', after, value, skip: 0 };
};

const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

const readPage = async (
  ctx: RecordsContext,
  p: Plan,
  params: ListParams,
  cursor: PageCursor,
): Promise<{ page: ListResult; next: PageCursor | undefined }> => {
  const base: TableParams = {
    limit: params.pageSize,
    excludeReferenceLink: true,
    ...(p.fields === undefined ? {} : { fields: p.fields }),
    ...(params.displayValues === undefined ? {} : { displayValue: params.displayValues }),
  };
  if (cursor.kind === 'offset') {
    const window = await ctx.client.list(p.table, {
      ...base,
      query: and(p.filter, p.order),
      ...(cursor.offset === 0 ? {} : { offset: cursor.offset }),
    });
    const page = cursor.drop ? { ...window, records: window.records.slice(cursor.drop) } : window;
    // The limit applies before ACLs: the next page starts a full window further on,
    // however few rows this one showed.
    return {
      page,
      next: page.hasNext ? { kind: 'offset', offset: cursor.offset + params.pageSize } : undefined,
    };
  }
  const query = and(resumeQuery(p, cursor), p.order);
  let skip = cursor.skip;
  for (let windows = 1; ; windows += 1) {
    const page = await ctx.client.list(p.table, { ...base, query, ...(skip === 0 ? {} : { offset: skip }) });
    const last = page.records.at(-1);
    if (!page.hasNext) return { page, next: undefined };
    // Resume after the last row shown; hidden rows before it stay hidden, those after it are read again.
    if (last !== undefined) return { page, next: nextAfter(p, last) };
    // A whole window hidden by ACLs: no row to resume after, so step over the window.
    skip += params.pageSize;
    const next: PageCursor = { ...cursor, skip };
    if (windows >= MAX_EMPTY_WINDOWS) return { page, next };
  }
};

/**
 * `GET /{objectName}`:
 * - `where` (CEQL) and `orderBy` translated with every field checked against the table's metadata;
 * - pages: `page` (1-based offsets) or `nextPage` (opaque token). Without orderBy (or `orderBy=sys_id`)
 *   tokens are keyset cursors (`sys_id>X^ORDERBYsys_id`: cheap at any depth, immune to inserts); an
 *   order on sys_updated_on/sys_created_on resumes on (time, sys_id); any other order gets
 *   ORDERBYsys_id appended as a tie-breaker and an offset cursor;
 * - a short page never ends the walk: the token is present whenever ServiceNow's Link says `next`
 *   (ACLs hide rows after the limit is applied), and absent on the last page;
 * - a page is bounded by bytes as well as rows: rows past MAX_LIST_PAGE_BYTES of serialized response
 *   (shared/hub/page-bytes.ts) are left for the next page, whose token resumes right after the last row
 *   sent, so a page never exceeds Lambda's 6 MB response limit;
 * - `returnTotalCount=true` -> Elements-Total-Count: X-Total-Count of an unbounded query, else the
 *   Aggregate API count of the filter (both count rows before ACLs, as ServiceNow does).
 */
export const listRecords = async (
  ctx: RecordsContext,
  resource: ResolvedResource,
  params: ListParams,
  mapping?: RecordsMapping,
): Promise<RecordsResponse> => {
  const p = await plan(ctx, resource, params, mapping);
  const cursor =
    params.nextPage === undefined
      ? firstCursor(p, params)
      : verifyPageToken(ctx.pageTokenKey(), p.scope, params.nextPage);
  // The scope names the mode, so only a token minted with the element token can get here.
  if ((cursor.kind === 'keyset') === (p.mode === 'offset')) throw invalidPageToken();
  if (
    cursor.kind === 'keyset' &&
    (cursor.value !== undefined) !== (p.mode === 'time' && cursor.after !== undefined)
  )
    throw invalidPageToken();
  const { page, next } = await readPage(ctx, p, params, cursor);
  const totalHeader: Record<string, string> = {};
  if (params.returnTotalCount) {
    const unbounded = cursor.kind === 'offset' || cursor.after === undefined;
    const total =
      unbounded && page.totalCount !== undefined
        ? page.totalCount
        : await ctx.client.count(p.table, p.filter);
    totalHeader[TOTAL_COUNT_HEADER] = String(total);
  }
  const hidden = p.timeField !== undefined && !p.timeField.requested ? p.timeField.name : undefined;
  // The cursor after a row needs its order value, which the caller did not ask to see.
  const hiddenValues = hidden === undefined ? undefined : page.records.map((record) => record[hidden]);
  if (hidden !== undefined) for (const record of page.records) record[hidden] = undefined;
  const rows = toHubRecords(page.records, ctx.filterNulls);
  const mapped = mapping ? await mapping.read(rows, params.fields) : rows;
  // Measured on what is sent (after any transformation): a page past the byte bound ends early.
  const fitting = rowsWithinBytes(mapped);
  const body = fitting.count < mapped.length ? mapped.slice(0, fitting.count) : mapped;
  const resume =
    fitting.count < mapped.length
      ? cursorAfterRow(p, cursor, page.records, fitting.count - 1, hidden, hiddenValues)
      : next;
  const headers: Record<string, string> = { [RETURNED_COUNT_HEADER]: String(body.length), ...totalHeader };
  if (resume !== undefined)
    headers[NEXT_PAGE_TOKEN_HEADER] = signPageToken(ctx.pageTokenKey(), p.scope, resume);
  return { status: 200, body, headers, json: fitting.json };
};

/**
 * Where the next page starts when this one ends at row `index` of `records` (the byte bound): keyset
 * cursors resume after that row, offset cursors read the same window again and leave out the rows
 * already returned.
 */
const cursorAfterRow = (
  p: Plan,
  cursor: PageCursor,
  records: readonly SnRecord[],
  index: number,
  hidden: string | undefined,
  hiddenValues: readonly unknown[] | undefined,
): PageCursor => {
  if (cursor.kind === 'offset') return { ...cursor, drop: (cursor.drop ?? 0) + index + 1 };
  const row = records[index] as SnRecord;
  return nextAfter(p, hidden === undefined ? row : { ...row, [hidden]: hiddenValues?.[index] });
};
