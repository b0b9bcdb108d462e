import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalQueue, type LocalQueue, type LocalStateTable } from '../../shared/adapters/local';
import {
  type BulkJob,
  type BulkMessage,
  bulkMessage,
  ClaimedByLiveWorkerError,
  createJob,
  errorReportKey,
  getJob,
  listJobs,
  type ProcessBulkDeps,
  processBulkMessage,
  requestCancel,
  updateJob,
} from '../../shared/bulk/jobs';
import { type BlobStore, NoSuchUploadError, type StateTable } from '../../shared/ports';
import type { ServiceNowClient } from '../../shared/servicenow';
import type { SimulatorHandle } from '../simulator';
import {
  blobText,
  bulkQueueWorker,
  createIncidentDownload,
  type EngineFixture,
  startEngineFixture,
  withUpdate,
} from './engine-fixture';

const INCIDENTS = 3000;
const INSTANCE = 'inst-1';
let fixture: EngineFixture;
let sim: SimulatorHandle;
let client: ServiceNowClient;
let blobStore: BlobStore;
let table: LocalStateTable;

beforeAll(async () => {
  // Parts of any size, so 3,000 rows make many chunks (S3's 5 MiB minimum: blob store contract tests).
  fixture = await startEngineFixture({ seed: 3, incidents: INCIDENTS, minPartBytes: 1 });
  ({ sim, client, blobStore, table } = fixture);
});
afterAll(() => fixture.close());

const text = (key: string) => blobText(blobStore, key);

/**
 * The worker's queue, one message at a time. `before` runs ahead of each message (to inject duplicates
 * or cancels); `stateTable` can be wrapped to crash.
 */
const worker = (
  options: {
    stateTable?: StateTable;
    before?: (message: BulkMessage) => Promise<void>;
    /** Run every delivery twice at the same time (SQS at-least-once delivery can do this). */
    concurrentDuplicates?: boolean;
    client?: ServiceNowClient;
    deps?: Partial<ProcessBulkDeps>;
  } = {},
) =>
  bulkQueueWorker(
    {
      stateTable: options.stateTable ?? table,
      blobStore,
      clientFor: () => options.client ?? client,
      now: Date.now,
      deadlineMs: 10_000,
      maxPagesPerChunk: 2,
      cancelCheckEvery: 20,
      ...options.deps,
    },
    {
      name: 'bulk',
      maxReceiveCount: 5,
      concurrency: 1,
      ...(options.before === undefined ? {} : { before: options.before }),
      ...(options.concurrentDuplicates
        ? {
            process: async (message, deps) => {
              await Promise.all([processBulkMessage(message, deps), processBulkMessage(message, deps)]);
            },
          }
        : {}),
    },
  );

const newDownload = (pageSize = 100) =>
  createIncidentDownload(table, INSTANCE, { encodedQuery: '', format: 'jsonl', pageSize });

/** An upload job of the JSON lines file at `blobKey` (already stored). */
const newUpload = (blobKey: string, identifierField?: string) =>
  createJob(
    table,
    {
      instanceId: INSTANCE,
      direction: 'upload',
      objectName: 'incidents',
      table: 'incident',
      upload: { blobKey, format: 'jsonl', ...(identifierField === undefined ? {} : { identifierField }) },
    },
    Date.now,
  );

/**
 * Leaves `job` as a worker that died in its first segment leaves it: RUNNING, segment 0 claimed, and
 * the record untouched for 10 minutes (past the 5-minute staleness).
 */
const diedInFirstSegment = (job: BulkJob, handled: number, startedAt = new Date()) =>
  updateJob(
    table,
    job,
    {
      status: 'RUNNING',
      startedAt: startedAt.toISOString(),
      recordsCount: handled,
      upload: { ...(job.upload as NonNullable<BulkJob['upload']>), claimed: 0 },
    },
    () => Date.now() - 10 * 60_000,
  );

const deliverUpload = async (jobId: string) => {
  const w = worker({ deps: { uploadBatchSize: 20 } });
  await w.queue.sendBatch([bulkMessage({ jobId, instanceId: INSTANCE, kind: 'upload', chunk: 0 })]);
  await w.queue.drain();
  await w.queue.close();
  return getJob(table, INSTANCE, jobId);
};

