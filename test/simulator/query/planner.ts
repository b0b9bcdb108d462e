import { type Bound, KEY_MAX, type Row, type SortedIndex } from '../store/sortedIndex';
import type { CompiledCondition, CompiledGroup, CompiledQuery } from './compile';

/**
 * Query planner and executor with a cost model like an indexed database:
 * every index entry or candidate row the executor touches costs one unit, and each index seek costs
 * log2(size) units (a B-tree descent).
 *
 * - An ORDER BY served by an ordered index scans index ranges derived from the query and stops once
 *   offset + limit matches are found: a keyset page costs ~ the page, a deep offset ~ the offset.
 * - Otherwise every row in the chosen ranges (or hash-index candidates) is evaluated and sorted: an
 *   unindexed LIKE costs ~ the table.
 * - Counting (sysparm_no_count=false): when the ranges are exactly the query ("index-range-only"), the
 *   total comes from the index positions at seek cost; otherwise the whole range is evaluated, so asking
 *   for a count of a filtered query costs a full evaluation — as COUNT(*) would.
 * - Without ORDER BY, rows come in the order of the cheapest access path (unspecified, as on the
 *   platform), so offset paging without ORDER BY is as fragile here as on an instance.
 */

export interface PlanTarget {
  size: number;
  /** Ordered indexes; the first is the sys_id index (column 0). */
  ordered: SortedIndex[];
  /** Equality indexes by column: value -> rows. */
  hashes: ReadonlyMap<number, Map<string, Row[]>>;
}

export interface ExecuteOptions {
  limit: number;
  offset: number;
  noCount?: boolean;
  /** Reference mode for tests: full scan + filter + sort, no index use. */
  naive?: boolean;
}

export interface Execution {
  rows: Row[];
  total: number | undefined;
  cost: number;
  /** Human-readable plan, for diagnostics and tests. */
  plan: string;
}

interface Interval {
  lo: Bound;
  hi: Bound;
}

const FULL: Interval = { lo: { k1: '', k2: '', x: false }, hi: { k1: KEY_MAX, k2: KEY_MAX, x: false } };

function cmpKey(a: Bound, b: Bound): number {
  if (a.k1 !== b.k1) return a.k1 < b.k1 ? -1 : 1;
  if (a.k2 !== b.k2) return a.k2 < b.k2 ? -1 : 1;
  return 0;
}

function cmpLower(a: Bound, b: Bound): number {
  return cmpKey(a, b) || Number(a.x) - Number(b.x);
}

function cmpUpper(a: Bound, b: Bound): number {
  return cmpKey(a, b) || Number(b.x) - Number(a.x);
}

function isEmpty(iv: Interval): boolean {
  const c = cmpKey(iv.lo, iv.hi);
  return c > 0 || (c === 0 && (iv.lo.x || iv.hi.x));
}

/** Sorted, disjoint union. Touching intervals merge only when no key point falls between them. */
function union(list: Interval[]): Interval[] {
  const sorted = list.filter((iv) => !isEmpty(iv)).sort((a, b) => cmpLower(a.lo, b.lo));
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last) {
      const c = cmpKey(iv.lo, last.hi);
      if (c < 0 || (c === 0 && !(iv.lo.x && last.hi.x))) {
        if (cmpUpper(iv.hi, last.hi) > 0) last.hi = iv.hi;
        continue;
      }
    }
    out.push({ lo: iv.lo, hi: iv.hi });
  }
  return out;
}

function intersect(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of a) {
    for (const y of b) {
      const iv = {
        lo: cmpLower(x.lo, y.lo) >= 0 ? x.lo : y.lo,
        hi: cmpUpper(x.hi, y.hi) <= 0 ? x.hi : y.hi,
      };
      if (!isEmpty(iv)) out.push(iv);
    }
  }
  return union(out);
}

const lower = (k1: string, k2: string, x = false): Bound => ({ k1, k2, x });
const point = (v: string): Interval => ({ lo: lower(v, ''), hi: lower(v, KEY_MAX) });
/** Empty values never satisfy comparisons; "" sorts first, so ranges start after them. */
const AFTER_EMPTY = lower('', KEY_MAX);

interface Ranged {
  ivs: Interval[];
  exact: boolean;
}

