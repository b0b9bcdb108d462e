import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalBlobStore } from '../../shared/adapters/local/blob-store';
import type { RowFailure, UploadFormat } from '../../shared/bulk/upload';
import { createErrorReport, parseUpload, uploadRows } from '../../shared/bulk/upload';
import { createOutboundAgent, parseAllowedHosts } from '../../shared/net';
import type { ServiceNowClient } from '../../shared/servicenow';
import { adminClient } from '../servicenow/helpers/fake-server';
import type { SimulatorHandle } from '../simulator/index';
import { startSimulator } from '../simulator/index';

/** Bulk upload against the simulator: what lands in ServiceNow and what the error report says. */
const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts('127.0.0.1') });
let sim: SimulatorHandle;

beforeEach(async () => {
  sim = await startSimulator({ data: false, seed: 11 });
});
afterEach(async () => {
  await sim.close();
});
afterAll(async () => {
  await agent.close();
});

const client = (): ServiceNowClient => adminClient(sim.url, agent, { maxAttempts: 10 });

const upload = async (
  text: string,
  format: UploadFormat,
  options: {
    identifierField?: string;
    signal?: AbortSignal;
    onProgress?: () => void;
    pause?: () => boolean;
    batchSize?: number;
    concurrency?: number;
  } = {},
) => {
  const failures: RowFailure[] = [];
  const result = await uploadRows({
    client: client(),
    table: 'incident',
    rows: parseUpload(Readable.from([Buffer.from(text)]), format),
    onError: (failure) => void failures.push(failure),
    ...options,
  });
  return { result, failures };
};

const incidents = () =>
  sim.db.query('incident', { query: 'ORDERBYshort_description', limit: 100_000, offset: 0 }).rows;

const csvRows = (count: number) =>
  `short_description,urgency,description\n${Array.from(
    { length: count },
    (_, i) => `row ${String(i).padStart(5, '0')},${(i % 3) + 1},"line one, ""quoted""\nline two ${i}"`,
  ).join('\n')}\n`;

