import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedData } from '../data/generator';
import { createClock } from '../store/clock';
import { createDatabase } from '../store/database';
import type { SimDatabaseStore } from '../store/types';

/**
 * The planner may use any index, range or early stop, but must return exactly what a full scan +
 * filter + sort returns. Same seed and clock give both databases identical rows.
 */
let indexed: SimDatabaseStore;
let naive: SimDatabaseStore;
let stamps: string[];
let ids: string[];

beforeAll(() => {
  const clock = createClock(new Date('2026-01-01T00:00:00Z'));
  clock.freeze();
  indexed = createDatabase({ clock });
  naive = createDatabase({ clock, planner: 'naive' });
  const sizes = {
    seed: 11,
    incidents: 400,
    problems: 20,
    changes: 20,
    users: 10,
    groups: 3,
    companies: 2,
    spanDays: 3,
  };
  seedData(indexed, sizes);
  seedData(naive, sizes);
  const rows = indexed.query('incident', { query: 'ORDERBYsys_id', limit: 1000, offset: 0 }).rows;
  stamps = [...new Set(rows.flatMap((r) => [r.sys_updated_on!, r.sys_created_on!]))];
  ids = rows.map((r) => r.sys_id!);
});

const field = fc.constantFrom(
  'sys_updated_on',
  'sys_created_on',
  'sys_id',
  'state',
  'number',
  'priority',
  'active',
);
const op = fc.constantFrom('=', '!=', '>', '>=', '<', '<=', 'IN', 'BETWEEN', 'STARTSWITH', 'ISEMPTY');

function valueFor(f: string, pick: number): string {
  if (f === 'sys_updated_on' || f === 'sys_created_on') return stamps[pick % stamps.length]!;
  if (f === 'sys_id') return ids[pick % ids.length]!;
  if (f === 'state') return String([1, 2, 3, 6, 7, 8][pick % 6]);
  if (f === 'number') return `INC00${10001 + (pick % 400)}`;
  if (f === 'priority') return String(1 + (pick % 5));
  return pick % 2 ? 'true' : 'false';
}

const condition = fc.tuple(field, op, fc.nat(), fc.nat()).map(([f, o, a, b]) => {
  if (o === 'ISEMPTY') return `${f}ISEMPTY`;
  if (o === 'IN') return `${f}IN${valueFor(f, a)},${valueFor(f, b)}`;
  if (o === 'BETWEEN') {
    const [x, y] = [valueFor(f, a), valueFor(f, b)].sort();
    return `${f}BETWEEN${x}@${y}`;
  }
  return `${f}${o}${valueFor(f, a)}`;
});

const item = fc.array(condition, { minLength: 1, maxLength: 2 }).map((cs) => cs.join('^OR'));
const group = fc.array(item, { minLength: 1, maxLength: 3 }).map((is) => is.join('^'));
const order = fc.array(
  fc.tuple(fc.constantFrom('sys_updated_on', 'sys_created_on', 'sys_id', 'number', 'priority'), fc.boolean()),
  { maxLength: 2 },
);
const query = fc
  .tuple(fc.array(group, { maxLength: 3 }), order)
  .map(([gs, os]) =>
    [gs.join('^NQ'), ...os.map(([f, d]) => `${d ? 'ORDERBYDESC' : 'ORDERBY'}${f}`)].filter(Boolean).join('^'),
  );

describe('query planner', () => {
  it('returns the same rows and totals as a full scan (property)', () => {
    fc.assert(
      fc.property(
        query,
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 60 }),
        fc.boolean(),
        (q, limit, offset, noCount) => {
          const options = { query: q, limit, offset, noCount };
          const got = indexed.query('incident', options);
          const want = naive.query('incident', options);
          const label = `${q} (${got.plan})`;
          if (q.includes('ORDERBY')) {
            expect(
              got.rows.map((r) => r.sys_id),
              label,
            ).toEqual(want.rows.map((r) => r.sys_id));
          } else {
            // Without ORDER BY the order is the chosen index's (unspecified): same count, all matching.
            const matching = new Set(
              naive.query('incident', { query: q, limit: 1000, offset: 0 }).rows.map((r) => r.sys_id),
            );
            expect(got.rows.length, label).toBe(want.rows.length);
            for (const row of got.rows) expect(matching.has(row.sys_id), label).toBe(true);
          }
          expect(got.total).toBe(want.total);
          expect(got.cost).toBeLessThanOrEqual(want.cost + 64);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('serves the A.8 keyset query from the (sys_updated_on, sys_id) index with an early stop', () => {
    const r = indexed.query('incident', {
      query: `sys_updated_on>=${stamps[0]}^sys_updated_on>${stamps[1]}^NQsys_updated_on>=${stamps[0]}^sys_updated_on=${stamps[1]}^sys_id>${ids[0]}^ORDERBYsys_updated_on^ORDERBYsys_id`,
      limit: 10,
      offset: 0,
      noCount: true,
    });
    expect(r.plan).toMatch(/ordered scan asc with early stop/);
  });
});