/** Index ranges on (column, sys_id) that contain every row the condition accepts; undefined if none. */
function conditionRanges(c: CompiledCondition, column: number): Ranged | undefined {
  if (c.column !== column || (c.kind !== 'string' && c.kind !== 'datetime')) return undefined;
  const [v = '', w = ''] = c.values;
  switch (c.operator) {
    case '=':
      return { ivs: [point(v)], exact: true };
    case 'IN':
      return { ivs: union(c.values.map(point)), exact: true };
    case '>':
      return { ivs: [{ lo: lower(v, KEY_MAX), hi: FULL.hi }], exact: true };
    case '>=':
      return { ivs: [{ lo: v === '' ? AFTER_EMPTY : lower(v, ''), hi: FULL.hi }], exact: true };
    case '<':
      return { ivs: [{ lo: AFTER_EMPTY, hi: lower(v, '') }], exact: true };
    case '<=':
      return { ivs: [{ lo: AFTER_EMPTY, hi: lower(v, KEY_MAX) }], exact: true };
    case 'BETWEEN':
    case 'ON':
      return {
        ivs: [{ lo: v === '' ? AFTER_EMPTY : lower(v, ''), hi: lower(w, KEY_MAX) }],
        exact: c.kind === 'datetime' || c.operator === 'BETWEEN',
      };
    default:
      return undefined;
  }
}

/** sys_id conditions narrow a composite (column, sys_id) index once the column is pinned to one value. */
function sysIdRanges(c: CompiledCondition, t: string): Ranged | undefined {
  const [s = ''] = c.values;
  switch (c.operator) {
    case '=':
      return { ivs: [{ lo: lower(t, s), hi: lower(t, s) }], exact: true };
    case 'IN':
      return { ivs: union(c.values.map((id) => ({ lo: lower(t, id), hi: lower(t, id) }))), exact: true };
    case '>':
      return { ivs: [{ lo: lower(t, s, true), hi: lower(t, KEY_MAX) }], exact: true };
    case '>=':
      return { ivs: [{ lo: lower(t, s), hi: lower(t, KEY_MAX) }], exact: true };
    case '<':
      return { ivs: [{ lo: lower(t, ''), hi: lower(t, s, true) }], exact: true };
    case '<=':
      return { ivs: [{ lo: lower(t, ''), hi: lower(t, s) }], exact: true };
    default:
      return undefined;
  }
}

function pinned(ivs: Interval[]): string | undefined {
  const [iv] = ivs;
  if (ivs.length !== 1 || !iv) return undefined;
  const { lo, hi } = iv;
  return lo.k1 === hi.k1 && lo.k2 === '' && !lo.x && hi.k2 === KEY_MAX && !hi.x ? lo.k1 : undefined;
}

function groupRanges(group: CompiledGroup, column: number): Ranged {
  let ivs = [FULL];
  let exact = true;
  const sysIdItems: CompiledCondition[] = [];
  for (const item of group.all) {
    const only = item.any.length === 1 ? item.any[0] : undefined;
    if (column !== 0 && only && only.column === 0) {
      sysIdItems.push(only);
      continue;
    }
    const parts: Interval[] = [];
    let usable = true;
    let itemExact = true;
    for (const c of item.any) {
      const r = conditionRanges(c, column);
      if (!r) {
        usable = false;
        break;
      }
      parts.push(...r.ivs);
      itemExact &&= r.exact;
    }
    if (!usable) {
      exact = false;
      continue;
    }
    ivs = intersect(ivs, union(parts));
    exact &&= itemExact;
  }
  for (const c of sysIdItems) {
    const t = pinned(ivs);
    const r = t === undefined ? undefined : sysIdRanges(c, t);
    if (!r) {
      exact = false;
      continue;
    }
    ivs = intersect(ivs, r.ivs);
    exact &&= r.exact;
  }
  return { ivs, exact };
}

function queryRanges(query: CompiledQuery, column: number): Ranged {
  if (query.groups.length === 0) return { ivs: [FULL], exact: true };
  const all: Interval[] = [];
  let exact = true;
  for (const group of query.groups) {
    const r = groupRanges(group, column);
    all.push(...r.ivs);
    exact &&= r.exact;
  }
  return { ivs: union(all), exact };
}

/** Direction in which the index serves the ORDER BY, or undefined when it cannot. */
function orderDirection(query: CompiledQuery, column: number): 'asc' | 'desc' | undefined {
  const [first, second] = query.orderBy;
  if (!first) return 'asc';
  if (first.column !== column) return undefined;
  const dir = first.descending ? 'desc' : 'asc';
  // sys_id is unique: keys after it never matter. Ties of other columns break by sys_id in the
  // direction of the last key, which is what a (column, sys_id) index scan yields.
  if (column === 0 || query.orderBy.length === 1) return dir;
  return second?.column === 0 && second.descending === first.descending ? dir : undefined;
}

function seekCost(size: number): number {
  return Math.max(1, Math.ceil(Math.log2(size + 1)));
}

interface Candidate {
  estimate: number;
  run(): Execution;
}

/** Compares rows by the ORDER BY, then by sys_id in the direction of the last key. */
function rowComparator(query: CompiledQuery): (a: Row, b: Row) => number {
  const orders = query.orderBy;
  const last = orders[orders.length - 1];
  const tie = last?.descending ? -1 : 1;
  return (a, b) => {
    for (const o of orders) {
      const c = o.compare(a, b);
      if (c !== 0) return c;
    }
    const x = a[0] ?? '';
    const y = b[0] ?? '';
    return x === y ? 0 : x < y ? -tie : tie;
  };
}

