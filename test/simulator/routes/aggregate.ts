/**
 * Aggregate (Stats) API: `GET /api/now/stats/{table}`.
 * Counts and sum/avg/min/max come back as strings; group-by answers an array of groups.
 */
import { invalidTable, methodNotSupported } from '../envelopes';
import type { SimRecord } from '../store/types';
import { fail, flag, json, type RouteContext, type SimRequest, type SimResponse } from './context';
import { encodedQuery } from './params';

export const AGGREGATE_PATH = /^\/api\/now(?:\/v1)?\/stats\/([^/]+)\/?$/;

type Stats = Record<string, string | Record<string, string>>;

function list(query: URLSearchParams, name: string): string[] {
  return (query.get(name) ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
}

/** Decimal aggregates the way GlideAggregate prints them (avg with 4 decimals, C.2 example "1.2500"). */
function numbers(rows: SimRecord[], field: string): number[] {
  return rows.map((r) => Number(r[field])).filter((n) => Number.isFinite(n));
}

function stats(rows: SimRecord[], query: URLSearchParams): Stats {
  const out: Stats = {};
  if (flag(query, 'sysparm_count')) out.count = String(rows.length);
  const fns: [string, (values: number[]) => string][] = [
    ['avg', (v) => (v.length ? (v.reduce((a, b) => a + b, 0) / v.length).toFixed(4) : '')],
    ['min', (v) => (v.length ? String(Math.min(...v)) : '')],
    ['max', (v) => (v.length ? String(Math.max(...v)) : '')],
    ['sum', (v) => String(v.reduce((a, b) => a + b, 0))],
  ];
  for (const [fn, compute] of fns) {
    const fields = list(query, `sysparm_${fn}_fields`);
    if (fields.length === 0) continue;
    const values: Record<string, string> = {};
    for (const field of fields) values[field] = compute(numbers(rows, field));
    out[fn] = values;
  }
  return out;
}

export function aggregateRoute(req: SimRequest, ctx: RouteContext, match: RegExpMatchArray): SimResponse {
  if (req.method !== 'GET') return fail(methodNotSupported(req.method));
  const tableName = decodeURIComponent(match[1] ?? '');
  if (!ctx.db.table(tableName)) return fail(invalidTable(tableName));
  const query = encodedQuery(req.query);
  const groupBy = list(req.query, 'sysparm_group_by');
  const needsRows =
    groupBy.length > 0 || ['avg', 'min', 'max', 'sum'].some((fn) => req.query.has(`sysparm_${fn}_fields`));

  if (!needsRows) {
    // A count alone is a select count(*): ask for one row and read the total.
    const result = ctx.db.query(tableName, {
      query,
      limit: 1,
      offset: 0,
      strict: ctx.strictQueries,
      userSysId: ctx.principal.userSysId,
    });
    ctx.cost.units += result.cost;
    const out: Stats = flag(req.query, 'sysparm_count') ? { count: String(result.total ?? 0) } : {};
    return json(200, { result: { stats: out } });
  }

  const result = ctx.db.query(tableName, {
    query,
    limit: Math.max(1, ctx.db.size(tableName)),
    offset: 0,
    strict: ctx.strictQueries,
    noCount: true,
    userSysId: ctx.principal.userSysId,
  });
  ctx.cost.units += result.cost;
  if (groupBy.length === 0) return json(200, { result: { stats: stats(result.rows, req.query) } });

  const groups = new Map<string, SimRecord[]>();
  for (const row of result.rows) {
    const key = JSON.stringify(groupBy.map((f) => row[f] ?? ''));
    const bucket = groups.get(key);
    if (bucket) bucket.push(row);
    else groups.set(key, [row]);
  }
  const out = [...groups.entries()].map(([key, rows]) => {
    const values = JSON.parse(key) as string[];
    return {
      stats: stats(rows, req.query),
      groupby_fields: groupBy.map((field, i) => ({ value: values[i] ?? '', field })),
    };
  });
  return json(200, { result: out });
}
