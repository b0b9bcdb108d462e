import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBlobStore } from '../../shared/adapters/local';
import {
  carryKey,
  completeDownload,
  type DownloadCursor,
  type DownloadFormat,
  type DownloadJob,
  INITIAL_DOWNLOAD_CURSOR,
  keysetQuery,
  parseDownloadFormat,
  planPartitions,
  resultKey,
  runDownloadChunk,
} from '../../shared/bulk/download';
import { ceqlToEncodedQuery } from '../../shared/ceql';
import { fieldCatalogFor, loadTableMetadata, MetadataCache } from '../../shared/hub/metadata';
import type { BlobStore } from '../../shared/ports/blob-store';
import type { ServiceNowClient } from '../../shared/servicenow';
import type { SimulatorHandle } from '../simulator';
import { blobText, type EngineFixture, startEngineFixture } from './engine-fixture';

const INCIDENTS = 5000;
let fixture: EngineFixture;
let sim: SimulatorHandle;
let client: ServiceNowClient;
let blobStore: BlobStore;
let jobCounter = 0;
const newJobId = () => `job-${++jobCounter}`;
/** A job over the whole incident table. */
const wholeTableJob = (format: DownloadFormat, pageSize: number): DownloadJob => ({
  id: newJobId(),
  table: 'incident',
  encodedQuery: '',
  format,
  pageSize,
});

beforeAll(async () => {
  // Parts of any size: these tests cut a few thousand rows into many chunks. S3's 5 MiB minimum is
  // exercised by the part-size tests below and by the blob store contract.
  fixture = await startEngineFixture({ seed: 7, incidents: INCIDENTS, users: 50, minPartBytes: 1 });
  ({ sim, client, blobStore } = fixture);
});
afterAll(() => fixture.close());

/** The simulator's rows for an encoded query, in sys_id order: the ground truth. */
const dbRows = (query = '') =>
  sim.db.query('incident', {
    query: [query, 'ORDERBYsys_id'].filter(Boolean).join('^'),
    limit: 1_000_000,
    offset: 0,
  }).rows;

const text = (key: string, store: BlobStore = blobStore) => blobText(store, key);

/** Plays the caller: runs chunks from `cursor` until done, committing the returned cursor after each. */
const runToEnd = async (
  job: DownloadJob,
  cursor: DownloadCursor,
  maxPages: number,
  c: ServiceNowClient = client,
  store: BlobStore = blobStore,
) => {
  let chunks = 0;
  for (;;) {
    const result = await runDownloadChunk({ client: c, blobStore: store, job, cursor, maxPages });
    cursor = result.cursor;
    chunks++;
    if (result.done) return { cursor, chunks };
  }
};

/** A whole download: every chunk, then the completion; the file's text. */
const download = async (
  job: DownloadJob,
  maxPages = 3,
  c: ServiceNowClient = client,
  store: BlobStore = blobStore,
) => {
  const { cursor, chunks } = await runToEnd(job, INITIAL_DOWNLOAD_CURSOR, maxPages, c, store);
  const { key } = await completeDownload(store, job, cursor);
  return { body: await text(key, store), cursor, chunks };
};

/** A client on a clock that moves one tick per page read, for deadlines without real time. */
const ticking = () => {
  let time = 0;
  const counting: ServiceNowClient = {
    ...client,
    list: async (table, params) => {
      time++;
      return client.list(table, params);
    },
  };
  return { client: counting, now: () => time };
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
    const job = wholeTableJob(format, 500);
    const { body, cursor, chunks } = await download(job, 3);
    const expected = dbRows();
    expect(expected).toHaveLength(INCIDENTS);
    const rows = parseBody(format, body);
    expect(rows).toHaveLength(INCIDENTS);
    expect(cursor.rows).toBe(INCIDENTS);
    // 10 pages of 500 in chunks of 3 pages: 4 chunks; the 4th sees the end. Parts of any size here, so
    // every page is a part (plus one for the JSON array's closing bracket).
    expect(chunks).toBe(4);
    expect(cursor.chunks).toBe(4);
    expect(cursor.nextPart).toBe(format === 'json' ? 11 : 10);
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
    const job = wholeTableJob('json', 500);
    const first = await runDownloadChunk({
      client: flaky,
      blobStore,
      job,
      cursor: INITIAL_DOWNLOAD_CURSOR,
      maxPages: 3,
    });
    expect(first).toMatchObject({ part: 3, rows: 1500, done: false });
    const committed = first.cursor;
    await expect(
      runDownloadChunk({ client: flaky, blobStore, job, cursor: committed, maxPages: 3 }),
    ).rejects.toThrow('Lambda timed out');
    // A crash AFTER the part was written but BEFORE the commit: the result is discarded.
    failAt = -1;
    const lost = await runDownloadChunk({ client: flaky, blobStore, job, cursor: committed, maxPages: 3 });
    expect(lost.part).toBe(6);
    // Resume from the committed cursor: the same part number is uploaded again (S3 keeps the latest).
    const { cursor } = await runToEnd(job, committed, 3, flaky);
    expect(cursor).toMatchObject({ nextPart: 11, chunks: 4, rows: INCIDENTS });
    const { key } = await completeDownload(blobStore, job, cursor);
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

  it.each([
    ['json', '[\n\n]\n'],
    ['csv', 'number\n'],
    ['jsonl', ''],
  ] as const)(
    'writes an empty result as a valid %s file in one put, without a multipart upload',
    async (format, expected) => {
      const job: DownloadJob = {
        id: newJobId(),
        table: 'incident',
        encodedQuery: 'number=NOPE',
        fields: ['number'],
        format,
      };
      const result = await runDownloadChunk({ client, blobStore, job, cursor: INITIAL_DOWNLOAD_CURSOR });
      expect(result).toMatchObject({ done: true, rows: 0, part: undefined });
      expect(result.cursor.uploadId).toBeUndefined();
      const { key } = await completeDownload(blobStore, job, result.cursor);
      expect(await text(key)).toBe(expected);
      if (format === 'json') expect(JSON.parse(await text(key))).toEqual([]);
    },
  );
});

