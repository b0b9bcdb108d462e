import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { negotiateFormat } from '../../shared/bulk/api';
import { type BulkHarness, startBulkHarness } from './harness';

const INCIDENTS = 250;
let h: BulkHarness;

beforeAll(async () => {
  h = await startBulkHarness({
    simulator: { seed: 5, data: { incidents: INCIDENTS, problems: 0, users: 5, groups: 1, companies: 1 } },
    worker: { pagesPerChunk: 2 },
  });
});
afterAll(async () => {
  await h?.close();
});

const fields = ['number', 'short_description', 'priority', 'state'];

const completed = async (body: Record<string, unknown>) => {
  const created = await h.call('POST', '/bulk/download', {
    json: { objectName: 'incidents', pageSize: 40, ...body },
  });
  expect(created.status).toBe(200);
  const { id } = created.json<{ id: string }>();
  expect(await h.settle(id)).toMatchObject({ status: 'COMPLETED', recordsCount: INCIDENTS });
  return id;
};

/** The file as `accept` asks for it: a 202 with Retry-After first when it needs converting. */
const fetchAs = async (id: string, accept: string, expectConversion: boolean) => {
  const first = await h.call('GET', `/bulk/${id}/incidents`, { headers: { Accept: accept } });
  if (expectConversion) {
    expect(first.status).toBe(202);
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(first.json()).toMatchObject({ id, status: 'CONVERTING' });
    await h.queue.drain();
  }
  const file = expectConversion
    ? await h.call('GET', `/bulk/${id}/incidents`, { headers: { Accept: accept } })
    : first;
  expect(file.status).toBe(200);
  return file;
};

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, string>);

describe('bulk download formats by Accept', () => {
  it('serves a JSON lines job as CSV byte for byte like a CSV export, and as an array', async () => {
    const jsonl = await completed({ format: 'application/jsonl', selectFields: fields });
    const csv = await completed({ format: 'text/csv', selectFields: fields });
    const nativeCsv = (await fetchAs(csv, 'text/csv', false)).text;
    const converted = await fetchAs(jsonl, 'text/csv', true);
    expect(converted.headers.get('content-type')).toContain('text/csv');
    expect(converted.text).toBe(nativeCsv);
    const lines = jsonLines((await fetchAs(jsonl, 'application/json', false)).text);
    const array = await fetchAs(jsonl, 'application/json; format=array', true);
    expect(JSON.parse(array.text)).toEqual(lines);
    expect(lines).toHaveLength(INCIDENTS);
    // Ready now: no second conversion.
    const again = await h.call('GET', `/bulk/${jsonl}/incidents`, { headers: { Accept: 'text/csv' } });
    expect(again.status).toBe(200);
    expect(again.text).toBe(nativeCsv);
  });

  it('serves a CSV job as JSON lines with the same rows in the same order', async () => {
    const csv = await completed({ format: 'text/csv', selectFields: fields });
    const rows = parse((await fetchAs(csv, 'text/csv', false)).text, { columns: true });
    const lines = jsonLines((await fetchAs(csv, 'application/json', true)).text);
    expect(lines).toEqual(rows);
    const jsonl = await h.call('GET', `/bulk/${csv}/incidents`, { headers: { Accept: 'application/jsonl' } });
    expect(jsonl.status).toBe(200);
    expect(jsonLines(jsonl.text)).toEqual(rows);
  });

  it('converts a whole-row array job to CSV with the columns an export would have', async () => {
    const array = await completed({ format: 'application/json' });
    const csv = await completed({ format: 'text/csv' });
    const fromArray = await fetchAs(array, 'text/csv', true);
    expect(fromArray.text).toBe((await fetchAs(csv, 'text/csv', false)).text);
    // `application/json` on an array job is its own array; JSON lines on request.
    expect(JSON.parse((await fetchAs(array, 'application/json', false)).text)).toHaveLength(INCIDENTS);
    expect(jsonLines((await fetchAs(array, 'application/jsonl', true)).text)).toHaveLength(INCIDENTS);
  });
});

describe('negotiateFormat', () => {
  it.each([
    [undefined, 'csv', 'csv'],
    ['*/*', 'jsonl', 'jsonl'],
    ['text/csv', 'jsonl', 'csv'],
    ['txt/csv', 'json', 'csv'],
    ['application/json', 'csv', 'jsonl'],
    ['application/json', 'json', 'json'],
    ['application/json; format=array', 'jsonl', 'json'],
    ['application/json;format=lines', 'json', 'jsonl'],
    ['application/x-ndjson', 'csv', 'jsonl'],
    ['text/csv;q=0.5, application/json', 'csv', 'jsonl'],
    ['text/csv, application/json', 'jsonl', 'jsonl'],
    ['text/csv, */*;q=0.1', 'jsonl', 'csv'],
    ['application/xml', 'csv', undefined],
    ['text/csv;q=0', 'csv', undefined],
  ] as const)('Accept %j on a %s job -> %s', (accept, stored, wanted) => {
    expect(negotiateFormat(accept, stored)).toBe(wanted);
  });
});
