import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BulkHarness, startBulkHarness, uploadForm } from './harness';

const INCIDENTS = 300;
const MAX_BYTES = 256 * 1024;
const FIELDS = ['short_description', 'description', 'impact', 'urgency'];
let h: BulkHarness;

beforeAll(async () => {
  h = await startBulkHarness({
    simulator: {
      seed: 5,
      data: { incidents: INCIDENTS, problems: 0, changes: 0, users: 10, groups: 2, companies: 2 },
    },
    env: { ELEMENT_BULK_MAX_MULTIPART_BYTES: String(MAX_BYTES) },
    worker: { pagesPerChunk: 2 },
  });
});
afterAll(async () => {
  await h?.close();
});

const rowsOf = (table: string) =>
  (
    h.sim.db.query(table, { query: '', limit: 100_000, offset: 0 }).rows as unknown as Record<
      string,
      string
    >[]
  ).map((row) => Object.fromEntries(FIELDS.map((field) => [field, row[field] ?? ''])));
const sorted = (rows: Record<string, string>[]) => rows.map((row) => JSON.stringify(row)).sort();

const download = async (objectName: string, format: string): Promise<string> => {
  const created = await h.call('POST', '/bulk/download', {
    json: { objectName, format, selectFields: FIELDS, pageSize: 50 },
  });
  expect(created.status).toBe(200);
  const { id } = created.json<{ id: string }>();
  expect((await h.settle(id)).status).toBe('COMPLETED');
  const file = await h.call('GET', `/bulk/${id}/${objectName}`, { headers: { Accept: format } });
  expect(file.status).toBe(200);
  return file.text;
};

const upload = async (objectName: string, form: FormData, headers: Record<string, string> = {}) => {
  const res = await h.call('POST', `/bulk/${objectName}`, { form, headers });
  return res;
};

const jobCount = async () => (await h.call('GET', '/bulk/jobs')).json<unknown[]>().length;
const incomingFiles = async () => (await h.deps.blobStore?.list('incoming/'))?.items.length ?? 0;

