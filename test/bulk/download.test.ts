import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBlobStore } from '../../shared/adapters/local';
import {
  assembleDownload,
  type DownloadCursor,
  type DownloadFormat,
  type DownloadJob,
  INITIAL_DOWNLOAD_CURSOR,
  keysetQuery,
  parseDownloadFormat,
  partKey,
  runDownloadChunk,
  sysIdPartitions,
} from '../../shared/bulk/download';
import { ceqlToEncodedQuery } from '../../shared/hub/ceql';
import { fieldCatalogFor, loadTableMetadata, MetadataCache } from '../../shared/hub/metadata';
import { createOutboundAgent, parseAllowedHosts } from '../../shared/net';
import type { BlobStore } from '../../shared/ports/blob-store';
import { createServiceNowClient, SemaphoreRegistry, type ServiceNowClient } from '../../shared/servicenow';
import { type SimulatorHandle, startSimulator } from '../simulator';

const INCIDENTS = 5000;
let sim: SimulatorHandle;
let client: ServiceNowClient;
let blobStore: BlobStore;
let dataDir: string;
const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts('127.0.0.1') });
let jobCounter = 0;
const newJobId = () => `job-${++jobCounter}`;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, data: { incidents: INCIDENTS, users: 50, groups: 5, companies: 5 } });
  client = createServiceNowClient({
    baseUrl: sim.url,
    auth: { type: 'basic', username: 'admin', password: 'admin' },
    dispatcher: agent,
    semaphores: new SemaphoreRegistry(),
    sleep: async () => {},
  });
  dataDir = await mkdtemp(join(tmpdir(), 'bulk-download-'));
  blobStore = createLocalBlobStore({ dataDir });
});
afterAll(async () => {
  await sim.close();
  await agent.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** The simulator's rows for an encoded query, in sys_id order: the ground truth. */
const dbRows = (query = '') =>
  sim.db.query('incident', {
    query: [query, 'ORDERBYsys_id'].filter(Boolean).join('^'),
    limit: 1_000_000,
    offset: 0,
  }).rows;

const text = async (key: string): Promise<string> => {
  const object = await blobStore.get(key);
  if (object === undefined) throw new Error(`missing ${key}`);
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** Plays the caller: runs chunks until done, committing the returned cursor after each, then assembles. */
const download = async (job: DownloadJob, maxPages = 3, c: ServiceNowClient = client) => {
  let cursor: DownloadCursor = INITIAL_DOWNLOAD_CURSOR;
  let chunks = 0;
  for (;;) {
    const result = await runDownloadChunk({ client: c, blobStore, job, cursor, maxPages });
    cursor = result.cursor;
    chunks++;
    if (result.done) break;
  }
  const { key } = await assembleDownload(blobStore, job.id, cursor, job.format);
  return { body: await text(key), cursor, chunks };
};

const parseBody = (format: DownloadFormat, body: string): Record<string, unknown>[] => {
  if (format === 'json') return JSON.parse(body) as Record<string, unknown>[];
  if (format === 'jsonl')
    return body
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return parse(body, { columns: true }) as Record<string, unknown>[];
};

describe('bulk download of every incident', () => {
  it.each(['csv', 'jsonl', 'json'] as const)('writes exactly the simulator rows as %s', async (format) => {
    const job: DownloadJob = { id: newJobId(), table: 'incident', encodedQuery: '', format, pageSize: 500 };
    const { body, cursor, chunks } = await download(job, 3);
    const expected = dbRows();
    expect(expected).toHaveLength(INCIDENTS);
    const rows = parseBody(format, body);
    expect(rows).toHaveLength(INCIDENTS);
    expect(cursor.rows).toBe(INCIDENTS);
    // 10 pages of 500 in chunks of 3 pages: 4 parts; the 4th sees the end.
    expect(cursor.nextPart).toBe(4);
    expect(chunks).toBe(4);
    expect(rows.map((row) => row.sys_id)).toEqual(expected.map((row) => row.sys_id));
    for (const [i, row] of rows.entries()) {
      const want = expected[i];
      expect(row.number).toBe(want?.number);
      expect(row.short_description).toBe(want?.short_description);
      expect(row.sys_updated_on).toBe(want?.sys_updated_on);
      // excludeReferenceLink: references are plain sys_id strings in every format
      expect(row.caller_id).toBe(want?.caller_id ?? '');
    }
    if (format === 'csv') {
      const header = body.slice(0, body.indexOf('\n'));
      // no fields requested: sorted union of the first page's keys, header written once
      expect(header.split(',')).toEqual([...header.split(',')].sort());
      expect(body.split('\n').filter((line) => line === header)).toHaveLength(1);
    }
  });

  it('never depends on sys_updated_on: rows sharing one second are neither skipped nor repeated', async () => {
    const seconds = new Map<string, number>();
    for (const row of dbRows())
      seconds.set(String(row.sys_updated_on), (seconds.get(String(row.sys_updated_on)) ?? 0) + 1);
    // precondition: the generated data has many rows in one second
    expect(Math.max(...seconds.values())).toBeGreaterThan(1);
    const { body } = await download(
      { id: newJobId(), table: 'incident', encodedQuery: '', format: 'jsonl', pageSize: 7 },
      1000,
    );
    const ids = parseBody('jsonl', body).map((row) => row.sys_id);
    expect(new Set(ids).size).toBe(INCIDENTS);
    expect(ids).toHaveLength(INCIDENTS);
  });
});

describe('resuming after a crash', () => {
  it('resumes from the last committed cursor without duplicate or missing rows', async () => {
    let calls = 0;
    let failAt = 5; // the 2nd page of the 2nd chunk (chunks of 3 pages)
    const flaky: ServiceNowClient = {
      ...client,
      list: async (table, params) => {
        calls++;
        if (calls === failAt) throw new Error('Lambda timed out');
        return client.list(table, params);
      },
    };
    const job: DownloadJob = {
      id: newJobId(),
      table: 'incident',
      encodedQuery: '',
      format: 'json',
      pageSize: 500,
    };
    const first = await runDownloadChunk({
      client: flaky,
      blobStore,
      job,
      cursor: INITIAL_DOWNLOAD_CURSOR,
      maxPages: 3,
    });
    expect(first).toMatchObject({ part: 0, rows: 1500, done: false });
    const committed = first.cursor;
    await expect(
      runDownloadChunk({ client: flaky, blobStore, job, cursor: committed, maxPages: 3 }),
    ).rejects.toThrow('Lambda timed out');
    // A crash AFTER the part was written but BEFORE the commit: the result is discarded.
    failAt = -1;
    const lost = await runDownloadChunk({ client: flaky, blobStore, job, cursor: committed, maxPages: 3 });
    expect(lost.part).toBe(1);
    // Resume from the committed cursor: the same part number is rewritten.
    let cursor = committed;
    for (;;) {
      const result = await runDownloadChunk({ client: flaky, blobStore, job, cursor, maxPages: 3 });
      cursor = result.cursor;
      if (result.done) break;
    }
    expect(cursor).toMatchObject({ nextPart: 4, rows: INCIDENTS });
    const { key } = await assembleDownload(blobStore, job.id, cursor, 'json');
    const ids = parseBody('json', await text(key)).map((row) => row.sys_id);
    expect(ids).toEqual(dbRows().map((row) => row.sys_id));
  });
});

describe('where and fields', () => {
  it('downloads the rows of a CEQL where with only the selected fields', async () => {
    const catalog = fieldCatalogFor(await loadTableMetadata(client, 'incident', new MetadataCache()));
    const encodedQuery = ceqlToEncodedQuery(
      { where: "(priority = '1' and active = 'true') or (impact = '1' and urgency = '2')" },
      { fields: catalog },
    );
    expect(encodedQuery).toContain('^NQ');
    const expected = dbRows(encodedQuery);
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.length).toBeLessThan(INCIDENTS);
    const fields = ['number', 'priority', 'short_description'];
    for (const format of ['csv', 'jsonl', 'json'] as const) {
      const job: DownloadJob = {
        id: newJobId(),
        table: 'incident',
        encodedQuery,
        fields,
        format,
        pageSize: 100,
      };
      const { body } = await download(job, 2);
      const rows = parseBody(format, body);
      expect(rows).toEqual(
        expected.map((row) => ({
          number: row.number,
          priority: row.priority,
          short_description: row.short_description,
        })),
      );
      if (format === 'csv') expect(body.startsWith('number,priority,short_description\n')).toBe(true);
    }
  });

  it('writes no part for an empty result and still produces a valid file', async () => {
    const job: DownloadJob = {
      id: newJobId(),
      table: 'incident',
      encodedQuery: 'number=NOPE',
      fields: ['number'],
      format: 'json',
    };
    const result = await runDownloadChunk({ client, blobStore, job, cursor: INITIAL_DOWNLOAD_CURSOR });
    expect(result).toMatchObject({ done: true, rows: 0, part: undefined });
    expect(await blobStore.head(partKey(job.id, 0))).toBeUndefined();
    const { key } = await assembleDownload(blobStore, job.id, result.cursor, 'json');
    expect(JSON.parse(await text(key))).toEqual([]);
    const { key: csvKey } = await assembleDownload(blobStore, job.id, result.cursor, 'csv');
    expect(await text(csvKey)).toBe('number\n');
  });
});

describe('streaming', () => {
  it('pulls pages from ServiceNow only as the part writer consumes the stream', async () => {
    let calls = 0;
    const counting: ServiceNowClient = {
      ...client,
      list: async (table, params) => {
        calls++;
        return client.list(table, params);
      },
    };
    const seen: number[] = [];
    let bytes = 0;
    const lazyStore: BlobStore = {
      ...blobStore,
      put: async (key, body) => {
        seen.push(calls); // before reading anything
        for await (const chunk of body as Readable) {
          bytes += (chunk as Buffer).length;
          seen.push(calls);
        }
        return { key };
      },
    };
    const job: DownloadJob = {
      id: newJobId(),
      table: 'incident',
      encodedQuery: '',
      format: 'jsonl',
      pageSize: 200,
    };
    const result = await runDownloadChunk({
      client: counting,
      blobStore: lazyStore,
      job,
      cursor: INITIAL_DOWNLOAD_CURSOR,
      maxPages: 5,
    });
    expect(result.rows).toBe(1000);
    expect(calls).toBe(5);
    expect(bytes).toBeGreaterThan(0);
    // Only the first page was read when the upload started; later pages arrived while it was reading.
    expect(seen[0]).toBe(1);
    expect(seen[1]).toBeLessThanOrEqual(2);
    expect(seen.at(-1)).toBe(5);
  });
});

describe('keyset query and partitions', () => {
  it('puts the sys_id bound into every ^NQ group and orders by sys_id', () => {
    expect(keysetQuery('', undefined)).toBe('ORDERBYsys_id');
    expect(keysetQuery('active=true', 'abc')).toBe('sys_id>abc^active=true^ORDERBYsys_id');
    expect(keysetQuery('a=1^NQb=2^ORc=3', 'abc', { from: '40', to: '80' })).toBe(
      'sys_id>abc^sys_id>=40^sys_id<80^a=1^NQsys_id>abc^sys_id>=40^sys_id<80^b=2^ORc=3^ORDERBYsys_id',
    );
    expect(() => keysetQuery('a=1^ORDERBYnumber', undefined)).toThrow(/ORDERBY/);
    expect(() => keysetQuery('', 'x^NQ')).toThrow();
  });

  it('parallel sys_id partitions together return every row exactly once', async () => {
    const ranges = sysIdPartitions(4);
    expect(ranges[0]).toEqual({ to: '40' });
    expect(ranges[3]).toEqual({ from: 'c0' });
    const parts = await Promise.all(
      ranges.map((range) =>
        download(
          {
            id: newJobId(),
            table: 'incident',
            encodedQuery: '',
            fields: ['sys_id'],
            format: 'jsonl',
            pageSize: 1000,
            range,
          },
          10,
        ),
      ),
    );
    const ids = parts.flatMap((part) => parseBody('jsonl', part.body).map((row) => row.sys_id));
    expect(ids.sort()).toEqual(dbRows().map((row) => row.sys_id));
    for (const part of parts) expect(part.cursor.rows).toBeGreaterThan(0);
  });
});

describe('chunk bounds and formats', () => {
  it('starts no new page after the deadline, and the next chunk continues where it stopped', async () => {
    let time = 0;
    const job: DownloadJob = {
      id: newJobId(),
      table: 'incident',
      encodedQuery: '',
      format: 'jsonl',
      pageSize: 100,
    };
    const first = await runDownloadChunk({
      client,
      blobStore,
      job,
      cursor: INITIAL_DOWNLOAD_CURSOR,
      maxPages: 50,
      deadline: 2,
      now: () => ++time,
    });
    // now() is 1 after page 1 (< deadline), 2 after page 2 (reached): two pages read
    expect(first).toMatchObject({ rows: 200, done: false, part: 0 });
    const second = await runDownloadChunk({ client, blobStore, job, cursor: first.cursor, maxPages: 1 });
    const ids = [
      ...parseBody('jsonl', await text(partKey(job.id, 0))),
      ...parseBody('jsonl', await text(partKey(job.id, 1))),
    ].map((row) => row.sys_id);
    expect(second.cursor.rows).toBe(300);
    expect(ids).toEqual(
      dbRows()
        .slice(0, 300)
        .map((row) => row.sys_id),
    );
  });

  it('accepts the CE format names, including the documented txt/csv', () => {
    expect(parseDownloadFormat('txt/csv')).toBe('csv');
    expect(parseDownloadFormat('text/csv')).toBe('csv');
    expect(parseDownloadFormat('application/jsonl')).toBe('jsonl');
    expect(parseDownloadFormat('application/json')).toBe('json');
    expect(() => parseDownloadFormat('application/xml')).toThrow(/Unsupported bulk format/);
  });
});