const start = (queue: LocalQueue, jobId: string) =>
  queue.sendBatch([bulkMessage({ jobId, instanceId: INSTANCE, kind: 'download-chunk' })]);

const downloadedIds = async (jobId: string) => {
  const job = await getJob(table, INSTANCE, jobId);
  const key = job?.download?.resultKey;
  if (key === undefined) throw new Error('no result');
  const lines = (await text(key)).split('\n').filter(Boolean);
  return lines.map((line) => (JSON.parse(line) as { sys_id: string }).sys_id);
};

/** The job COMPLETED with every incident in its file exactly once. */
const expectEveryIncidentOnce = async (jobId: string) => {
  const done = await getJob(table, INSTANCE, jobId);
  expect(done?.status).toBe('COMPLETED');
  expect(done?.recordsCount).toBe(INCIDENTS);
  const ids = await downloadedIds(jobId);
  expect(ids).toHaveLength(INCIDENTS);
  expect(new Set(ids).size).toBe(INCIDENTS);
};

describe('bulk download jobs', () => {
  it('downloads 3,000 rows in chunks with the exact count and no duplicates', async () => {
    const job = await newDownload();
    const { queue, handled } = worker();
    await start(queue, job.id);
    await queue.drain();
    await queue.close();
    await expectEveryIncidentOnce(job.id);
    expect(handled.length).toBeGreaterThan(10); // 100 rows x 2 pages per chunk
    // One object left: the result (the multipart upload was completed, nothing else was written).
    expect((await blobStore.list(`jobs/${job.id}/`)).items.map((item) => item.key)).toEqual([
      `jobs/${job.id}/result.jsonl`,
    ]);
  });

  it('survives a worker crash between writing a part and committing it', async () => {
    const job = await newDownload();
    let crashes = 0;
    const crashing = withUpdate(table, async (key, set, o) => {
      const cursor = (set.download as { cursor?: { chunks?: number } } | undefined)?.cursor;
      if (crashes < 2 && cursor !== undefined && cursor.chunks === 3 + crashes * 4) {
        crashes++;
        throw new Error('worker crashed');
      }
      return table.update(key, set, o);
    });
    const { queue } = worker({ stateTable: crashing });
    await start(queue, job.id);
    await queue.drain();
    await queue.close();
    expect(crashes).toBe(2);
    await expectEveryIncidentOnce(job.id);
  });

  it('ignores duplicate deliveries of the same chunk message', async () => {
    const job = await newDownload(300);
    const sent = new Set<number>();
    const w = worker({
      concurrentDuplicates: true,
      // ...and every chunk message is also delivered once more later, after its commit.
      before: async (message) => {
        const part = message.chunk ?? 0;
        if (!sent.has(part)) {
          sent.add(part);
          await w.queue.sendBatch([bulkMessage(message)]);
        }
      },
    });
    await start(w.queue, job.id);
    await w.queue.drain();
    await w.queue.close();
    await expectEveryIncidentOnce(job.id);
    // 3,000 rows / (300 x 2) = 5 chunks + 1 empty tail, each delivered twice, each delivery run as a pair: a
    // duplicate that committed too would enqueue a second chain and the count would keep growing. The
    // final `complete` message adds its own pair.
    expect(w.handled.length).toBeLessThanOrEqual(2 * 6 + 2);
  });

  it('acknowledges a stale message for a part already committed without doing work', async () => {
    const job = await newDownload();
    const w = worker();
    await w.queue.close();
    // A queue nobody consumes: the test drives processBulkMessage itself and inspects what was sent.
    const queue = createLocalQueue({ name: 'idle' });
    const deps = { ...w.deps, queue };
    const message: BulkMessage = { jobId: job.id, instanceId: INSTANCE, kind: 'download-chunk', chunk: 0 };
    await processBulkMessage(message, deps);
    const committed = await getJob(table, INSTANCE, job.id);
    expect(committed?.download?.cursor.chunks).toBe(1);
    const requests = sim.requests.length;
    await processBulkMessage(message, deps);
    expect((await getJob(table, INSTANCE, job.id))?.download?.cursor).toEqual(committed?.download?.cursor);
    expect(sim.requests.length).toBe(requests);
    expect(queue.peek().map((m) => JSON.parse(m.body) as BulkMessage)).toEqual([{ ...message, chunk: 1 }]);
    await queue.close();
  });

  it('cancels a running download promptly and removes its parts', async () => {
    const job = await newDownload(50);
    const w = worker({
      before: async (message) => {
        if ((message.chunk ?? 0) === 2) await requestCancel(table, INSTANCE, message.jobId, Date.now);
      },
    });
    await start(w.queue, job.id);
    await w.queue.drain();
    await w.queue.close();
    const done = await getJob(table, INSTANCE, job.id);
    expect(done?.status).toBe('CANCELLED');
    expect(done?.recordsCount).toBeLessThan(INCIDENTS);
    expect(w.handled).toHaveLength(3); // chunks 0 and 1, then the message that saw the cancel
    expect((await blobStore.list(`jobs/${job.id}/`)).items).toHaveLength(0);
    // The multipart upload is gone too: its id no longer takes parts.
    const uploadId = done?.download?.cursor.uploadId;
    expect(uploadId).toBeDefined();
    await expect(
      blobStore.uploadPart(`jobs/${job.id}/result.jsonl`, uploadId ?? '', 9, Buffer.from('x')),
    ).rejects.toThrow(NoSuchUploadError);
  });

  it('stops a chunk at the page read after a cancel request and drops the upload it started', async () => {
    const job = await newDownload(50);
    let reads = 0;
    const cancelling: ServiceNowClient = {
      ...client,
      list: async (name, params) => {
        reads++;
        if (reads === 3) await requestCancel(table, INSTANCE, job.id, Date.now);
        return client.list(name, params);
      },
    };
    const started: string[] = [];
    const recording: BlobStore = {
      ...blobStore,
      minPartBytes: blobStore.minPartBytes,
      createMultipartUpload: async (key, o) => {
        const created = await blobStore.createMultipartUpload(key, o);
        started.push(created.uploadId);
        return created;
      },
    };
    // One chunk could read every page; the cancel check runs beside every page read.
    const w = worker({
      client: cancelling,
      deps: { maxPagesPerChunk: 100, cancelCheckMs: 0, blobStore: recording },
    });
    await start(w.queue, job.id);
    await w.queue.drain();
    await w.queue.close();
    const done = await getJob(table, INSTANCE, job.id);
    expect(done?.status).toBe('CANCELLED');
    expect(w.handled).toHaveLength(1);
    // Page 3's read ran beside the check that saw the cancel; page 4's check stopped the chunk.
    expect(reads).toBeLessThanOrEqual(4);
    expect(done?.recordsCount).toBe(0); // nothing was committed
    expect((await blobStore.list(`jobs/${job.id}/`)).items).toHaveLength(0);
    // The parts uploaded mid-chunk went with their upload.
    expect(started).toHaveLength(1);
    await expect(
      blobStore.uploadPart(`jobs/${job.id}/result.jsonl`, started[0] ?? '', 9, Buffer.from('x')),
    ).rejects.toThrow(NoSuchUploadError);
  });

  it('cancels a job that has not started at once', async () => {
    const job = await newDownload();
    expect((await requestCancel(table, INSTANCE, job.id, Date.now))?.status).toBe('CANCELLED');
    const { queue, handled } = worker();
    await start(queue, job.id);
    await queue.drain();
    await queue.close();
    expect(handled).toHaveLength(1);
    expect((await getJob(table, INSTANCE, job.id))?.recordsCount).toBe(0);
  });
});

