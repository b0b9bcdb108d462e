/**
 * Hub list pages bounded by bytes: real HTTP against local mode + the simulator with rows wide enough
 * that a page of pageSize rows would pass Lambda's 6 MB response limit.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LIST_PAGE_BYTES, rowsWithinBytes } from '../../shared/hub/page-bytes';
import { type HubHarness, type HubResponse, startHubHarness } from './harness';

/** 24 rows of ~300 KB: ~7 MB, so pageSize=5000 ends at least one page early. */
const ROWS = 36;
/** Quotes, backslashes and non-ASCII text: they take more bytes in the Lambda result than characters. */
const WIDE_TEXT = 'a "quoted" \\path\\ é€ 😀 '.repeat(10_000);

let h: HubHarness;
let ids: string[];

/**
 * Fixed sys_ids: the ACL fault hides rows by a hash of their sys_id, so the same rows are hidden on every
 * run (at 0.3, 11 of the 36, leaving 16 wide rows: more than one page's bytes).
 */
const sysIdOf = (i: number) => `a${i.toString(16).padStart(3, '0')}`.padEnd(32, '0');

beforeAll(async () => {
  h = await startHubHarness({ data: false });
  ids = [];
  for (let i = 0; i < ROWS; i += 1) {
    // Several rows per second, so date-time keyset pages resume inside a second too.
    h.sim.clock.set(new Date(Date.UTC(2026, 2, 1, 10, 0, Math.floor(i / 4))));
    const row = h.sim.db.insert(
      'incident',
      {
        sys_id: sysIdOf(i),
        short_description: `row ${i}`,
        description: i % 3 === 2 ? 'narrow' : `${i} ${WIDE_TEXT}`,
        priority: String((i % 4) + 1),
      },
      { userName: 'admin' },
    );
    ids.push(String(row.sys_id));
  }
}, 60_000);
afterAll(() => h?.close());
afterEach(() => h.sim.faults.clear());

/** What a body takes inside the serialized Lambda result (a JSON string: escaped, UTF-8). */
const payloadBytes = (text: string) => Buffer.byteLength(JSON.stringify(text)) - 2;

interface Walk {
  rows: Record<string, unknown>[];
  pages: HubResponse[];
}

const walk = async (query: string, resource = 'incidents'): Promise<Walk> => {
  const rows: Record<string, unknown>[] = [];
  const pages: HubResponse[] = [];
  let token: string | null = null;
  for (let i = 0; i < 100; i += 1) {
    const url = `/hubs/helpdesk/${resource}?${query}${token ? `&nextPage=${encodeURIComponent(token)}` : ''}`;
    const res = await h.hub('GET', url);
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(payloadBytes(res.text)).toBeLessThanOrEqual(MAX_LIST_PAGE_BYTES);
    const page = res.json<Record<string, unknown>[]>();
    expect(res.headers.get('elements-returned-count')).toBe(String(page.length));
    rows.push(...page);
    pages.push(res);
    token = res.headers.get('elements-next-page-token');
    if (!token) return { rows, pages };
  }
  throw new Error('paging did not end');
};

const idsOf = (rows: Record<string, unknown>[]) => rows.map((row) => String(row.id));

const expectEachOnce = (rows: string[], expected: string[]) => {
  expect(new Set(rows).size).toBe(rows.length);
  expect([...rows].sort()).toEqual([...expected].sort());
};

/** Pages that ended before pageSize rows only because of bytes fill most of the bound. */
const expectEndedAtTheBound = (pages: HubResponse[]) => {
  const early = pages.filter((page) => page.headers.has('elements-next-page-token'));
  expect(early.length).toBeGreaterThanOrEqual(1);
  for (const page of early) expect(payloadBytes(page.text)).toBeGreaterThan(MAX_LIST_PAGE_BYTES * 0.9);
};