describe('bulk upload writes', () => {
  it('pauses between batches: every row taken is written, none after, and lastRowNumber says where', async () => {
    let asked = 0;
    const { result } = await upload(csvRows(100), 'csv', {
      batchSize: 10,
      concurrency: 2,
      // Two workers take batches 1 and 2, then batch 3 is taken; the 4th ask pauses.
      pause: () => ++asked > 3,
    });
    expect(result).toMatchObject({ written: 30, paused: true, cancelled: false, lastRowNumber: 30 });
    const written = incidents().map((row) => String(row.short_description));
    expect(written).toEqual(Array.from({ length: 30 }, (_, i) => `row ${String(i).padStart(5, '0')}`));
  });

  it('writes 2,000 CSV rows with the content intact', async () => {
    const { result, failures } = await upload(csvRows(2000), 'csv');
    expect(failures).toEqual([]);
    expect(result).toEqual({
      written: 2000,
      created: 2000,
      updated: 0,
      failed: 0,
      cancelled: false,
      paused: false,
      lastRowNumber: 2000,
    });
    const rows = incidents();
    expect(rows).toHaveLength(2000);
    rows.forEach((row, i) => {
      expect(row.short_description).toBe(`row ${String(i).padStart(5, '0')}`);
      expect(row.urgency).toBe(String((i % 3) + 1));
      expect(row.description).toBe(`line one, "quoted"\nline two ${i}`);
    });
  });

  it('reports malformed CSV rows, bad JSON lines and nested values per row and writes the good rows', async () => {
    const csv = await upload('short_description,urgency\ngood 1,1\nbad\ngood 2,2,extra\ngood 3,3\n', 'csv');
    expect(csv.result).toMatchObject({ written: 2, failed: 2 });
    expect(csv.failures.map((f) => [f.rowNumber, f.reason])).toEqual([
      [2, 'Expected 2 columns, found 1'],
      [3, 'Expected 2 columns, found 3'],
    ]);
    const jsonl = await upload(
      '{"short_description":"good 4"}\n{"short_description":\n{"caller_id":{"value":"x"}}\n',
      'jsonl',
    );
    expect(jsonl.result).toMatchObject({ written: 1, failed: 2 });
    expect(jsonl.failures.map((f) => f.rowNumber)).toEqual([2, 3]);
    expect(jsonl.failures[0]?.reason).toMatch(/Malformed JSON/);
    expect(jsonl.failures[1]?.reason).toMatch(/"caller_id" has a nested value/);
    expect(incidents().map((row) => row.short_description)).toEqual(['good 1', 'good 3', 'good 4']);
  });

  it('records a ServiceNow failure on its row with the provider message and carries on', async () => {
    sim.faults.inject({ kind: 'status', status: 500 }, { match: (req) => req.method === 'POST' });
    const { result, failures } = await upload('short_description\na\nb\nc\n', 'csv');
    expect(result).toMatchObject({ written: 2, failed: 1 });
    expect(failures).toHaveLength(1);
    expect(failures[0]?.status).toBeGreaterThanOrEqual(500);
    expect(failures[0]?.providerMessage).toBeTruthy();
  });

  it('upserts by an identifier field: updates existing records, creates new ones, refuses query injection', async () => {
    const existing = ['first', 'second'].map(
      (text) =>
        sim.db.insert('incident', { short_description: text, urgency: '3' }, { userName: 'admin' }).number!,
    );
    const text = [
      JSON.stringify({ number: existing[0], short_description: 'first updated' }),
      JSON.stringify({ number: 'INC9999001', short_description: 'brand new' }),
      JSON.stringify({ number: existing[1], urgency: 1 }),
      JSON.stringify({ number: `${existing[0]}^ORactive=true`, short_description: 'injected' }),
      JSON.stringify({ short_description: 'no identifier' }),
    ].join('\n');
    const { result, failures } = await upload(text, 'jsonl', { identifierField: 'number' });
    expect(result).toMatchObject({ written: 3, created: 1, updated: 2, failed: 2 });
    expect(failures.map((f) => f.rowNumber)).toEqual([4, 5]);
    expect(failures[0]?.reason).toMatch(/may not contain/);
    const byNumber = new Map(incidents().map((row) => [row.number, row]));
    expect(byNumber.size).toBe(3);
    expect(byNumber.get(existing[0])?.short_description).toBe('first updated');
    expect(byNumber.get(existing[1])).toMatchObject({ short_description: 'second', urgency: '1' });
    expect(byNumber.get('INC9999001')?.short_description).toBe('brand new');
  });

  it('rides out injected 429s (Retry-After 0) and writes every row', async () => {
    sim.faults.rate({ kind: 'status', status: 429, retryAfterSeconds: 0 }, 0.2);
    const { result, failures } = await upload(csvRows(300), 'csv');
    expect(failures).toEqual([]);
    expect(result.written).toBe(300);
    expect(incidents()).toHaveLength(300);
    expect(sim.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
  });

  it('stops promptly on cancel: no new rows after the abort and none written after it resolves', async () => {
    const controller = new AbortController();
    let written = 0;
    const failures: RowFailure[] = [];
    const result = await uploadRows({
      client: client(),
      table: 'incident',
      rows: parseUpload(Readable.from([Buffer.from(csvRows(2000))]), 'csv'),
      onError: (failure) => void failures.push(failure),
      onProgress: (progress) => {
        written = progress.written;
        if (written >= 50) controller.abort();
      },
      signal: controller.signal,
    });
    expect(result.cancelled).toBe(true);
    // At most the rows already in flight (concurrency 4) finish after the abort.
    expect(result.written).toBeGreaterThanOrEqual(50);
    expect(result.written).toBeLessThanOrEqual(50 + 4);
    const afterResolve = sim.db.size('incident');
    expect(afterResolve).toBe(result.written);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sim.db.size('incident')).toBe(afterResolve);
  });

  it('writes plain inserts through the Batch API, one request per batch, reporting bad rows per row', async () => {
    const rows = [
      ...Array.from({ length: 120 }, (_, i) =>
        JSON.stringify({ short_description: `batched ${String(i).padStart(3, '0')}` }),
      ),
      '{"short_description": oops}',
    ].join('\n');
    const failures: RowFailure[] = [];
    const result = await uploadRows({
      client: client(),
      table: 'incident',
      rows: parseUpload(Readable.from([Buffer.from(rows)]), 'jsonl'),
      batchSize: 50,
      onError: (failure) => void failures.push(failure),
    });
    expect(result).toMatchObject({ written: 120, created: 120, failed: 1 });
    expect(failures.map((f) => f.rowNumber)).toEqual([121]);
    expect(incidents().map((row) => row.short_description)).toEqual(
      Array.from({ length: 120 }, (_, i) => `batched ${String(i).padStart(3, '0')}`),
    );
    expect(sim.requests.filter((r) => r.path === '/api/now/v1/batch')).toHaveLength(3);
    expect(sim.requests.filter((r) => r.path === '/api/now/table/incident')).toHaveLength(0);
  });

  it('upserts in batches: one lookup and one Batch API request per batch, duplicates handled one by one', async () => {
    const existing = ['alpha', 'beta', 'gamma'].map(
      (text) =>
        sim.db.insert('incident', { short_description: text, urgency: '3' }, { userName: 'admin' }).number!,
    );
    const twice = sim.db.insert(
      'incident',
      { short_description: 'twin', urgency: '3' },
      { userName: 'admin' },
    );
    sim.db.insert(
      'incident',
      { short_description: 'twin copy', number: twice.number ?? '' },
      { userName: 'admin' },
    );
    const text = [
      JSON.stringify({ number: existing[0], short_description: 'alpha updated' }),
      JSON.stringify({ number: 'INC9999101', short_description: 'new one' }),
      JSON.stringify({ number: existing[1], urgency: 1 }),
      JSON.stringify({ number: 'INC9999101', short_description: 'new one, again' }), // same file, same key
      JSON.stringify({ number: twice.number, short_description: 'ambiguous' }),
      JSON.stringify({ number: `${existing[2]}^ORactive=true`, short_description: 'injected' }),
      JSON.stringify({ number: existing[2], short_description: 'gamma updated' }),
    ].join('\n');
    const logged = sim.requests.length;
    const failures: RowFailure[] = [];
    const result = await uploadRows({
      client: client(),
      table: 'incident',
      rows: parseUpload(Readable.from([Buffer.from(text)]), 'jsonl'),
      identifierField: 'number',
      batchSize: 50,
      onError: (failure) => void failures.push(failure),
    });
    expect(result).toMatchObject({ written: 5, created: 1, updated: 4, failed: 2 });
    expect(failures.map((f) => f.rowNumber).sort()).toEqual([5, 6]);
    expect(failures.find((f) => f.rowNumber === 5)?.reason).toMatch(/more than one record/);
    const byNumber = new Map(incidents().map((row) => [row.number, row]));
    expect(byNumber.get(existing[0])?.short_description).toBe('alpha updated');
    expect(byNumber.get(existing[1])).toMatchObject({ short_description: 'beta', urgency: '1' });
    expect(byNumber.get(existing[2])?.short_description).toBe('gamma updated');
    // The repeated key created ONE record, then updated it.
    expect(
      incidents()
        .filter((row) => row.number === 'INC9999101')
        .map((row) => row.short_description),
    ).toEqual(['new one, again']);
    const made = sim.requests.slice(logged);
    expect(made.filter((r) => r.path === '/api/now/v1/batch')).toHaveLength(1);
    // One IN lookup for the batch, one for the repeated key handled on its own.
    expect(made.filter((r) => r.method === 'GET' && r.path === '/api/now/table/incident')).toHaveLength(2);
  });

  it('fails each row of an upsert batch once when its look-up fails, keeping an identifier refusal', async () => {
    sim.faults.inject({ kind: 'forbidden' }, { match: (req) => req.method === 'GET' });
    const text = [
      JSON.stringify({ number: 'INC9999201', short_description: 'one' }),
      JSON.stringify({ number: 'INC9999202^ORactive=true', short_description: 'injected' }),
      JSON.stringify({ number: 'INC9999203', short_description: 'three' }),
    ].join('\n');
    const { result, failures } = await upload(text, 'jsonl', { identifierField: 'number', batchSize: 50 });
    expect(result).toMatchObject({ written: 0, failed: 3 });
    expect(failures.map((f) => [f.rowNumber, f.status])).toEqual([
      [1, 403],
      [2, undefined],
      [3, 403],
    ]);
    expect(failures[1]?.reason).toMatch(/may not contain/);
    expect(sim.db.size('incident')).toBe(0);
  });

  it('reports failures of concurrent batches in row order while a slow report holds them back', async () => {
    const text = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 1 ? '{"short_description": oops' : JSON.stringify({ short_description: `row ${i}` }),
    ).join('\n');
    const failures: RowFailure[] = [];
    const result = await uploadRows({
      client: client(),
      table: 'incident',
      rows: parseUpload(Readable.from([Buffer.from(text)]), 'jsonl'),
      batchSize: 2,
      concurrency: 4,
      onError: async (failure) => {
        await new Promise((resolve) => setTimeout(resolve, failure.rowNumber % 4));
        failures.push(failure);
      },
    });
    expect(result).toMatchObject({ written: 40, failed: 20 });
    expect(failures.map((f) => f.rowNumber)).toEqual(Array.from({ length: 20 }, (_, i) => 3 * i + 2));
    expect(sim.db.size('incident')).toBe(40);
  });

  it('refuses a bad identifier field name before writing anything', async () => {
    await expect(
      upload('short_description\na\n', 'csv', { identifierField: 'number=x^' }),
    ).rejects.toMatchObject({
      status: 400,
    });
    expect(sim.db.size('incident')).toBe(0);
  });

  it('fails the whole upload on a file-level error, after in-flight rows settle', async () => {
    await expect(
      upload('[{"short_description":"a"},{"short_description":"b"},', 'json'),
    ).rejects.toMatchObject({
      status: 400,
    });
  });

  it('streams failures to an error report blob as JSON lines or CSV', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bulk-upload-'));
    try {
      const blobs = createLocalBlobStore({ dataDir });
      for (const format of ['jsonl', 'csv'] as const) {
        const report = createErrorReport(blobs, `jobs/1/errors.${format}`, format);
        const result = await uploadRows({
          client: client(),
          table: 'incident',
          rows: parseUpload(Readable.from([Buffer.from('{"a":"ok"}\n{bad\n{"b":[1]}\n')]), 'jsonl'),
          onError: report.add,
        });
        expect(await report.close()).toEqual({ key: `jobs/1/errors.${format}`, count: 2 });
        expect(result.failed).toBe(2);
        const stored = await blobs.get(`jobs/1/errors.${format}`);
        const chunks: Buffer[] = [];
        for await (const chunk of stored!.body) chunks.push(chunk as Buffer);
        const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
        if (format === 'jsonl') {
          expect(lines.map((line) => JSON.parse(line).rowNumber)).toEqual([2, 3]);
        } else {
          expect(lines[0]).toBe('rowNumber,reason,status,providerMessage');
          expect(lines[1]).toMatch(/^2,Malformed JSON/);
          expect(lines[2]).toMatch(/^3,"?Field ""b"" has a nested value/);
        }
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