describe('bulk upload jobs', () => {
  it('uploads 500 rows, reports the 3 bad ones and completes', async () => {
    const lines = Array.from({ length: 500 }, (_, i) =>
      [99, 250, 431].includes(i)
        ? '{"short_description": broken'
        : JSON.stringify({ short_description: `bulk-up-${i}` }),
    );
    const blobKey = 'uploads/test-500.jsonl';
    await blobStore.put(blobKey, `${lines.join('\n')}\n`);
    const before = sim.db.query('incident', {
      query: 'short_descriptionSTARTSWITHbulk-up-',
      limit: 10_000,
      offset: 0,
    });
    expect(before.rows).toHaveLength(0);
    const job = await newUpload(blobKey);
    const { queue } = worker();
    await queue.sendBatch([bulkMessage({ jobId: job.id, instanceId: INSTANCE, kind: 'upload' })]);
    await queue.drain();
    await queue.close();
    const done = await getJob(table, INSTANCE, job.id);
    expect(done?.status).toBe('COMPLETED');
    expect(done?.recordsCount).toBe(500);
    expect(done?.recordsFailedCount).toBe(3);
    expect(done?.upload?.errorReportKeys).toEqual([errorReportKey(job.id, 0)]);
    const report = (await text(errorReportKey(job.id, 0)))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { rowNumber: number });
    expect(report.map((failure) => failure.rowNumber).sort((a, b) => a - b)).toEqual([100, 251, 432]);
    const after = sim.db.query('incident', {
      query: 'short_descriptionSTARTSWITHbulk-up-',
      limit: 10_000,
      offset: 0,
    });
    expect(after.rows).toHaveLength(497);
  });
});

