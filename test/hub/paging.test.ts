import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HubHarness, type HubResponse, startHubHarness } from './harness';

const TIES = 460;
let h: HubHarness;
let ids: string[];
let problems: string[];

beforeAll(async () => {
  h = await startHubHarness({ data: false });
  // Every row shares one sys_updated_on second (bulk imports do this).
  h.sim.clock.set(new Date('2026-03-01T10:00:00Z'));
  h.sim.clock.freeze();
  ids = [];
  for (let i = 0; i < TIES; i += 1) {
    const row = h.sim.db.insert(
      'incident',
      {
        short_description: `tie ${i}`,
        priority: String((i % 5) + 1),
        category: i % 2 ? 'network' : 'database',
      },
      { userName: 'admin' },
    );
    ids.push(String(row.sys_id));
  }
  // Problems: 4 seconds x 30 rows, for date-time keyset paging across and within seconds.
  problems = [];
  for (let second = 0; second < 4; second += 1) {
    h.sim.clock.set(new Date(`2026-03-02T08:00:0${second}Z`));
    for (let i = 0; i < 30; i += 1) {
      const row = h.sim.db.insert(
        'problem',
        { short_description: `p ${second}/${i}` },
        { userName: 'admin' },
      );
      problems.push(String(row.sys_id));
    }
  }
  h.sim.clock.unfreeze();
});
afterAll(() => h?.close());
afterEach(() => h.sim.faults.clear());

/** The simulator's own ACL verdict for a row (exposed at runtime, not on the public FaultInjector type). */
const hiddenByAcl = (id: string): boolean =>
  (h.sim.faults as unknown as { hidden(table: string, sysId: string): boolean }).hidden('incident', id);

interface Walk {
  rows: string[];
  pages: HubResponse[];
}

/** Follows Elements-Next-Page-Token until it is absent. */
const walk = async (query: string, resource = 'incidents'): Promise<Walk> => {
  const rows: string[] = [];
  const pages: HubResponse[] = [];
  let token: string | null = null;
  for (let i = 0; i < 500; i += 1) {
    const url: string = `/hubs/helpdesk/${resource}?${query}${token ? `&nextPage=${encodeURIComponent(token)}` : ''}`;
    const res = await h.hub('GET', url);
    expect(res.status, res.text).toBe(200);
    const page = res.json<{ id: string }[]>();
    expect(res.headers.get('elements-returned-count')).toBe(String(page.length));
    rows.push(...page.map((r) => r.id));
    pages.push(res);
    token = res.headers.get('elements-next-page-token');
    if (!token) return { rows, pages };
  }
  throw new Error('paging did not end');
};

const expectEachOnce = (rows: string[], expected: string[]) => {
  expect(new Set(rows).size).toBe(rows.length);
  expect([...rows].sort()).toEqual([...expected].sort());
};

