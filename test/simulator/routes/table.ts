/**
 * Table API: `/api/now[/v1|/v2]/table/{table}[/{sys_id}]`.
 */
import {
  envelope,
  invalidJson,
  invalidLimit,
  invalidTable,
  methodNotSupported,
  noRecordFound,
} from '../envelopes';
import { SimDatabaseError } from '../store/errors';
import type { SimRecord, TableDef } from '../store/types';
import { empty, fail, flag, json, type RouteContext, type SimRequest, type SimResponse } from './context';
import { encodedQuery, parseDisplay, parseFields, parseLimit, parseOffset } from './params';
import type { RecordShaper, ShapeOptions } from './shape';

/** A.2: default page size. */
export const DEFAULT_TABLE_LIMIT = 10_000;

export const TABLE_PATH = /^\/api\/now(?:\/(v1|v2))?\/table\/([^/]+)(?:\/([^/]+))?\/?$/;

export async function tableRoute(
  req: SimRequest,
  ctx: RouteContext,
  shaper: RecordShaper,
  match: RegExpMatchArray,
): Promise<SimResponse> {
  const version = match[1] ?? 'v2'; // A.1: the unversioned path is the latest version.
  const tableName = decodeURIComponent(match[2] ?? '');
  const sysId = match[3] ? decodeURIComponent(match[3]) : undefined;
  const table = ctx.db.table(tableName);
  if (!table) return fail(invalidTable(tableName));
  const basePath = req.path.replace(/\/$/, '');
  const shape: ShapeOptions = {
    display: parseDisplay(req.query),
    excludeReferenceLink: flag(req.query, 'sysparm_exclude_reference_link'),
    fields: parseFields(req.query),
    cost: ctx.cost,
  };
  const method = req.method === 'HEAD' ? 'GET' : req.method;

  if (sysId === undefined) {
    if (method === 'GET') return list(req, ctx, shaper, table, version, shape);
    if (method === 'POST') return create(req, ctx, shaper, table, basePath, shape);
    return fail(methodNotSupported(req.method));
  }
  switch (method) {
    case 'GET': {
      const record = ctx.db.get(table.name, sysId);
      // A.1: 404 also when an ACL hides the row.
      if (!record || ctx.faults.hidden(table.name, sysId)) return fail(noRecordFound());
      return json(200, { result: shaper.shape(table.name, record, shape) });
    }
    case 'PUT':
    case 'PATCH': {
      if (!ctx.db.get(table.name, sysId)) return fail(noRecordFound());
      const body = parseBody(req);
      if (body === undefined) return fail(invalidJson());
      // A.1 / F: PUT behaves as a partial update, like PATCH.
      const updated = ctx.db.update(
        table.name,
        sysId,
        writable(shaper, table, body, false),
        writeContext(ctx),
      );
      if (!updated) return fail(noRecordFound());
      return written(req, 200, shaper.shape(table.name, updated, shape), {});
    }
    case 'DELETE': {
      if (!ctx.db.delete(table.name, sysId, writeContext(ctx))) return fail(noRecordFound());
      return empty(204);
    }
    default:
      return fail(methodNotSupported(req.method));
  }
}

function list(
  req: SimRequest,
  ctx: RouteContext,
  shaper: RecordShaper,
  table: TableDef,
  version: string,
  shape: ShapeOptions,
): SimResponse {
  const limit = parseLimit(req.query, DEFAULT_TABLE_LIMIT);
  if (limit === 'invalid') return fail(invalidLimit());
  const offset = parseOffset(req.query);
  const noCount = flag(req.query, 'sysparm_no_count');
  const result = ctx.db.query(table.name, {
    query: encodedQuery(req.query),
    limit,
    offset,
    strict: ctx.strictQueries,
    noCount,
    userSysId: ctx.principal.userSysId,
  });
  ctx.cost.units += result.cost;
  const pageWasFull = result.rows.length >= limit;
  let total = result.total;
  let rows: SimRecord[];
  if (table.name === 'sys_journal_field' && ctx.faults.journalDenied()) {
    // C.6: a denied sys_journal_field query answers 200 {"result":[]}, not an error.
    rows = [];
    total = noCount ? undefined : 0;
  } else {
    // A.8: the limit is applied before ACLs, so hiding rows here makes pages short while next exists.
    rows = result.rows.filter((row) => !ctx.faults.hidden(table.name, row.sys_id ?? ''));
  }
  // A.1: v1 answers 404 for a valid query without results; v2 an empty array.
  if (rows.length === 0 && version === 'v1') return fail(noRecordFound());

  const headers: Record<string, string> = {};
  if (total !== undefined) headers['x-total-count'] = String(total);
  if (!flag(req.query, 'sysparm_suppress_pagination_header')) {
    const link = linkHeader(ctx, req, limit, offset, total, pageWasFull && total !== 0);
    if (link) headers.link = link;
  }
  return json(200, { result: rows.map((row) => shaper.shape(table.name, row, shape)) }, headers);
}

