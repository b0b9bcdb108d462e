import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkMessage, createJob, updateJob } from '../../shared/bulk/jobs';
import type { BlobStore, StateTable } from '../../shared/ports';
import { signBody } from '../../shared/webhooks';
import { type Receiver, startReceiver } from '../helpers/receiver';
import { basicBody, hubAuth } from '../instances/harness';
import { type BulkHarness, startBulkHarness, uploadForm } from './harness';

const INCIDENTS = 200;
const KEY = 'bulk-signing-key-0123456789';
let h: BulkHarness;
let receiver: Receiver;
let receiverUrl: string;
const CALLBACK_PATH = '/bulk-done';
const received = () => receiver.on(CALLBACK_PATH);

/** Fails the commit of part 1 once, after the part was written: a worker dying between the two. */
let crashes = 0;
/** While set, the worker cannot read any job: messages wait, so a job stays CREATED deterministically. */
let hold: Promise<void> | undefined;
const crashingCommit = (table: StateTable): StateTable => ({
  ...table,
  get: async (key) => {
    if (hold !== undefined) await hold;
    return table.get(key);
  },
  put: (item, options) => table.put(item, options),
  update: async (key, set, options) => {
    const download = (set as { download?: { cursor?: { chunks?: number } } }).download;
    if (download?.cursor?.chunks === 2 && crashes === 0) {
      crashes++;
      throw new Error('worker killed between the part write and the commit');
    }
    return table.update(key, set, options);
  },
  query: (query) => table.query(query),
  delete: (key, options) => table.delete(key, options),
});

/** Backoff delays the worker asked the queue for (ChangeMessageVisibility in AWS). */
const delays: number[] = [];

/** While set, every part upload fails with an infrastructure error (retried by the queue). */
let failParts = false;
const failingParts = (blobs: BlobStore): BlobStore => ({
  ...blobs,
  minPartBytes: blobs.minPartBytes,
  uploadPart: async (key, uploadId, partNumber, body) => {
    if (failParts) throw new Error('blob store unavailable');
    return blobs.uploadPart(key, uploadId, partNumber, body);
  },
});

