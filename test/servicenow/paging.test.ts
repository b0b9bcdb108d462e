import { afterEach, describe, expect, it } from 'vitest';
import {
  idQuery,
  keysetById,
  keysetByUpdated,
  offsetPage,
  updatedFirstQuery,
  updatedNextQuery,
} from '../../shared/servicenow';
import type { SeenRequest } from './helpers/fake-server';
import { clientFor, json, startFakeServer } from './helpers/fake-server';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Serves scripted pages in order and records the query parameters of each request. */
const scripted = async (pages: { result: unknown[]; link?: string }[]) => {
  const queries: URLSearchParams[] = [];
  const server = await startFakeServer((req: SeenRequest, res) => {
    queries.push(new URL(req.url, 'http://x').searchParams);
    const page = pages.shift() ?? { result: [] };
    json(res, 200, { result: page.result }, page.link ? { link: page.link } : {});
  });
  const client = clientFor(server.url);
  cleanups.push(server.close, () => client.agent.close());
  return { client, queries };
};

const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
};

describe('paging query shapes', () => {
  it('builds the first and next keyset queries with the filter in both groups', () => {
    expect(updatedFirstQuery('2024-01-01 00:00:00')).toBe(
      'sys_updated_on>=2024-01-01 00:00:00^ORDERBYsys_updated_on^ORDERBYsys_id',
    );
    expect(updatedFirstQuery('2024-01-01 00:00:00', 'active=true')).toBe(
      'sys_updated_on>=2024-01-01 00:00:00^active=true^ORDERBYsys_updated_on^ORDERBYsys_id',
    );
    expect(
      updatedNextQuery(
        '2024-01-01 00:00:00',
        { updatedOn: '2024-02-02 10:00:00', sysId: 'abc' },
        'active=true',
      ),
    ).toBe(
      'sys_updated_on>=2024-01-01 00:00:00^sys_updated_on>2024-02-02 10:00:00^active=true' +
        '^NQsys_updated_on>=2024-01-01 00:00:00^sys_updated_on=2024-02-02 10:00:00^sys_id>abc^active=true' +
        '^ORDERBYsys_updated_on^ORDERBYsys_id',
    );
    expect(idQuery(undefined)).toBe('ORDERBYsys_id');
    expect(idQuery('abc', 'active=true')).toBe('sys_id>abc^active=true^ORDERBYsys_id');
  });
});

describe('keyset paging', () => {
  it('sends no-count and no reference links, adds the key fields, and stops only on an empty page', async () => {
    const { client, queries } = await scripted([
      { result: [{ sys_id: 'a', sys_updated_on: '2024-01-01 00:00:01' }] }, // short page: keep going
      { result: [{ sys_id: 'b', sys_updated_on: '2024-01-01 00:00:01' }] },
      { result: [] },
    ]);
    const pages = await collect(
      keysetByUpdated(client, 'incident', { since: '2024-01-01 00:00:00', pageSize: 2, fields: ['number'] }),
    );
    expect(pages.map((p) => p.cursor)).toEqual([
      { updatedOn: '2024-01-01 00:00:01', sysId: 'a' },
      { updatedOn: '2024-01-01 00:00:01', sysId: 'b' },
    ]);
    expect(queries).toHaveLength(3);
    expect(queries[0]?.get('sysparm_no_count')).toBe('true');
    expect(queries[0]?.get('sysparm_exclude_reference_link')).toBe('true');
    expect(queries[0]?.get('sysparm_limit')).toBe('2');
    expect(queries[0]?.get('sysparm_fields')).toBe('number,sys_id,sys_updated_on');
    expect(queries[2]?.get('sysparm_query')).toContain('sys_updated_on=2024-01-01 00:00:01^sys_id>b');
  });

  it('resumes from a checkpoint cursor', async () => {
    const { client, queries } = await scripted([{ result: [] }]);
    await collect(
      keysetByUpdated(client, 'incident', {
        since: '2024-01-01 00:00:00',
        after: { updatedOn: '2024-03-03 03:03:03', sysId: 'zz' },
      }),
    );
    expect(queries[0]?.get('sysparm_query')).toContain('sys_updated_on=2024-03-03 03:03:03^sys_id>zz');
  });

  it('steps over a window fully hidden by ACLs (empty page with a next link) instead of stopping', async () => {
    const { client, queries } = await scripted([
      { result: [], link: '<http://x/api/now/table/incident?sysparm_offset=2>;rel="next"' },
      { result: [{ sys_id: 'c' }] },
      { result: [] },
    ]);
    const pages = await collect(keysetById(client, 'incident', { pageSize: 2 }));
    expect(pages.map((p) => p.cursor)).toEqual(['c']);
    expect(queries[1]?.get('sysparm_offset')).toBe('2');
    expect(queries[2]?.get('sysparm_offset')).toBeNull();
    expect(queries[2]?.get('sysparm_query')).toBe('sys_id>c^ORDERBYsys_id');
  });

  it('refuses to loop when the cursor does not advance', async () => {
    const { client } = await scripted([{ result: [{ sys_id: 'b' }] }, { result: [{ sys_id: 'a' }] }]);
    await expect(collect(keysetById(client, 'incident'))).rejects.toMatchObject({
      status: 502,
      message: expect.stringMatching(/did not advance/),
    });
  });

  it('rejects filters that would break the groups', async () => {
    const { client } = await scripted([]);
    await expect(
      collect(keysetByUpdated(client, 'incident', { since: '2024-01-01 00:00:00', query: 'a=1^NQb=2' })),
    ).rejects.toMatchObject({ status: 400 });
    await expect(collect(keysetById(client, 'incident', { query: 'ORDERBYnumber' }))).rejects.toMatchObject({
      status: 400,
    });
    await expect(collect(keysetByUpdated(client, 'incident', { since: '2024-01-01' }))).rejects.toMatchObject(
      {
        status: 400,
      },
    );
  });
});

describe('offset paging', () => {
  it('maps a 1-based page to sysparm_offset with a deterministic order', async () => {
    const { client, queries } = await scripted([
      { result: [{ sys_id: 'a' }], link: '<http://x/?sysparm_offset=20>;rel="next"' },
      { result: [] },
    ]);
    const page = await offsetPage(client, 'incident', { page: 3, pageSize: 10, query: 'active=true' });
    expect(page.hasNext).toBe(true);
    expect(queries[0]?.get('sysparm_offset')).toBe('20');
    expect(queries[0]?.get('sysparm_limit')).toBe('10');
    expect(queries[0]?.get('sysparm_query')).toBe('active=true^ORDERBYsys_id');
    await offsetPage(client, 'incident', { page: 1, pageSize: 10, query: 'ORDERBYDESCnumber' });
    expect(queries[1]?.get('sysparm_query')).toBe('ORDERBYDESCnumber');
    expect(queries[1]?.get('sysparm_offset')).toBe('0');
  });
});
