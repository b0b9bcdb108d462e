import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedData } from '../data/generator';
import { createClock } from '../store/clock';
import { createDatabase } from '../store/database';
import type { SimDatabaseStore, SimRecord } from '../store/types';

/**
 * The simulator is the yardstick of the benchmarks, so its cost model is specified here: an ordered
 * keyset read costs ~ the page, a deep offset ~ the offset, an unindexed LIKE ~ the table.
 * Assertions are on QueryResult.cost (work units), never on wall time.
 */

let db: SimDatabaseStore;
const ROWS = 20_000;
const PAGE = 100;

beforeAll(() => {
  const clock = createClock(new Date('2026-01-01T00:00:00Z'));
  clock.freeze();
  db = createDatabase({ clock });
  seedData(db, { seed: 7, incidents: ROWS, problems: 10, changes: 10, users: 50, groups: 5, companies: 3 });
});

function keysetPage(after: SimRecord | undefined, from = '2000-01-01 00:00:00') {
  const base = `sys_updated_on>=${from}`;
  const query = after
    ? `${base}^sys_updated_on>${after.sys_updated_on}^NQ${base}^sys_updated_on=${after.sys_updated_on}^sys_id>${after.sys_id}^ORDERBYsys_updated_on^ORDERBYsys_id`
    : `${base}^ORDERBYsys_updated_on^ORDERBYsys_id`;
  return db.query('incident', { query, limit: PAGE, offset: 0, noCount: true });
}

describe('cost model', () => {
  it('generates timestamp ties, so keyset paging is tested against real ties', () => {
    const seconds = new Set(
      db
        .query('incident', { query: 'ORDERBYsys_id', limit: ROWS, offset: 0, noCount: true })
        .rows.map((r) => r.sys_created_on),
    );
    expect(seconds.size).toBeLessThan(ROWS / 2);
  });

  it('charges a (sys_updated_on, sys_id) keyset page about the page size, wherever the page is', () => {
    const costs: number[] = [];
    let last: SimRecord | undefined;
    let seen = 0;
    for (let page = 0; page < 60; page++) {
      const result = keysetPage(last);
      if (page % 20 === 0 || page === 59) costs.push(result.cost);
      last = result.rows[result.rows.length - 1];
      seen += result.rows.length;
    }
    expect(seen).toBe(60 * PAGE);
    for (const cost of costs) {
      expect(cost).toBeGreaterThanOrEqual(PAGE);
      expect(cost).toBeLessThan(PAGE * 1.5);
    }
  });

  it('charges a sys_id keyset page about the page size, even deep in the table', () => {
    const all = db.query('incident', { query: 'ORDERBYsys_id', limit: ROWS, offset: 0, noCount: true }).rows;
    const deep = all[ROWS - 500]!.sys_id;
    const result = db.query('incident', {
      query: `sys_id>${deep}^ORDERBYsys_id`,
      limit: PAGE,
      offset: 0,
      noCount: true,
    });
    expect(result.rows[0]?.sys_id).toBe(all[ROWS - 499]!.sys_id);
    expect(result.cost).toBeLessThan(PAGE * 1.5);
  });

  it('charges a deep sysparm_offset in proportion to the offset', () => {
    const cost = (offset: number) =>
      db.query('incident', { query: 'ORDERBYsys_id', limit: PAGE, offset, noCount: true }).cost;
    const shallow = cost(0);
    const middle = cost(5_000);
    const deep = cost(15_000);
    expect(shallow).toBeLessThan(PAGE * 1.5);
    expect(middle).toBeGreaterThanOrEqual(5_000);
    expect(deep).toBeGreaterThanOrEqual(15_000);
    expect(deep).toBeGreaterThan(middle * 2.5);
  });

  it('charges an unindexed LIKE (with a count) about the whole table', () => {
    const result = db.query('incident', {
      query: 'short_descriptionLIKEvpn^ORDERBYsys_id',
      limit: PAGE,
      offset: 0,
    });
    expect(result.total).toBeGreaterThan(0);
    expect(result.cost).toBeGreaterThanOrEqual(ROWS);
    const rare = db.query('incident', {
      query: 'short_descriptionLIKEno such text',
      limit: PAGE,
      offset: 0,
      noCount: true,
    });
    expect(rare.rows).toEqual([]);
    expect(rare.cost).toBeGreaterThanOrEqual(ROWS);
  });

  it('counts index-range-only queries from index positions, and filtered queries by evaluating them', () => {
    const range = db.query('incident', { query: 'sys_created_on>=2025-06-01 00:00:00', limit: 1, offset: 0 });
    const filtered = db.query('incident', {
      query: 'sys_created_on>=2025-06-01 00:00:00^active=true',
      limit: 1,
      offset: 0,
    });
    expect(range.total).toBeGreaterThan(1000);
    expect(range.cost).toBeLessThan(100);
    expect(filtered.total).toBeLessThan(range.total!);
    expect(filtered.cost).toBeGreaterThanOrEqual(range.total!);
  });

  it('finds a record by number through the hash index', () => {
    const result = db.query('incident', { query: 'number=INC0015000', limit: 1, offset: 0 });
    expect(result.rows[0]?.number).toBe('INC0015000');
    expect(result.cost).toBeLessThan(10);
  });

  it('returns every row exactly once when keyset paging over ties, whatever the page size (property)', () => {
    const small = createDatabase({ clock: db.clock });
    seedData(small, { seed: 3, incidents: 600, problems: 0, changes: 0, users: 5, groups: 1, companies: 1 });
    const everyId = new Set(
      small.query('incident', { limit: 1000, offset: 0, noCount: true }).rows.map((r) => r.sys_id),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.boolean(), (limit, descending) => {
        const dir = descending ? 'ORDERBYDESC' : 'ORDERBY';
        const cmp = descending ? '<' : '>';
        const seen: string[] = [];
        let last: SimRecord | undefined;
        for (let guard = 0; guard < 1000; guard++) {
          const query = last
            ? `sys_updated_on${cmp}${last.sys_updated_on}^NQsys_updated_on=${last.sys_updated_on}^sys_id${cmp}${last.sys_id}^${dir}sys_updated_on^${dir}sys_id`
            : `${dir}sys_updated_on^${dir}sys_id`;
          const page = small.query('incident', { query, limit, offset: 0, noCount: true });
          if (page.rows.length === 0) break;
          expect(page.cost).toBeLessThanOrEqual(limit + 64);
          for (const row of page.rows) seen.push(row.sys_id!);
          last = page.rows[page.rows.length - 1];
        }
        expect(seen.length).toBe(everyId.size);
        expect(new Set(seen)).toEqual(everyId);
      }),
      { numRuns: 25 },
    );
  });
});