describe('hub list pages bounded by bytes', { timeout: 120_000 }, () => {
  it('end a wide page early and resume right after it (keyset on sys_id): every row once', async () => {
    const result = await walk('pageSize=5000');
    expectEachOnce(idsOf(result.rows), ids);
    expectEndedAtTheBound(result.pages);
    // The rows are whole: nothing was cut inside a record.
    for (const row of result.rows)
      expect(row.description === 'narrow' || String(row.description).endsWith(WIDE_TEXT)).toBe(true);
  });

  it('resume in order with orderBy on a date-time field (keyset on time) and on any field (offset)', async () => {
    const timed = await walk('pageSize=5000&orderBy=sys_created_on%20desc&fields=description');
    expectEachOnce(idsOf(timed.rows), ids);
    expectEndedAtTheBound(timed.pages);
    // The same order as one narrow page of the same query.
    const reference = await h.hub(
      'GET',
      '/hubs/helpdesk/incidents?pageSize=5000&orderBy=sys_created_on%20desc&fields=short_description',
    );
    expect(idsOf(timed.rows)).toEqual(idsOf(reference.json<Record<string, unknown>[]>()));
    // The order field was only read for the cursor: still not shown.
    expect(timed.rows.every((row) => row.sys_created_on === undefined)).toBe(true);

    const byPriority = await walk('pageSize=5000&orderBy=priority');
    expectEachOnce(idsOf(byPriority.rows), ids);
    expectEndedAtTheBound(byPriority.pages);
    const priorities = byPriority.rows.map((row) => Number(row.priority));
    expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
  });

  it('keep every visible row once when ACLs hide rows inside a window that ended early', async () => {
    h.sim.faults.setAcl({ hideFraction: 0.3, tables: ['incident'] });
    const offset = await walk('pageSize=5000&orderBy=priority');
    const keyset = await walk('pageSize=5000');
    expect(offset.rows.length).toBeLessThan(ids.length);
    expectEachOnce(idsOf(offset.rows), idsOf(keyset.rows));
    expectEndedAtTheBound(offset.pages);
  });

  it('bound displayValues=all pages, whose pairs make every row wider', async () => {
    const all = await walk('pageSize=5000&displayValues=all');
    expectEachOnce(idsOf(all.rows), ids);
    expectEndedAtTheBound(all.pages);
    expect(all.rows[0]?.description).toMatchObject({ value: expect.any(String) });
  });

  it('measure a common resource after its transformation, which doubles every row here', async () => {
    const definitions = await h.platform('POST', '/organizations/objects/wideTickets/definitions', {
      fields: [
        { path: 'title', type: 'string' },
        { path: 'text', type: 'string' },
        { path: 'copy', type: 'string' },
      ],
    });
    expect(definitions.status, definitions.text).toBe(200);
    const mapped = await h.platform(
      'POST',
      '/organizations/elements/servicenow/transformations/wideTickets',
      {
        vendorName: 'incident',
        fields: [
          { path: 'title', type: 'string', vendorPath: 'short_description' },
          { path: 'text', type: 'string', vendorPath: 'description' },
          { path: 'copy', type: 'string', vendorPath: 'description' },
        ],
      },
    );
    expect(mapped.status, mapped.text).toBe(200);
    const common = await walk('pageSize=5000', 'wideTickets');
    expectEachOnce(idsOf(common.rows), ids);
    expectEndedAtTheBound(common.pages);
    // Twice the text of the vendor rows: more pages than the ~7 MB of vendor rows need.
    expect(common.pages.length).toBeGreaterThanOrEqual(3);
    expect(common.rows.every((row) => row.text === row.copy)).toBe(true);
  });

  it('answer narrow pages whole, with pageSize rows and a token', async () => {
    const res = await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=20&fields=short_description');
    expect(res.json<unknown[]>()).toHaveLength(20);
    expect(res.headers.has('elements-next-page-token')).toBe(true);
  });
});

describe('rowsWithinBytes', () => {
  it('counts the escaping and UTF-8 of the Lambda result, and always lets one row through', () => {
    const quoted = { text: '"'.repeat(100) };
    // 100 quotes are 200 bytes escaped (plus their own escaping in the result): two rows need > 400.
    expect(rowsWithinBytes([quoted, quoted], 400).count).toBe(1);
    expect(rowsWithinBytes([quoted, quoted], 1_000)).toEqual({
      count: 2,
      json: JSON.stringify([quoted, quoted]),
    });
    expect(rowsWithinBytes([{ text: 'x'.repeat(1_000) }], 10).count).toBe(1);
    const rows = Array.from({ length: 10 }, (_, index) => ({ index, text: 'é'.repeat(50) }));
    const fitting = rowsWithinBytes(rows, 600);
    expect(fitting.json).toBe(JSON.stringify(rows.slice(0, fitting.count)));
    expect(payloadBytes(fitting.json)).toBeLessThanOrEqual(600);
    expect(payloadBytes(JSON.stringify(rows.slice(0, fitting.count + 1)))).toBeGreaterThan(600);
  });
});