describe('bulk uploads in segments', () => {
  it('splits an upload at its deadline into segments that write every row exactly once', async () => {
    const rows = 730;
    const bad = [5, 180, 181, 600];
    const lines = Array.from({ length: rows }, (_, i) =>
      bad.includes(i + 1)
        ? '{"short_description": broken'
        : JSON.stringify({ short_description: `seg-up-${i + 1}` }),
    );
    const blobKey = 'uploads/segments.jsonl';
    await blobStore.put(blobKey, `${lines.join('\n')}\n`);
    const job = await newUpload(blobKey);
    // A deadline already passed: every segment takes one batch of 50 rows (all its workers' first
    // batches at most), commits and queues the next.
    const w = worker({ deps: { deadlineMs: 0, uploadBatchSize: 50 } });
    await w.queue.sendBatch([bulkMessage({ jobId: job.id, instanceId: INSTANCE, kind: 'upload' })]);
    await w.queue.drain();
    await w.queue.close();
    const done = await getJob(table, INSTANCE, job.id);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: rows, recordsFailedCount: bad.length });
    const segments = w.handled.filter((message) => message.kind === 'upload');
    expect(segments.length).toBeGreaterThan(3);
    expect(segments.map((message) => message.chunk ?? 0)).toEqual(segments.map((_, i) => i));
    expect(done?.upload?.errorReportKeys).toHaveLength(segments.length);
    // Every good row exactly once, in ServiceNow.
    const written = sim.db
      .query('incident', { query: 'short_descriptionSTARTSWITHseg-up-', limit: 10_000, offset: 0 })
      .rows.map((row) => String(row.short_description));
    expect(written).toHaveLength(rows - bad.length);
    expect(new Set(written).size).toBe(rows - bad.length);
    // Every bad row reported once, with its own row number, across the segments' reports.
    const failures: number[] = [];
    for (const key of done?.upload?.errorReportKeys ?? []) {
      for (const line of (await text(key)).split('\n').filter(Boolean)) {
        failures.push((JSON.parse(line) as { rowNumber: number }).rowNumber);
      }
    }
    expect(failures.sort((a, b) => a - b)).toEqual(bad);
    expect(await blobStore.head(blobKey)).toBeUndefined();
  });

  it('acknowledges a redelivered segment that was already committed without writing again', async () => {
    const blobKey = 'uploads/segments-dup.jsonl';
    const lines = Array.from({ length: 120 }, (_, i) => JSON.stringify({ short_description: `dup-up-${i}` }));
    await blobStore.put(blobKey, `${lines.join('\n')}\n`);
    const job = await newUpload(blobKey);
    // Every message is delivered again after it ran, and twice at the same time.
    const replayed = new Set<number>();
    const w = worker({
      concurrentDuplicates: true,
      deps: { deadlineMs: 0, uploadBatchSize: 10 },
      before: async (message) => {
        const chunk = message.chunk ?? 0;
        if (!replayed.has(chunk)) {
          replayed.add(chunk);
          await w.queue.sendBatch([bulkMessage(message)]);
        }
      },
    });
    await w.queue.sendBatch([bulkMessage({ jobId: job.id, instanceId: INSTANCE, kind: 'upload' })]);
    await w.queue.drain();
    await w.queue.close();
    const done = await getJob(table, INSTANCE, job.id);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: 120, recordsFailedCount: 0 });
    const written = sim.db
      .query('incident', { query: 'short_descriptionSTARTSWITHdup-up-', limit: 10_000, offset: 0 })
      .rows.map((row) => String(row.short_description));
    expect(written.sort()).toEqual(
      lines.map((line) => (JSON.parse(line) as { short_description: string }).short_description).sort(),
    );
  });
});