describe('hub paging', () => {
  it('nextPage (keyset on sys_id) returns every tied row exactly once, no token on the last page', async () => {
    const result = await walk('pageSize=100');
    expectEachOnce(result.rows, ids);
    expect(result.rows).toEqual([...ids].sort());
    expect(result.pages.map((p) => p.json<unknown[]>().length)).toEqual([100, 100, 100, 100, 60]);
    expect(result.pages.at(-1)?.headers.has('elements-next-page-token')).toBe(false);
    // Keyset: later pages ask ServiceNow for sys_id>X, never for a deep offset.
    const queries = h.sim.requests
      .filter((r) => r.path === '/api/now/table/incident')
      .slice(-5)
      .map((r) => r.query);
    expect(queries.every((q) => q.sysparm_offset === undefined)).toBe(true);
    expect(
      queries.slice(1).every((q) => /^sys_id>[0-9a-f]{32}\^ORDERBYsys_id$/.test(q.sysparm_query ?? '')),
    ).toBe(true);
  });

  it('nextPage with an orderBy over tied rows (time keyset or offset cursor, sys_id tie-breaker) returns each row once', async () => {
    for (const orderBy of ['sys_updated_on desc', 'priority, sys_updated_on']) {
      const result = await walk(`pageSize=70&orderBy=${encodeURIComponent(orderBy)}`);
      expectEachOnce(result.rows, ids);
      expect(result.pages).toHaveLength(7);
    }
    const sent = h.sim.requests.filter((r) => r.path === '/api/now/table/incident').at(-1);
    expect(sent?.query.sysparm_query).toBe('ORDERBYpriority^ORDERBYsys_updated_on^ORDERBYsys_id');
  });

  it('keeps paging through ACL-short pages: token present while ServiceNow has more, each visible row once', async () => {
    h.sim.faults.setAcl({ hideFraction: 0.4, tables: ['incident'] });
    const visible = ids.filter((id) => !hiddenByAcl(id));
    const keyset = await walk('pageSize=50');
    expectEachOnce(keyset.rows, visible);
    const short = keyset.pages.filter(
      (p) => p.json<unknown[]>().length < 50 && p.headers.has('elements-next-page-token'),
    );
    expect(short.length).toBeGreaterThan(0);
    const offset = await walk('pageSize=50&orderBy=number');
    expectEachOnce(offset.rows, visible);
    const timed = await walk('pageSize=50&orderBy=sys_updated_on');
    expectEachOnce(timed.rows, visible);
  });

  it('steps over windows that ACLs hide completely (empty page, next link)', async () => {
    h.sim.faults.setAcl({ hideFraction: 0.93, tables: ['incident'] });
    const visible = ids.filter((id) => !hiddenByAcl(id));
    expect(visible.length).toBeGreaterThan(5);
    const result = await walk('pageSize=5');
    expectEachOnce(result.rows, visible);
  });

  it('orderBy on sys_updated_on / sys_created_on pages by (time, sys_id) keyset, across and within seconds', async () => {
    for (const orderBy of ['sys_updated_on desc', 'sys_created_on', 'sys_updated_on asc, sys_id']) {
      const before = h.sim.requests.length;
      const result = await walk(
        `pageSize=25&orderBy=${encodeURIComponent(orderBy)}&fields=short_description`,
        'problems',
      );
      expectEachOnce(result.rows, problems);
      expect(result.pages).toHaveLength(5);
      const rows = result.pages.flatMap((p) => p.json<Record<string, string>[]>());
      // The order field is read for the cursor but not returned when `fields` left it out.
      expect(Object.keys(rows[0] ?? {}).sort()).toEqual(['id', 'short_description', 'sys_id']);
      const sent = h.sim.requests.slice(before).filter((r) => r.path === '/api/now/table/problem');
      expect(sent.every((r) => r.query.sysparm_offset === undefined)).toBe(true);
      const field = orderBy.split(' ')[0];
      const op = orderBy.includes('desc') ? '<' : '>';
      expect(sent[1]?.query.sysparm_query).toMatch(
        new RegExp(
          `^${field}\\${op}2026-03-02 08:00:0\\d\\^NQ${field}=2026-03-02 08:00:0\\d\\^sys_id>[0-9a-f]{32}\\^ORDERBY`,
        ),
      );
    }
    const ordered = await walk('pageSize=25&orderBy=sys_updated_on%20desc&fields=sys_updated_on', 'problems');
    const times = ordered.pages.flatMap((p) =>
      p.json<{ sys_updated_on: string }[]>().map((r) => r.sys_updated_on),
    );
    expect(times).toEqual([...times].sort().reverse());
    // displayValues=true turns dates into display text: offset cursor instead, still every row once.
    const display = await walk('pageSize=25&orderBy=sys_updated_on&displayValues=true', 'problems');
    expectEachOnce(display.rows, problems);
  });

  it('keyset pages stay inside every ^NQ group of a where with parentheses', async () => {
    const where = "(priority = '1' AND category = 'network') OR (priority = '2' AND category = 'database')";
    const expected = h.sim.db
      .query('incident', {
        query: 'priority=1^category=network^NQpriority=2^category=database',
        limit: 10_000,
        offset: 0,
        noCount: true,
      })
      .rows.map((r) => String(r.sys_id));
    expect(expected.length).toBeGreaterThan(40);
    const result = await walk(`pageSize=20&where=${encodeURIComponent(where)}`);
    expectEachOnce(result.rows, expected);
  });

  it('page + pageSize: page 1 and 2 at size n equal page 1 at size 2n (1-based, ORDERBYsys_id added)', async () => {
    const rows = async (q: string) => {
      const res = await h.hub('GET', `/hubs/helpdesk/incidents?${q}`);
      expect(res.status, res.text).toBe(200);
      return res.json<{ id: string }[]>().map((r) => r.id);
    };
    const [p1, p2, both] = await Promise.all([
      rows('page=1&pageSize=30'),
      rows('page=2&pageSize=30'),
      rows('page=1&pageSize=60'),
    ]);
    expect([...p1, ...p2]).toEqual(both);
    expect(await rows('page=16&pageSize=30')).toHaveLength(10);
    expect(await rows('page=17&pageSize=30')).toEqual([]);
    const byNumber = await rows('page=2&pageSize=30&orderBy=number%20desc');
    expect(byNumber).toHaveLength(30);
    // Default page size 200.
    expect(await rows('')).toHaveLength(200);
  });

  it('refuses bad page parameters with 400', async () => {
    for (const q of [
      'pageSize=5001',
      'pageSize=0',
      'pageSize=abc',
      'page=0',
      'page=-1',
      'returnTotalCount=yes',
      'displayValues=maybe',
    ]) {
      const res = await h.hub('GET', `/hubs/helpdesk/incidents?${q}`);
      expect(res.status, q).toBe(400);
    }
    expect((await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=5000')).status).toBe(200);
  });

  it('refuses tampered, foreign and replayed tokens with 400', async () => {
    const first = await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=10');
    const token = first.headers.get('elements-next-page-token') ?? '';
    expect(token).not.toBe('');
    const [payload = '', mac = ''] = token.split('.');
    const edited = Buffer.from(
      Buffer.from(payload, 'base64url').toString('utf8').replace(/"s":0/, '"s":400'),
    ).toString('base64url');
    const other = await h.provision();
    const cases: [string, string | undefined][] = [
      [`pageSize=10&nextPage=${edited}.${mac}`, undefined],
      [`pageSize=10&nextPage=${token.slice(0, -2)}xy`, undefined],
      [`pageSize=10&nextPage=garbage`, undefined],
      // Replayed on another query or table, or by another instance.
      [`pageSize=10&where=${encodeURIComponent("priority='1'")}&nextPage=${token}`, undefined],
      [`pageSize=10&orderBy=number&nextPage=${token}`, undefined],
      [`pageSize=10&nextPage=${token}`, other.token],
    ];
    for (const [q, otherToken] of cases) {
      const res = await h.hub(
        'GET',
        `/hubs/helpdesk/incidents?${q}`,
        otherToken ? { token: otherToken } : {},
      );
      expect(res.status, q).toBe(400);
      expect(res.json<{ message: string }>().message).toMatch(/nextPage/);
    }
    const onProblems = await h.hub('GET', `/hubs/helpdesk/problems?pageSize=10&nextPage=${token}`);
    expect(onProblems.status).toBe(400);
    // The genuine token still works, with another page size too.
    expect((await h.hub('GET', `/hubs/helpdesk/incidents?pageSize=25&nextPage=${token}`)).status).toBe(200);
  });

  it('returnTotalCount=true sets Elements-Total-Count on first and later pages', async () => {
    const first = await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=100&returnTotalCount=true');
    expect(first.headers.get('elements-total-count')).toBe(String(TIES));
    const token = first.headers.get('elements-next-page-token') ?? '';
    const second = await h.hub(
      'GET',
      `/hubs/helpdesk/incidents?pageSize=100&returnTotalCount=true&nextPage=${token}`,
    );
    expect(second.headers.get('elements-total-count')).toBe(String(TIES));
    const filtered = await h.hub(
      'GET',
      `/hubs/helpdesk/incidents?pageSize=10&returnTotalCount=true&where=${encodeURIComponent("category='network'")}`,
    );
    expect(filtered.headers.get('elements-total-count')).toBe(String(TIES / 2));
    const without = await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=10');
    expect(without.headers.has('elements-total-count')).toBe(false);
  });
});