function hashCandidates(
  target: PlanTarget,
  query: CompiledQuery,
): { rows: Set<Row>; column: number } | undefined {
  if (query.groups.length === 0) return undefined;
  const rows = new Set<Row>();
  let column = -1;
  for (const group of query.groups) {
    let best: Row[][] | undefined;
    let bestSize = Number.POSITIVE_INFINITY;
    for (const item of group.all) {
      const sets: Row[][] = [];
      let usable = item.any.length > 0;
      for (const c of item.any) {
        const hash = c.column === undefined ? undefined : target.hashes.get(c.column);
        if (
          !hash ||
          (c.operator !== '=' && c.operator !== 'IN') ||
          c.kind === 'number' ||
          c.kind === 'boolean'
        ) {
          usable = false;
          break;
        }
        for (const v of c.values) {
          if (v === '' && c.operator === '=') usable = false;
          const set = hash.get(v);
          if (set) sets.push(set);
        }
        column = c.column ?? column;
      }
      if (!usable) continue;
      const size = sets.reduce((n, s) => n + s.length, 0);
      if (size < bestSize) {
        best = sets;
        bestSize = size;
      }
    }
    if (!best) return undefined;
    for (const set of best) for (const row of set) rows.add(row);
  }
  return { rows, column };
}

export function executeQuery(target: PlanTarget, query: CompiledQuery, options: ExecuteOptions): Execution {
  const { limit, offset } = options;
  const noCount = options.noCount === true;
  if (query.none) return { rows: [], total: noCount ? undefined : 0, cost: 0, plan: 'none (strict query)' };
  const need = offset + limit;
  const candidates: Candidate[] = [];
  const seek = seekCost(target.size);

  const naive = options.naive === true;
  for (const index of naive ? target.ordered.slice(0, 1) : target.ordered) {
    const { ivs, exact } = naive ? { ivs: [FULL], exact: false } : queryRanges(query, index.column);
    const bounds = ivs.map((iv) => ({ from: index.seekLower(iv.lo), to: index.seekUpper(iv.hi) }));
    const entries = bounds.reduce((n, b) => n + Math.max(0, index.rank(b.to) - index.rank(b.from)), 0);
    const baseCost = seek * 2 * ivs.length;
    const dir = naive ? undefined : orderDirection(query, index.column);
    const name = `index(${index.column === 0 ? 'sys_id' : `col ${index.column}, sys_id`}) ${ivs.length} range(s)`;
    if (dir) {
      const stopEarly = noCount || exact;
      // Unknown selectivity of residual filters: assume one row in ten matches.
      const estimate = baseCost + (stopEarly ? Math.min(entries, exact ? need : need * 10) : entries);
      candidates.push({
        estimate,
        run() {
          const rows: Row[] = [];
          let matched = 0;
          let cost = baseCost;
          let stopped = false;
          const ordered = dir === 'desc' ? [...bounds].reverse() : bounds;
          for (const b of ordered) {
            cost += index.scan(b.from, b.to, dir === 'desc', (row) => {
              if (!exact && !query.matches(row)) return true;
              matched++;
              if (matched > offset && rows.length < limit) rows.push(row);
              if (stopEarly && matched >= need) {
                stopped = true;
                return false;
              }
              return true;
            });
            if (stopped) break;
          }
          const total = noCount ? undefined : exact ? entries : matched;
          return {
            rows,
            total,
            cost,
            plan: `${name} ordered scan ${dir}${stopEarly ? ' with early stop' : ''}`,
          };
        },
      });
    } else {
      candidates.push({
        estimate: baseCost + entries + 1,
        run() {
          const matched: Row[] = [];
          let cost = baseCost;
          for (const b of bounds) {
            cost += index.scan(b.from, b.to, false, (row) => {
              if (query.matches(row)) matched.push(row);
              return true;
            });
          }
          matched.sort(rowComparator(query));
          return {
            rows: matched.slice(offset, need),
            total: noCount ? undefined : matched.length,
            cost,
            plan: `${name} scan + sort`,
          };
        },
      });
    }
  }

  const hashed = naive ? undefined : hashCandidates(target, query);
  if (hashed) {
    candidates.push({
      estimate: hashed.rows.size + 1,
      run() {
        const matched: Row[] = [];
        for (const row of hashed.rows) if (query.matches(row)) matched.push(row);
        matched.sort(rowComparator(query));
        return {
          rows: matched.slice(offset, need),
          total: noCount ? undefined : matched.length,
          cost: hashed.rows.size + 1,
          plan: `hash(col ${hashed.column}) ${hashed.rows.size} candidate(s) + sort`,
        };
      },
    });
  }

  let best = candidates[0]!;
  for (const c of candidates) if (c.estimate < best.estimate) best = c;
  return best.run();
}
