import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BulkHarness, startBulkHarness, uploadForm } from './harness';

const INCIDENTS = 300;
let h: BulkHarness;

beforeAll(async () => {
  h = await startBulkHarness({
    simulator: { seed: 11, data: { incidents: INCIDENTS, problems: 0, users: 10, groups: 2, companies: 2 } },
    worker: { pagesPerChunk: 2 },
  });
});
afterAll(async () => {
  await h?.close();
});

const simIncidents = () =>
  h.sim.db.query('incident', { query: '', limit: 100_000, offset: 0 }).rows as unknown as Record<
    string,
    string
  >[];

const fields = ['number', 'short_description', 'priority', 'state'];

describe('bulk download through the API', () => {
  it('exports every row once as CSV, in chunks, with the selected columns', async () => {
    const created = await h.call('POST', '/bulk/download', {
      json: { objectName: 'incidents', format: 'text/csv', selectFields: fields, pageSize: 40 },
    });
    expect(created.status).toBe(200);
    const { id, status, instanceId } = created.json<{ id: string; status: string; instanceId: number }>();
    expect(status).toBe('CREATED');
    expect(instanceId).toBe(h.instanceId);
    const done = await h.settle(id);
    expect(done).toMatchObject({
      status: 'COMPLETED',
      recordsCount: INCIDENTS,
      progress: 100,
      direction: 'DOWNLOAD',
    });
    const file = await h.call('GET', `/bulk/${id}/incidents`, { headers: { Accept: 'text/csv' } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('text/csv');
    const rows = parse(file.text, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0] ?? {})).toEqual(fields);
    expect(rows).toHaveLength(INCIDENTS);
    const expected = simIncidents().map((row) => Object.fromEntries(fields.map((f) => [f, row[f] ?? ''])));
    const key = (row: Record<string, string>) => row.number ?? '';
    expect([...rows].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      expected.sort((a, b) => key(a).localeCompare(key(b))),
    );
  });

  it('exports in parallel streams when asked (partitions), with the same rows as one stream', async () => {
    const body = { objectName: 'incidents', format: 'text/csv', selectFields: fields, pageSize: 40 };
    const one = (await h.call('POST', '/bulk/download', { json: body })).json<{ id: string }>().id;
    const four = (await h.call('POST', '/bulk/download', { json: { ...body, partitions: 4 } })).json<{
      id: string;
    }>().id;
    expect(await h.settle(one)).toMatchObject({ status: 'COMPLETED', recordsCount: INCIDENTS });
    expect(await h.settle(four)).toMatchObject({ status: 'COMPLETED', recordsCount: INCIDENTS });
    const fileOf = async (id: string) => (await h.call('GET', `/bulk/${id}/incidents`)).text;
    expect(await fileOf(four)).toBe(await fileOf(one));
    // The query form takes it too.
    const q = encodeURIComponent('select number from incidents');
    const queried = await h.call('POST', `/bulk/query?q=${q}&partitions=2`);
    expect(queried.status).toBe(200);
    expect(await h.settle(queried.json<{ id: string }>().id)).toMatchObject({
      status: 'COMPLETED',
      recordsCount: INCIDENTS,
    });
  });

  it.each([
    [{ partitions: 17 }, /partitions/],
    [{ partitions: 0 }, /partitions/],
    [{ partitions: 4, orderBy: 'number' }, /order by/],
    [{ partitions: 4, limit: 10 }, /limit/],
  ])('refuses partitions %j with a 400 and creates no job', async (extra, message) => {
    const before = (await h.call('GET', '/bulk/jobs')).json<unknown[]>().length;
    const res = await h.call('POST', '/bulk/download', {
      json: { objectName: 'incidents', format: 'text/csv', ...extra },
    });
    expect(res.status).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(message);
    expect((await h.call('GET', '/bulk/jobs')).json<unknown[]>()).toHaveLength(before);
  });

  it('refuses a partitions query parameter that is not a number', async () => {
    const q = encodeURIComponent('select number from incidents');
    const res = await h.call('POST', `/bulk/query?q=${q}&partitions=many`);
    expect(res.status).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(/partitions/);
  });

  it('runs q with a where, field selection and order by, as JSON lines', async () => {
    const q = "select number, priority from incidents where priority = '1' order by number desc";
    const created = await h.call('POST', `/hubs/helpdesk/bulk/query?q=${encodeURIComponent(q)}`);
    expect(created.status).toBe(200);
    const { id } = created.json<{ id: string }>();
    const done = await h.settle(id);
    const expected = simIncidents()
      .filter((row) => row.priority === '1')
      .map((row) => ({ number: row.number, priority: row.priority }))
      .sort((a, b) => (b.number ?? '').localeCompare(a.number ?? ''));
    expect(expected.length).toBeGreaterThan(0);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: expected.length });
    const file = await h.call('GET', `/bulk/${id}/incidents`, { headers: { Accept: 'application/json' } });
    expect(file.status).toBe(200);
    const lines = file.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(expected);
  });

  it('refuses an unknown field in where with 400 and creates no job', async () => {
    const before = (await h.call('GET', '/bulk/jobs')).json<unknown[]>().length;
    const q = "select * from incidents where no_such_field = 'x'";
    const res = await h.call('POST', `/bulk/query?q=${encodeURIComponent(q)}`);
    expect(res.status).toBe(400);
    expect(res.json<{ message: string }>().message).toContain('no_such_field');
    const bad = await h.call('POST', '/bulk/download', {
      json: { objectName: 'incidents', format: 'text/xml' },
    });
    expect(bad.status).toBe(400);
    const typo = await h.call('POST', '/bulk/download', {
      json: { objectName: 'incidents', format: 'text/csv', wher: "a='b'" },
    });
    expect(typo.status).toBe(400);
    expect(typo.json<{ message: string }>().message).toContain('wher');
    expect((await h.call('GET', '/bulk/jobs')).json<unknown[]>().length).toBe(before);
  });

  it('answers 409 for a file not ready, 404 for a wrong object and 406 for a type no format has', async () => {
    const cancelled = await h.call('POST', '/bulk/download', {
      json: { objectName: 'incidents', format: 'text/csv', pageSize: 10 },
    });
    const { id } = cancelled.json<{ id: string }>();
    // Cancelled before the worker ran, so it never completes.
    await h.call('PUT', `/bulk/${id}/cancel`);
    await h.settle(id);
    expect((await h.call('GET', `/bulk/${id}/incidents`)).status).toBe(409);
    expect((await h.call('GET', `/bulk/${id}/problems`)).status).toBe(404);
    expect((await h.call('GET', '/bulk/nosuchjob/status')).status).toBe(404);
    const csv = await h.call('POST', '/bulk/download', {
      json: { objectName: 'incidents', format: 'text/csv', limit: 5 },
    });
    const csvId = csv.json<{ id: string }>().id;
    expect(await h.settle(csvId)).toMatchObject({ status: 'COMPLETED', recordsCount: 5 });
    expect(
      (await h.call('GET', `/bulk/${csvId}/incidents`, { headers: { Accept: 'application/xml' } })).status,
    ).toBe(406);
  });

  it('gives a 501 pointing at multipart for a presigned upload in local mode, creating nothing', async () => {
    const before = (await h.call('GET', '/bulk/jobs')).json<unknown[]>().length;
    const res = await h.call('POST', '/bulk/incidents/uploads', { json: { format: 'text/csv' } });
    expect(res.status).toBe(501);
    expect(res.json<{ message: string }>().message).toContain('multipart');
    expect((await h.call('GET', '/bulk/jobs')).json<unknown[]>().length).toBe(before);
    expect(uploadForm('a').has('file')).toBe(true);
  });
});