describe('parts', () => {
  /** A store that records every part upload and refuses parts under `minPartBytes` at completion, like S3. */
  const partStore = async (minPartBytes: number) => {
    const dir = await mkdtemp(join(tmpdir(), 'bulk-parts-'));
    const inner = createLocalBlobStore({ dataDir: dir, minPartBytes });
    const uploads: { partNumber: number; bytes: number }[] = [];
    const store: BlobStore = {
      ...inner,
      minPartBytes,
      uploadPart: async (key, uploadId, partNumber, body) => {
        uploads.push({ partNumber, bytes: body.length });
        return inner.uploadPart(key, uploadId, partNumber, body);
      },
    };
    return { store, uploads, close: () => rm(dir, { recursive: true, force: true }) };
  };

  it('uploads one part per chunk, each at least the least part size but the last, and completes the file', async () => {
    const { store, uploads, close } = await partStore(100_000);
    try {
      const job = wholeTableJob('csv', 100);
      // Two pages per chunk are far below 100 kB: each chunk reads on until its part reaches it.
      const { body, cursor, chunks } = await download(job, 2, client, store);
      expect(uploads.map((u) => u.partNumber)).toEqual(uploads.map((_, i) => i + 1));
      expect(uploads.length).toBe(chunks);
      expect(uploads.length).toBeGreaterThan(2);
      for (const upload of uploads.slice(0, -1)) {
        expect(upload.bytes).toBeGreaterThanOrEqual(100_000);
        // ...but stops at the first page that reaches it (a page of 100 rows is well under 100 kB).
        expect(upload.bytes).toBeLessThan(200_000);
      }
      expect(cursor.nextPart).toBe(uploads.length);
      expect(Buffer.byteLength(body)).toBe(uploads.reduce((sum, u) => sum + u.bytes, 0));
      const rows = parseBody('csv', body);
      expect(rows.map((row) => row.sys_id)).toEqual(dbRows().map((row) => row.sys_id));
    } finally {
      await close();
    }
  });

  it('completes with the part uploaded last when two deliveries of one chunk race', async () => {
    const job = wholeTableJob('json', 1000);
    const first = await runDownloadChunk({
      client,
      blobStore,
      job,
      cursor: INITIAL_DOWNLOAD_CURSOR,
      maxPages: 2,
    });
    // Both deliveries run from the same committed cursor and upload parts 3 and 4; only one commits.
    const [a, b] = await Promise.all([
      runDownloadChunk({ client, blobStore, job, cursor: first.cursor, maxPages: 2 }),
      runDownloadChunk({ client, blobStore, job, cursor: first.cursor, maxPages: 2 }),
    ]);
    expect(a.part).toBe(4);
    expect(b.cursor).toEqual(a.cursor);
    const { cursor } = await runToEnd(job, a.cursor, 2);
    const { key } = await completeDownload(blobStore, job, cursor);
    expect(parseBody('json', await text(key)).map((row) => row.sys_id)).toEqual(
      dbRows().map((row) => row.sys_id),
    );
    // Completing again (a redelivered `complete` message after a lost commit) is a no-op.
    await expect(completeDownload(blobStore, job, cursor)).resolves.toEqual({ key });
  });

  it('carries bytes a deadline left under the least part size into the next chunk', async () => {
    const { store, uploads, close } = await partStore(1_000_000);
    try {
      const job = wholeTableJob('jsonl', 200);
      // Every page read takes one tick; each chunk may start pages until its deadline tick.
      const clock = ticking();
      let cursor: DownloadCursor = INITIAL_DOWNLOAD_CURSOR;
      const results = [];
      for (;;) {
        const result = await runDownloadChunk({
          client: clock.client,
          blobStore: store,
          job,
          cursor,
          maxPages: 50,
          deadline: clock.now() + 2,
          now: clock.now,
        });
        results.push(result);
        cursor = result.cursor;
        if (result.done) break;
      }
      // Every chunk stops after 2 pages (400 rows); under 1 MB they wait in a carry object, and the chunk
      // whose bytes (carried + its own) reach 1 MB uploads them as one part.
      for (const result of results.slice(0, -1)) expect(result.rows).toBe(400);
      expect(results[0]).toMatchObject({ part: undefined, done: false });
      expect(results[0]?.cursor.carry).toBeGreaterThan(0);
      expect(results[0]?.cursor.carry).toBeLessThan(1_000_000);
      expect(await store.head(carryKey(job.id, 0))).toMatchObject({ size: results[0]?.cursor.carry });
      const firstPart = results.findIndex((result) => result.part === 1);
      expect(firstPart).toBeGreaterThan(0);
      expect(uploads.length).toBeGreaterThan(1);
      for (const upload of uploads.slice(0, -1)) expect(upload.bytes).toBeGreaterThanOrEqual(1_000_000);
      const { key } = await completeDownload(store, job, cursor);
      expect(key).toBe(resultKey(job.id, 'jsonl'));
      const ids = parseBody('jsonl', await text(key, store)).map((row) => row.sys_id);
      expect(ids).toEqual(dbRows().map((row) => row.sys_id));
    } finally {
      await close();
    }
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

  it('planned sys_id partitions split the rows evenly and together return every row exactly once', async () => {
    const base = { table: 'incident', encodedQuery: '', fields: ['sys_id'], format: 'jsonl' as const };
    const { ranges } = await planPartitions({
      client,
      job: { id: newJobId(), ...base },
      requested: 4,
      total: INCIDENTS,
      minStreamBytes: 1,
    });
    expect(ranges).toHaveLength(4);
    expect(ranges[0]?.from).toBeUndefined();
    expect(ranges[3]?.to).toBeUndefined();
    const parts = await Promise.all(
      ranges.map((range) => download({ id: newJobId(), ...base, pageSize: 1000, range }, 10)),
    );
    const ids = parts.flatMap((part) => parseBody('jsonl', part.body).map((row) => row.sys_id));
    expect(ids.sort()).toEqual(dbRows().map((row) => row.sys_id));
    for (const part of parts) expect(Math.abs(part.cursor.rows - INCIDENTS / 4)).toBeLessThanOrEqual(1);
  });
});

describe('chunk bounds and formats', () => {
  it('starts no new page after the deadline, and the next chunk continues where it stopped', async () => {
    const clock = ticking();
    const job = wholeTableJob('jsonl', 100);
    const first = await runDownloadChunk({
      client: clock.client,
      blobStore,
      job,
      cursor: INITIAL_DOWNLOAD_CURSOR,
      maxPages: 50,
      deadline: 2,
      now: clock.now,
    });
    // Page 1 is read at tick 1; page 2, read ahead before the deadline, is written; no page 3 starts.
    expect(first).toMatchObject({ rows: 200, done: false, part: 2 });
    expect(clock.now()).toBe(2);
    const second = await runDownloadChunk({ client, blobStore, job, cursor: first.cursor, maxPages: 1 });
    expect(second.cursor.rows).toBe(300);
    const { cursor } = await runToEnd(job, second.cursor, 20);
    const { key } = await completeDownload(blobStore, job, cursor);
    expect(parseBody('jsonl', await text(key)).map((row) => row.sys_id)).toEqual(
      dbRows().map((row) => row.sys_id),
    );
  });

  it('ends a chunk at the first part boundary after its length in time (endAfter)', async () => {
    const clock = ticking();
    const job = wholeTableJob('jsonl', 100);
    const first = await runDownloadChunk({
      client: clock.client,
      blobStore,
      job,
      cursor: INITIAL_DOWNLOAD_CURSOR,
      endAfter: 3,
      now: clock.now,
    });
    // Pages 1 and 2 are written; page 3, read ahead as the clock reached 3, is dropped and read again.
    expect(first).toMatchObject({ rows: 200, done: false });
    expect(clock.now()).toBe(3);
    const { cursor } = await runToEnd(job, first.cursor, 10);
    const { key } = await completeDownload(blobStore, job, cursor);
    expect(parseBody('jsonl', await text(key)).map((row) => row.sys_id)).toEqual(
      dbRows().map((row) => row.sys_id),
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