describe('uploads whose worker died', () => {
  const rows = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) =>
      JSON.stringify({
        number: `${prefix}${String(i).padStart(4, '0')}`,
        short_description: `${prefix} row ${i}`,
      }),
    );
  const written = (prefix: string) =>
    sim.db.query('incident', { query: `numberSTARTSWITH${prefix}`, limit: 10_000, offset: 0 }).rows;

  /** A worker of another process claimed segment 0 a second ago, then was killed. */
  const claimedByKilledProcess = (job: BulkJob) =>
    updateJob(
      table,
      job,
      {
        status: 'RUNNING',
        startedAt: new Date().toISOString(),
        upload: {
          ...(job.upload as NonNullable<BulkJob['upload']>),
          claimed: 0,
          claimedBy: 'killed-process',
        },
      },
      Date.now,
    );

  it('ends an insert upload ABORTED with the rows ServiceNow holds: its rows in flight could be written twice', async () => {
    const blobKey = 'uploads/died-insert.jsonl';
    await blobStore.put(blobKey, `${rows('DIEDI', 100).join('\n')}\n`);
    const job = await newUpload(blobKey);
    // Later than any row of the seeded data or of the other tests, so only the rows below count.
    const startedAt = new Date(Date.now() + 3_600_000);
    await diedInFirstSegment(job, 40, startedAt);
    // The dead worker's last heartbeat said 40, but it wrote 55 rows before it died.
    const createdOn = startedAt.toISOString().slice(0, 19).replace('T', ' ');
    for (const line of rows('DIEDI', 55)) {
      sim.db.load('incident', { ...JSON.parse(line), sys_created_on: createdOn });
    }
    const done = await deliverUpload(job.id);
    expect(done).toMatchObject({ status: 'ABORTED', recordsCount: 55 });
    expect(done?.error).toMatch(/stopped after 55 rows/);
    expect(written('DIEDI')).toHaveLength(55); // nothing written by the redelivery
    expect(await blobStore.head(blobKey)).toBeUndefined();
  });

  it("finishes a cancel requested between reading a dead worker's job and ending it, so the job never stays CANCELLATION_PENDING", async () => {
    const blobKey = 'uploads/died-cancel.jsonl';
    await blobStore.put(blobKey, `${rows('DIEDC', 20).join('\n')}\n`);
    const job = await newUpload(blobKey);
    await claimedByKilledProcess(job);
    const deps = worker().deps;
    // The cancel lands right after the worker has read the job as RUNNING: the worker's ABORT then loses.
    let cancelled = false;
    const racingTable: StateTable = {
      ...table,
      get: async (key) => {
        const item = await table.get(key);
        if (!cancelled && key.pk === `BULK#${INSTANCE}` && item !== undefined) {
          cancelled = true;
          await requestCancel(table, INSTANCE, job.id, Date.now);
        }
        return item;
      },
    };
    const message = { jobId: job.id, instanceId: INSTANCE, kind: 'upload' as const, chunk: 0 };
    await processBulkMessage(message, {
      ...deps,
      stateTable: racingTable,
      soleWorker: true,
      workerId: 'this-process',
    });
    expect(cancelled).toBe(true);
    expect(await getJob(table, INSTANCE, job.id)).toMatchObject({ status: 'CANCELLED' });
  });

  it('retries a message whose segment a worker claimed moments ago instead of acknowledging it', async () => {
    const blobKey = 'uploads/died-fresh.jsonl';
    await blobStore.put(blobKey, `${rows('DIEDF', 100).join('\n')}\n`);
    const job = await newUpload(blobKey);
    await claimedByKilledProcess(job);
    const message = { jobId: job.id, instanceId: INSTANCE, kind: 'upload' as const, chunk: 0 };
    const deps = worker().deps;
    // While the claim is fresh the message must come back (a throw = redelivery), not be acknowledged.
    await expect(processBulkMessage(message, deps)).rejects.toThrow(ClaimedByLiveWorkerError);
    expect((await getJob(table, INSTANCE, job.id))?.status).toBe('RUNNING');
    // The only worker of its queue (local mode) knows that claim is a dead process's at once.
    await processBulkMessage(message, { ...deps, soleWorker: true, workerId: 'this-process' });
    expect((await getJob(table, INSTANCE, job.id))?.status).toBe('ABORTED');
    // A later receive, once stale, would have done the same.
    const again = await newUpload(blobKey);
    await diedInFirstSegment(again, 0);
    await processBulkMessage({ ...message, jobId: again.id }, deps);
    expect((await getJob(table, INSTANCE, again.id))?.status).toBe('ABORTED');
  });

  it('cancels an upload whose worker died: CANCELLATION_PENDING reaches CANCELLED with the rows written', async () => {
    const blobKey = 'uploads/died-cancel.jsonl';
    await blobStore.put(blobKey, `${rows('DIEDC', 100).join('\n')}\n`);
    const job = await newUpload(blobKey);
    const startedAt = new Date(Date.now() + 7_200_000);
    await diedInFirstSegment(job, 10, startedAt);
    const createdOn = startedAt.toISOString().slice(0, 19).replace('T', ' ');
    for (const line of rows('DIEDC', 30)) {
      sim.db.load('incident', { ...JSON.parse(line), sys_created_on: createdOn });
    }
    expect((await requestCancel(table, INSTANCE, job.id, Date.now))?.status).toBe('CANCELLATION_PENDING');
    const done = await deliverUpload(job.id);
    expect(done).toMatchObject({ status: 'CANCELLED', recordsCount: 30 });
  });

  it('runs a dead upsert segment again: every record once, the ones written before updated in place', async () => {
    const blobKey = 'uploads/died-upsert.jsonl';
    const lines = rows('DIEDU', 100);
    await blobStore.put(blobKey, `${lines.join('\n')}\n`);
    // What the dead worker had written: the first 40 records, with an older text.
    for (let i = 0; i < 40; i++) {
      sim.db.insert(
        'incident',
        { number: `DIEDU${String(i).padStart(4, '0')}`, short_description: 'before the crash' },
        { userName: 'admin' },
      );
    }
    const job = await newUpload(blobKey, 'number');
    await diedInFirstSegment(job, 40);
    const done = await deliverUpload(job.id);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: 100, recordsFailedCount: 0 });
    const records = written('DIEDU');
    expect(records).toHaveLength(100);
    expect(new Set(records.map((row) => row.number)).size).toBe(100);
    expect(records.every((row) => String(row.short_description).startsWith('DIEDU row '))).toBe(true);
  });
});

