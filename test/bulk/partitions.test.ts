import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStateTable } from '../../shared/adapters/local';
import type { DownloadFormat } from '../../shared/bulk/download';
import { type BulkMessage, bulkMessage, getJob, requestCancel } from '../../shared/bulk/jobs';
import type { BlobStore, StateTable } from '../../shared/ports';
import type { ServiceNowClient } from '../../shared/servicenow';
import {
  blobText,
  bulkQueueWorker,
  createIncidentDownload,
  type EngineFixture,
  startEngineFixture,
  withUpdate,
} from './engine-fixture';

const INCIDENTS = 4000;
const INSTANCE = 'inst-p';
/** Small parts so 4,000 rows make several parts per stream (the local store enforces it like S3). */
const MIN_PART_BYTES = 40_000;
let fixture: EngineFixture;
let client: ServiceNowClient;
let blobStore: BlobStore;
let table: LocalStateTable;

beforeAll(async () => {
  fixture = await startEngineFixture({ seed: 11, incidents: INCIDENTS, minPartBytes: MIN_PART_BYTES });
  ({ client, blobStore, table } = fixture);
});
afterAll(() => fixture.close());

const text = (key: string) => blobText(blobStore, key);

/**
 * Runs a job to its end on a local queue whose batches (up to 10 messages) are processed at the same
 * time, as parallel Lambda invocations would: the streams of a job race for the job record.
 */
const run = async (
  jobId: string,
  options: { stateTable?: StateTable; before?: (message: BulkMessage) => Promise<void> } = {},
) => {
  const { queue, dlq, handled } = bulkQueueWorker(
    {
      stateTable: options.stateTable ?? table,
      blobStore,
      clientFor: () => client,
      now: Date.now,
      deadlineMs: 10_000,
      maxPagesPerChunk: 3,
      cancelCheckMs: 0,
    },
    {
      name: 'bulk-p',
      maxReceiveCount: 10,
      batchSize: 10,
      ...(options.before === undefined ? {} : { before: options.before }),
    },
  );
  await queue.sendBatch([bulkMessage({ jobId, instanceId: INSTANCE, kind: 'download-chunk' })]);
  await queue.drain();
  await queue.close();
  expect(dlq.peek()).toEqual([]);
  return { handled, job: await getJob(table, INSTANCE, jobId) };
};

const newDownload = (format: DownloadFormat, partitions?: number, encodedQuery = '') =>
  createIncidentDownload(table, INSTANCE, {
    encodedQuery,
    format,
    pageSize: 70, // streams of ~1,000 rows end with a short page: a small last part
    ...(partitions === undefined ? {} : { partitions }),
  });

/** The file of a job read as one stream: what every partitioned export must equal byte for byte. */
const singleStream = async (format: DownloadFormat, encodedQuery = '') => {
  const job = await newDownload(format, undefined, encodedQuery);
  const { job: done } = await run(job.id);
  return text(done?.download?.resultKey ?? '');
};

describe('partitioned downloads', () => {
  it.each(['csv', 'jsonl', 'json'] as const)(
    'reads in 4 parallel streams and writes the same %s file as one stream',
    async (format) => {
      const expected = await singleStream(format);
      const job = await newDownload(format, 4);
      const { job: done, handled } = await run(job.id);
      expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: INCIDENTS });
      const streams = done?.download?.partitions ?? [];
      expect(streams).toHaveLength(4);
      // Streams of about equal size (bounds from offsets of the sys_id order).
      for (const stream of streams) {
        expect(stream.done).toBe(true);
        expect(stream.cursor.rows).toBeGreaterThanOrEqual(INCIDENTS / 4 - 1);
        expect(stream.cursor.rows).toBeLessThanOrEqual(INCIDENTS / 4 + 1);
      }
      // Every stream ran several chunks, each its own message.
      expect(new Set(handled.map((m) => m.partition)).size).toBe(5); // the plan + 4 streams
      expect(await text(done?.download?.resultKey ?? '')).toBe(expected);
      // Only the result is left: the streams' carry objects are gone.
      expect((await blobStore.list(`jobs/${job.id}/`)).items.map((item) => item.key)).toEqual([
        done?.download?.resultKey,
      ]);
    },
  );

  it('runs as one stream when the rows are too few for streams of the least part size', async () => {
    const job = await newDownload('jsonl', 8, 'priority=1^impact=1');
    const expected = await singleStream('jsonl', 'priority=1^impact=1');
    const { job: done } = await run(job.id);
    expect(done?.status).toBe('COMPLETED');
    const rows = expected.split('\n').filter(Boolean).length;
    expect(rows).toBeGreaterThan(0);
    // 8 streams would be far under 2 x 40 kB each: fewer (or no) streams.
    expect(done?.download?.partitions?.length ?? 1).toBeLessThan(8);
    expect(await text(done?.download?.resultKey ?? '')).toBe(expected);
  });

  it('survives stream commits that crash, with the exact rows and no duplicates', async () => {
    const expected = await singleStream('csv');
    const job = await newDownload('csv', 3);
    let crashes = 0;
    const crashing = withUpdate(table, async (key, set, o) => {
      const streams = (set.download as { partitions?: { cursor: { chunks?: number } }[] } | undefined)
        ?.partitions;
      // Each stream's 2nd commit fails once, after its parts were uploaded.
      if (crashes < 3 && streams?.some((s) => s.cursor.chunks === 2) === true) {
        crashes++;
        throw new Error('worker killed between the part upload and the commit');
      }
      return table.update(key, set, o);
    });
    const { job: done } = await run(job.id, { stateTable: crashing });
    expect(crashes).toBeGreaterThan(0);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: INCIDENTS });
    expect(await text(done?.download?.resultKey ?? '')).toBe(expected);
  });

  it('cancels every stream and drops the shared upload', async () => {
    const job = await newDownload('jsonl', 4);
    let chunks = 0;
    const { job: done } = await run(job.id, {
      before: async (message) => {
        if (message.partition !== undefined && ++chunks === 6) {
          await requestCancel(table, INSTANCE, job.id, Date.now);
        }
      },
    });
    expect(done?.status).toBe('CANCELLED');
    expect(done?.recordsCount).toBeLessThan(INCIDENTS);
    expect((await blobStore.list(`jobs/${job.id}/`)).items).toHaveLength(0);
    const uploadId = done?.download?.cursor.uploadId ?? '';
    expect(uploadId).not.toBe('');
    await expect(
      blobStore.uploadPart(`jobs/${job.id}/result.jsonl`, uploadId, 1, Buffer.from('x')),
    ).rejects.toThrow(/does not exist/);
  });
});