describe('bulk upload through the API', () => {
  it('round-trips CSV: download incidents, upload into problem, the same rows come back', async () => {
    const csv = await download('incidents', 'text/csv');
    expect(parse(csv, { columns: true })).toHaveLength(INCIDENTS);
    const res = await upload('problems', uploadForm(csv, { fileName: 'incidents.csv' }));
    expect(res.status).toBe(200);
    const created = res.json<{ id: string; status: string; instanceId: number }>();
    expect(created).toMatchObject({ status: 'CREATED', instanceId: h.instanceId });
    const done = await h.settle(created.id);
    expect(done).toMatchObject({
      status: 'COMPLETED',
      recordsCount: INCIDENTS,
      recordsFailedCount: 0,
      direction: 'UPLOAD',
    });
    expect(sorted(rowsOf('problem'))).toEqual(sorted(rowsOf('incident')));
    // And through the API again: the problems export equals the incidents export.
    const back = parse(await download('problems', 'text/csv'), { columns: true }) as Record<string, string>[];
    expect(sorted(back)).toEqual(sorted(rowsOf('incident')));
    expect(await incomingFiles()).toBe(0); // the uploaded file is removed once the job ends
  });

  it('round-trips JSON lines into another table', async () => {
    const jsonl = await download('incidents', 'application/jsonl');
    expect(jsonl.trim().split('\n')).toHaveLength(INCIDENTS);
    const res = await upload(
      'change_request',
      uploadForm(jsonl, {
        fileName: 'incidents.jsonl',
        type: 'application/octet-stream',
        metaData: { format: 'jsonl' },
      }),
    );
    expect(res.status).toBe(200);
    const done = await h.settle(res.json<{ id: string }>().id);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: INCIDENTS, recordsFailedCount: 0 });
    expect(sorted(rowsOf('change_request'))).toEqual(sorted(rowsOf('incident')));
  });

  it('reports malformed rows one by one through GET /bulk/{id}/errors and writes the good ones', async () => {
    const before = h.sim.db.size('sys_user_group');
    const csv = [
      'name,description',
      'Team A,first',
      'Team B',
      'Team C,third,extra',
      'Team D,"quoted, comma"',
      '',
    ].join('\n');
    const res = await upload('groups', uploadForm(csv, { fileName: 'groups.csv' }));
    expect(res.status).toBe(200);
    const id = res.json<{ id: string }>().id;
    expect(await h.settle(id)).toMatchObject({ status: 'COMPLETED', recordsCount: 4, recordsFailedCount: 2 });
    expect(h.sim.db.size('sys_user_group')).toBe(before + 2);
    const errors = await h.call('GET', `/bulk/${id}/errors`);
    expect(errors.status).toBe(200);
    const items = errors.json<{ rowNumber: number; reason: string }[]>();
    expect(items.map((item) => item.rowNumber)).toEqual([2, 3]);
    expect(items[0]?.reason).toContain('Expected 2 columns');

    const jsonl = ['{"name":"Team E"}', '{"name": broken', '{"name":{"nested":1}}', '{"name":"Team F"}'].join(
      '\n',
    );
    const second = await upload(
      'groups',
      uploadForm(jsonl, { fileName: 'groups.jsonl', type: 'application/x-ndjson' }),
    );
    const secondId = second.json<{ id: string }>().id;
    expect(await h.settle(secondId)).toMatchObject({
      status: 'COMPLETED',
      recordsCount: 4,
      recordsFailedCount: 2,
    });
    const page1 = await h.call('GET', `/bulk/${secondId}/errors?pageSize=1`);
    expect(page1.json<{ rowNumber: number }[]>().map((e) => e.rowNumber)).toEqual([2]);
    const token = page1.headers.get('elements-next-page-token');
    expect(token).toBeTruthy();
    const page2 = await h.call('GET', `/bulk/${secondId}/errors?pageSize=1&nextPage=${token}`);
    expect(page2.json<{ rowNumber: number; reason: string }[]>()).toMatchObject([{ rowNumber: 3 }]);
    expect(page2.headers.get('elements-next-page-token')).toBeNull();
    expect(h.sim.db.size('sys_user_group')).toBe(before + 4);
  });

  it.each([
    ['metaData format json', { type: 'application/jsonl', metaData: { format: 'json' } }],
    ['metaData format jsonl', { type: 'application/octet-stream', metaData: { format: 'jsonl' } }],
    ['the part type application/json', { type: 'application/json' }],
    ['the part type application/jsonl', { type: 'application/jsonl' }],
  ])('takes JSON lines and JSON arrays alike, declared by %s', async (_name, declared) => {
    const before = h.sim.db.size('sys_user_group');
    const lines = '{"name":"Line A"}\n{"name":"Line B"}\n';
    const array = '[{"name":"Array A"},\n {"name":"Array B"}]';
    for (const content of [lines, array]) {
      const res = await upload('groups', uploadForm(content, { fileName: 'groups.json', ...declared }));
      expect(res.status).toBe(200);
      expect(await h.settle(res.json<{ id: string }>().id)).toMatchObject({
        status: 'COMPLETED',
        recordsCount: 2,
        recordsFailedCount: 0,
      });
    }
    expect(h.sim.db.size('sys_user_group')).toBe(before + 4);
  });

  it('ends a file with broken CSV quoting in ERROR with the reason, and keeps serving', async () => {
    const csv = ['name,description', 'Team Q,fine', 'Team R,"never closed', 'Team S,after'].join('\n');
    const res = await upload('groups', uploadForm(csv, { fileName: 'broken.csv' }));
    expect(res.status).toBe(200);
    const id = res.json<{ id: string }>().id;
    const settled = await h.settle(id);
    expect(settled.status).toBe('ERROR');
    expect(JSON.stringify(settled)).toContain('Malformed CSV');
    // The worker survived the aborted error report: the API and the next job still work.
    expect((await h.call('GET', `/bulk/${id}/status`)).status).toBe(200);
    const next = await upload('groups', uploadForm('name\nTeam T\n', { fileName: 'ok.csv' }));
    expect(await h.settle(next.json<{ id: string }>().id)).toMatchObject({
      status: 'COMPLETED',
      recordsCount: 1,
    });
  });

  it('refuses oversized and wrong-type files with clear errors and creates nothing', async () => {
    const jobs = await jobCount();
    const big = `name\n${'x'.repeat(MAX_BYTES + 10)}\n`;
    const tooBig = await upload('groups', uploadForm(big));
    expect(tooBig.status).toBe(413);
    expect(tooBig.json<{ message: string }>().message).toContain(String(MAX_BYTES));

    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const image = await upload('groups', uploadForm(png, { fileName: 'logo.png', type: 'image/png' }));
    expect(image.status).toBe(415);
    expect(image.json<{ message: string }>().message).toMatch(/csv|json/i);

    const binaryCsv = await upload('groups', uploadForm(png, { fileName: 'rows.csv', type: 'text/csv' }));
    expect(binaryCsv.status).toBe(415);
    const notJson = await upload(
      'groups',
      uploadForm('name\nA\n', { fileName: 'x.json', type: 'application/json' }),
    );
    expect(notJson.status).toBe(415);
    const text = await upload('groups', uploadForm('hello', { fileName: 'notes.txt', type: 'text/plain' }));
    expect(text.status).toBe(415);
    const empty = await upload('groups', uploadForm('', { fileName: 'rows.csv' }));
    expect(empty.status).toBe(400);
    const noFile = new FormData();
    noFile.append('metaData', '{}');
    expect((await upload('groups', noFile)).status).toBe(400);
    const json = await h.call('POST', '/bulk/groups', { json: { name: 'x' } });
    expect(json.status).toBe(415);
    const badKey = await upload(
      'incidents',
      uploadForm('number\nINC1\n', { metaData: { identifierFieldName: 'nope' } }),
    );
    expect(badKey.status).toBe(400);
    const badTable = await upload('no_such_table', uploadForm('name\nA\n'));
    expect(badTable.status).toBe(404);

    expect(await jobCount()).toBe(jobs);
    expect(await incomingFiles()).toBe(0);
  });

  it('upserts by identifierFieldName', async () => {
    const existing = h.sim.db.query('incident', { query: 'ORDERBYnumber', limit: 2, offset: 0 }).rows;
    const [a, b] = existing.map((row) => String(row.number));
    const count = h.sim.db.size('incident');
    const csv = `number,short_description\n${a},updated one\n${b},updated two\nINC9999999,brand new\n`;
    const res = await upload('incidents', uploadForm(csv, { metaData: { identifierFieldName: 'number' } }));
    expect(await h.settle(res.json<{ id: string }>().id)).toMatchObject({
      status: 'COMPLETED',
      recordsCount: 3,
      recordsFailedCount: 0,
    });
    expect(h.sim.db.size('incident')).toBe(count + 1);
    const after = h.sim.db.query('incident', {
      query: `number=${a}^ORnumber=${b}^ORDERBYnumber`,
      limit: 5,
      offset: 0,
    }).rows;
    expect(after.map((row) => row.short_description)).toEqual(['updated one', 'updated two']);
  });

  it('rides out 429s from ServiceNow during an upload', async () => {
    const before = h.sim.db.size('sys_user_group');
    h.sim.faults.inject(
      { kind: 'status', status: 429, retryAfterSeconds: 1 },
      { times: 2, match: (req) => req.method === 'POST' },
    );
    const csv = `name\n${Array.from({ length: 60 }, (_, i) => `Rate ${i}`).join('\n')}\n`;
    const res = await upload('groups', uploadForm(csv));
    const done = await h.settle(res.json<{ id: string }>().id);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: 60, recordsFailedCount: 0 });
    expect(h.sim.db.size('sys_user_group')).toBe(before + 60);
    expect(h.sim.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(2);
  });
});