beforeAll(async () => {
  receiver = await startReceiver();
  receiverUrl = `${receiver.url}${CALLBACK_PATH}`;
  h = await startBulkHarness({
    simulator: { seed: 21, data: { incidents: INCIDENTS, users: 10, groups: 2, companies: 2 } },
    worker: {
      pagesPerChunk: 1,
      cancelCheckEvery: 5,
      uploadBatchSize: 0,
      wrapStateTable: crashingCommit,
      wrapBlobStore: failingParts,
      retryLater: async (_record, delaySeconds) => {
        delays.push(delaySeconds);
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const newDownload = async (
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
  token?: string,
) => {
  const res = await h.call('POST', '/bulk/download', { json: body, headers, ...(token ? { token } : {}) });
  expect(res.status).toBe(200);
  return res.json<{ id: string }>().id;
};

const waitForStatus = async (id: string, status: string) => {
  for (let i = 0; i < 500; i++) {
    const current = (await h.call('GET', `/bulk/${id}/status`)).json<{ status: string }>().status;
    if (current === status) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`job ${id} never reached ${status}`);
};

describe('bulk jobs', () => {
  it('survives a worker killed between a part write and its commit: exact count, no duplicates', async () => {
    const id = await newDownload({ objectName: 'incidents', format: 'application/jsonl', pageSize: 30 });
    const done = await h.settle(id);
    expect(crashes).toBe(1);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: INCIDENTS });
    const file = await h.call('GET', `/bulk/${id}/incidents`);
    const numbers = file.text
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { number: string }).number);
    expect(numbers).toHaveLength(INCIDENTS);
    expect(new Set(numbers).size).toBe(INCIDENTS);
  });

  it('ends a job in ERROR on the last receive instead of leaving it RUNNING', async () => {
    // Every chunk fails with an infrastructure error (retried) until the queue's last attempt (3).
    failParts = true;
    delays.length = 0;
    const id = await newDownload({ objectName: 'incidents', format: 'text/csv' });
    const done = await h.settle(id);
    failParts = false;
    expect(done.status).toBe('ERROR');
    expect(done.statusMessage).toBe('Internal error while processing the bulk job');
    expect(h.dlq.peek()).toHaveLength(0);
    // Receives 1 and 2 were handed back with a backoff; the 3rd (the last) ended the job.
    expect(delays).toHaveLength(2);
    expect(delays.every((delay) => delay >= 1 && delay <= 900)).toBe(true);
  });

  it('ends the job of a message that reached the dead-letter queue (its worker died on every receive) in ERROR', async () => {
    const job = await createJob(
      h.deps.stateTable,
      {
        instanceId: String(h.instanceId),
        direction: 'download',
        objectName: 'incidents',
        table: 'incident',
        download: { job: { table: 'incident', encodedQuery: '', format: 'csv' } },
      },
      Date.now,
    );
    await updateJob(h.deps.stateTable, job, { status: 'RUNNING' }, Date.now);
    const message = bulkMessage({ jobId: job.id, instanceId: String(h.instanceId), kind: 'download-chunk' });
    await h.dlq.sendBatch([message]);
    await h.dlq.drain();
    const status = (await h.call('GET', `/bulk/${job.id}/status`)).json<{
      status: string;
      statusMessage: string;
    }>();
    expect(status).toMatchObject({
      status: 'ERROR',
      statusMessage: 'The bulk job stopped: its worker failed on every attempt',
    });
    expect(h.dlq.peek()).toEqual([]);
  });

  it('cancels a pending job at once and a running download and upload promptly', async () => {
    h.sim.faults.rate({ kind: 'latency', ms: 15 }, 1);
    const running = await newDownload({ objectName: 'incidents', format: 'text/csv', pageSize: 5 });
    await waitForStatus(running, 'RUNNING');
    const cancel = await h.call('PUT', `/bulk/${running}/cancel`);
    expect(cancel.status).toBe(200);
    expect(['CANCELLATION_PENDING', 'CANCELLED']).toContain(cancel.json<{ status: string }>().status);
    const done = await h.settle(running);
    expect(done.status).toBe('CANCELLED');
    expect(done.recordsCount).toBeLessThan(INCIDENTS);
    expect((await h.call('GET', `/bulk/${running}/incidents`)).status).toBe(409);

    const groups = h.sim.db.size('sys_user_group');
    const csv = `name\n${Array.from({ length: 200 }, (_, i) => `Cancel ${i}`).join('\n')}\n`;
    const upload = (await h.call('POST', '/bulk/groups', { form: uploadForm(csv) })).json<{ id: string }>()
      .id;
    await waitForStatus(upload, 'RUNNING');
    await h.call('PUT', `/bulk/${upload}/cancel`);
    const stopped = await h.settle(upload);
    h.sim.faults.clear();
    expect(stopped.status).toBe('CANCELLED');
    expect(stopped.recordsCount).toBeLessThan(200);
    // Nothing is written after the job says CANCELLED: its count is what landed.
    expect(h.sim.db.size('sys_user_group') - groups).toBe(stopped.recordsCount);

    // Pending: the worker is held, so the job is still CREATED when the cancel arrives.
    let release = () => {};
    hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pendingId = (await h.call('POST', '/bulk/query?q=select%20*%20from%20incidents')).json<{
      id: string;
    }>().id;
    const cancelled = await h.call('PUT', `/bulk/${pendingId}/cancel`);
    expect(cancelled.json<{ status: string }>().status).toBe('CANCELLED');
    hold = undefined;
    release();
    const final = await h.settle(pendingId);
    expect(final).toMatchObject({ status: 'CANCELLED', recordsCount: 0 });
    expect(
      (await h.call('GET', `/bulk/${pendingId}/status`)).json<{ startedDate?: string }>().startedDate,
    ).toBeUndefined();
    // A job already ended has nothing to cancel: a 409 naming its status, the job unchanged.
    const again = await h.call('PUT', `/bulk/${pendingId}/cancel`);
    expect(again.status).toBe(409);
    expect(again.json<{ message: string }>().message).toContain('CANCELLED');
    expect((await h.call('GET', `/bulk/${pendingId}/status`)).json()).toMatchObject({ status: 'CANCELLED' });
  });

  it('lists jobs newest first with where filters and token paging', async () => {
    const all = await h.call('GET', '/bulk/jobs');
    expect(all.status).toBe(200);
    const jobs = all.json<{ id: string; status: string; direction: string; objectName: string }[]>();
    expect(jobs.length).toBeGreaterThanOrEqual(5);
    const uploads = (
      await h.call('GET', `/bulk/jobs?where=${encodeURIComponent("job_direction='UPLOAD'")}`)
    ).json<{ direction: string }[]>();
    expect(uploads.length).toBe(jobs.filter((job) => job.direction === 'UPLOAD').length);
    expect(uploads.every((job) => job.direction === 'UPLOAD')).toBe(true);
    const where = "object_name='incidents' and job_status='CANCELLED'";
    const cancelled = (await h.call('GET', `/bulk/jobs?where=${encodeURIComponent(where)}`)).json<
      { id: string }[]
    >();
    expect(cancelled.map((job) => job.id)).toEqual(
      jobs.filter((job) => job.objectName === 'incidents' && job.status === 'CANCELLED').map((job) => job.id),
    );
    const seen: string[] = [];
    let token: string | null = null;
    do {
      const page: Awaited<ReturnType<BulkHarness['call']>> = await h.call(
        'GET',
        `/bulk/jobs?pageSize=2${token ? `&nextPage=${encodeURIComponent(token)}` : ''}`,
      );
      const items = page.json<{ id: string }[]>();
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items.map((job) => job.id));
      token = page.headers.get('elements-next-page-token');
    } while (token !== null);
    expect(seen).toEqual(jobs.map((job) => job.id));
    // CEQL beyond ANDed =: OR, comparisons on the counts, IN; CE's record_count/error_count fields.
    const orWhere = "job_status='CANCELLED' or (job_direction='UPLOAD' and record_count >= 0)";
    const either = (await h.call('GET', `/bulk/jobs?where=${encodeURIComponent(orWhere)}`)).json<
      { id: string; record_count: number; error_count: number }[]
    >();
    expect(either.map((job) => job.id)).toEqual(
      jobs.filter((job) => job.status === 'CANCELLED' || job.direction === 'UPLOAD').map((job) => job.id),
    );
    expect(
      either.every((job) => typeof job.record_count === 'number' && typeof job.error_count === 'number'),
    ).toBe(true);
    const inWhere = "job_status IN ('COMPLETED', 'CANCELLED')";
    expect(
      (await h.call('GET', `/bulk/jobs?where=${encodeURIComponent(inWhere)}`)).json<unknown[]>().length,
    ).toBe(jobs.filter((job) => job.status === 'COMPLETED' || job.status === 'CANCELLED').length);
    expect((await h.call('GET', `/bulk/jobs?where=${encodeURIComponent("record_size='1'")}`)).status).toBe(
      400,
    );
    expect((await h.call('GET', `/bulk/jobs?where=${encodeURIComponent("job_status='DONE'")}`)).status).toBe(
      400,
    );
    expect((await h.call('GET', '/bulk/jobs?nextPage=forged.token')).status).toBe(400);
  });

  it('POSTs a signed completion callback, retrying a failed delivery without changing the job', async () => {
    const created = await h.platform(
      'POST',
      '/instances',
      basicBody(h.sim, { 'event.notification.signature.key': KEY }),
    );
    expect(created.status).toBe(200);
    const token = created.json<{ token: string }>().token;
    receiver.script(CALLBACK_PATH, { status: 503 });
    const id = await newDownload(
      {
        objectName: 'incidents',
        format: 'text/csv',
        limit: 7,
        metaData: { 'callback-payload': { ref: 42 } },
      },
      { 'Elements-Async-Callback-Url': receiverUrl },
      token,
    );
    const done = await h.settle(id, token);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: 7 });
    const mine = received().filter((r) => r.body.includes(id));
    expect(mine).toHaveLength(2); // 503 then 200
    const last = mine[1];
    expect(JSON.parse(last?.body ?? '{}')).toMatchObject({
      id,
      status: 'COMPLETED',
      objectName: 'incidents',
      recordsCount: 7,
      recordsFailedCount: 0,
      'callback-payload': { ref: 42 },
    });
    expect(JSON.parse(last?.body ?? '{}').completedAt).toEqual(expect.any(String));
    expect(last?.headers['elements-webhook-signature']).toBe(signBody(KEY, last?.body ?? ''));
    const status = (await h.call('GET', `/bulk/${id}/status`, { token })).json<{
      notificationStatus: string;
    }>();
    expect(status.notificationStatus).toBe('DELIVERED');

    // A callback that keeps failing is given up, and the job stays COMPLETED.
    receiver.script(CALLBACK_PATH, { status: 500 }, { status: 500 }, { status: 500 });
    const failing = await newDownload({
      objectName: 'incidents',
      format: 'text/csv',
      limit: 1,
      notificationUrl: receiverUrl,
    });
    const result = await h.settle(failing);
    expect(result).toMatchObject({ status: 'COMPLETED', notificationStatus: 'FAILED' });
    expect(received().filter((r) => r.body.includes(failing))).toHaveLength(3);
    expect(
      received().filter((r) => r.body.includes(failing))[0]?.headers['elements-webhook-signature'],
    ).toBeUndefined();
    expect(hubAuth(token)).toContain(token);
  });

  it('refuses callback URLs the SSRF guard refuses, with 400 and no job', async () => {
    const before = (await h.call('GET', '/bulk/jobs')).json<unknown[]>().length;
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'https://10.0.0.8/hook',
      'ftp://example.com/x',
      'not a url',
    ]) {
      const res = await h.call('POST', '/bulk/download', {
        json: { objectName: 'incidents', format: 'text/csv', notificationUrl: url },
      });
      expect(res.status).toBe(400);
      expect(res.json<{ message: string }>().message).toContain('Callback URL refused');
    }
    const header = await h.call('POST', '/bulk/query?q=select%20*%20from%20incidents', {
      headers: { 'Elements-Async-Callback-Url': 'https://[::1]/hook' },
    });
    expect(header.status).toBe(400);
    expect((await h.call('GET', '/bulk/jobs')).json<unknown[]>().length).toBe(before);
  });
});