/**
 * A.3: `<absolute url>;rel="first",<…>;rel="prev",<…>;rel="next",<…>;rel="last"` — no space before
 * `;rel`, every original parameter repeated with sysparm_offset/sysparm_limit rewritten. Without a count
 * (sysparm_no_count) `last` cannot be known and `next` follows a full page.
 */
export function linkHeader(
  ctx: RouteContext,
  req: SimRequest,
  limit: number,
  offset: number,
  total: number | undefined,
  pageWasFull: boolean,
): string | undefined {
  const url = (at: number): string => {
    const params = new URLSearchParams(req.query);
    params.set('sysparm_limit', String(limit));
    params.set('sysparm_offset', String(at));
    return `${ctx.baseUrl}${req.path}?${params.toString()}`;
  };
  const hasNext = total === undefined ? pageWasFull : offset + limit < total;
  const singlePage = offset === 0 && !hasNext;
  if (singlePage && !ctx.linkHeaderOnSinglePage) return undefined;
  const parts = [`<${url(0)}>;rel="first"`];
  if (offset > 0) parts.push(`<${url(Math.max(0, offset - limit))}>;rel="prev"`);
  if (hasNext) parts.push(`<${url(offset + limit)}>;rel="next"`);
  if (total !== undefined)
    parts.push(`<${url(total > 0 ? Math.floor((total - 1) / limit) * limit : 0)}>;rel="last"`);
  return parts.join(',');
}

function create(
  req: SimRequest,
  ctx: RouteContext,
  shaper: RecordShaper,
  table: TableDef,
  basePath: string,
  shape: ShapeOptions,
): SimResponse {
  const body = parseBody(req);
  if (body === undefined) return fail(invalidJson());
  let record: SimRecord;
  try {
    record = ctx.db.insert(table.name, writable(shaper, table, body, true), writeContext(ctx));
  } catch (error) {
    // A caller-chosen sys_id that is malformed or already taken: the insert is refused, nothing is written.
    if (error instanceof SimDatabaseError) return fail(envelope(400, 'Operation Failed', error.message));
    throw error;
  }
  const location = `${ctx.baseUrl}${basePath}/${record.sys_id ?? ''}`;
  return written(req, 201, shaper.shape(table.name, record, shape), { location });
}

/** A.3: `X-no-response-body: true` suppresses the body of writes. */
function written(
  req: SimRequest,
  status: number,
  result: unknown,
  headers: Record<string, string>,
): SimResponse {
  if (req.headers['x-no-response-body']?.toLowerCase() === 'true') return empty(status, headers);
  return json(status, { result }, headers);
}

/** A.1: a JSON array body -> only the first element is used. Undefined = not JSON. */
function parseBody(req: SimRequest): Record<string, unknown> | undefined {
  const text = req.body.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed)) parsed = parsed[0] ?? {};
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
}

function stringValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object' && !Array.isArray(value)) {
    // A GET result sent back: reference objects carry the sys_id in `value`.
    const inner = (value as Record<string, unknown>).value;
    return inner === undefined ? '' : stringValue(inner);
  }
  if (Array.isArray(value)) return value.map(stringValue).join(',');
  return String(value);
}

/**
 * A.5: unknown body fields are ignored, system fields are generated (only sys_id may be given on insert),
 * invalid choice values are silently dropped.
 */
function writable(
  shaper: RecordShaper,
  table: TableDef,
  body: Record<string, unknown>,
  insert: boolean,
): SimRecord {
  const defs = shaper.fieldMap(table.name);
  const values: SimRecord = {};
  for (const [name, raw] of Object.entries(body)) {
    const def = defs.get(name);
    if (!def) continue;
    if (name.startsWith('sys_') && !(insert && name === 'sys_id') && name !== 'sys_class_name') continue;
    const value = stringValue(raw);
    if (
      def.type === 'choice' &&
      def.choices?.length &&
      value !== '' &&
      !def.choices.some((c) => c.value === value)
    ) {
      continue;
    }
    values[name] = value;
  }
  return values;
}

function writeContext(ctx: RouteContext): { userName: string; userSysId?: string } {
  return ctx.principal.userSysId
    ? { userName: ctx.principal.userName, userSysId: ctx.principal.userSysId }
    : { userName: ctx.principal.userName };
}