describe('bulk on a common resource (transformations)', () => {
  it('downloads mapped rows with a where on common names and uploads through toVendor', async () => {
    const { createTransformationStore, instanceScope } = await import('../../shared/transformations/store');
    const store = createTransformationStore({ stateTable: h.deps.stateTable, now: () => new Date() });
    const instance = { id: h.instanceId, ownerUserId: 'alice', elementKey: 'servicenow' };
    await store.putTransformation(
      instanceScope(instance),
      'servicenow',
      'tickets',
      {
        vendorName: 'incident',
        fields: [
          { path: 'code', type: 'string', vendorPath: 'number' },
          { path: 'title', type: 'string', vendorPath: 'short_description' },
          { path: 'level', type: 'string', vendorPath: 'urgency' },
        ],
      },
      'create',
    );
    const created = await h.call('POST', '/bulk/download', {
      json: {
        objectName: 'tickets',
        format: 'text/csv',
        where: "level = '1'",
        selectFields: ['code', 'title'],
      },
    });
    expect(created.status).toBe(200);
    const id = created.json<{ id: string }>().id;
    const expected = (
      h.sim.db.query('incident', { query: 'urgency=1', limit: 100_000, offset: 0 }).rows as unknown as Record<
        string,
        string
      >[]
    ).map((row) => ({ code: row.number ?? '', title: row.short_description ?? '' }));
    expect(expected.length).toBeGreaterThan(0);
    expect(await h.settle(id)).toMatchObject({ status: 'COMPLETED', recordsCount: expected.length });
    const file = await h.call('GET', `/bulk/${id}/tickets`);
    const rows = parse(file.text, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0] ?? {})).toEqual(['code', 'title']);
    expect(sorted(rows)).toEqual(sorted(expected));
    // A vendor field name is not a common field: 400, never a wider result.
    const vendor = await h.call('POST', '/bulk/download', {
      json: { objectName: 'tickets', format: 'text/csv', where: "urgency = '1'" },
    });
    expect(vendor.status).toBe(400);

    const upload = await h.call('POST', '/bulk/tickets', {
      form: uploadForm('{"title":"Made through a common resource","level":"2"}\n', {
        fileName: 't.jsonl',
        type: 'application/jsonl',
      }),
    });
    expect(upload.status).toBe(200);
    expect(await h.settle(upload.json<{ id: string }>().id)).toMatchObject({
      status: 'COMPLETED',
      recordsCount: 1,
      recordsFailedCount: 0,
    });
    const made = h.sim.db.query('incident', {
      query: 'short_description=Made through a common resource',
      limit: 5,
      offset: 0,
    }).rows;
    expect(made).toHaveLength(1);
    expect(made[0]?.urgency).toBe('2');
  });
});