describe('listJobs', () => {
  it('lists newest first and filters by status, direction and object', async () => {
    const other = 'inst-list';
    const at = (ms: number) => () => ms;
    const a = await createJob(
      table,
      {
        instanceId: other,
        direction: 'upload',
        objectName: 'incidents',
        table: 'incident',
        upload: { blobKey: 'x/y', format: 'csv' },
      },
      at(1_000),
    );
    const b = await createJob(
      table,
      {
        instanceId: other,
        direction: 'download',
        objectName: 'problems',
        table: 'problem',
        download: { job: { table: 'problem', encodedQuery: '', format: 'csv' } },
      },
      at(2_000),
    );
    const c = await createJob(
      table,
      {
        instanceId: other,
        direction: 'download',
        objectName: 'incidents',
        table: 'incident',
        download: { job: { table: 'incident', encodedQuery: '', format: 'csv' } },
      },
      at(3_000),
    );
    await requestCancel(table, other, c.id, at(4_000));
    const ids = async (options: Parameters<typeof listJobs>[2]) =>
      (await listJobs(table, other, options)).items.map((job) => job.id);
    expect(await ids({})).toEqual([c.id, b.id, a.id]);
    expect(await ids({ direction: 'download' })).toEqual([c.id, b.id]);
    expect(await ids({ objectName: 'incidents' })).toEqual([c.id, a.id]);
    expect(await ids({ status: 'CANCELLED' })).toEqual([c.id]);
    expect(await ids({ status: 'CREATED', direction: 'upload' })).toEqual([a.id]);
    const first = await listJobs(table, other, { limit: 2 });
    expect(first.items.map((job) => job.id)).toEqual([c.id, b.id]);
    expect(first.cursor).toBeDefined();
    const second = await listJobs(table, other, {
      limit: 2,
      ...(first.cursor ? { cursor: first.cursor } : {}),
    });
    expect(second.items.map((job) => job.id)).toEqual([a.id]);
    expect((await listJobs(table, INSTANCE, {})).items.some((job) => job.id === a.id)).toBe(false);
  });
});
