/**
 * One export of the incident table, in its own process (forked by runExportProcess, children.ts), so
 * `process.resourceUsage().maxRSS` is the export's own peak and not the simulator's.
 *
 * - `engine`: the bulk worker path. A download job (CSV, the given fields) is created in a local state
 *   table, its first chunk message goes onto a local queue whose subscriber is processBulkMessage (as
 *   the SQS event source calls the bulkWorker Lambda), and chunk messages follow one another through
 *   the queue with their committed cursors, each uploading parts of the result file's multipart
 *   upload, until the `complete` message completes it in the local blob store. Timed from the first
 *   message to COMPLETED.
 * - `raw`: the yardstick, a tight keyset loop (`sys_id>X^ORDERBYsys_id`) with the same
 *   page size and fields that reads each page's JSON and throws it away.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import {
  createLocalBlobStore,
  createLocalQueue,
  createLocalStateTable,
} from '../../../shared/adapters/local';
import {
  type BulkMessage,
  bulkMessage,
  createJob,
  getJob,
  type ProcessBulkDeps,
  processBulkMessage,
} from '../../../shared/bulk/jobs';
import { parseAllowedHosts } from '../../../shared/net';
import { createServiceNowClient } from '../../../shared/servicenow';
import type { ExportProcessOptions, ExportReport } from './protocol';

const options = JSON.parse(process.argv[2] ?? '{}') as ExportProcessOptions;
const INSTANCE = 'bench-instance';

const maxRssKb = () => process.resourceUsage().maxRSS;
const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

async function engine(): Promise<ExportReport> {
  const dataDir = await mkdtemp(join(tmpdir(), 'snow-element-bench-export-'));
  const stateTable = createLocalStateTable({ dataDir });
  const blobStore = createLocalBlobStore({
    dataDir,
    ...(options.minPartBytes === undefined ? {} : { minPartBytes: options.minPartBytes }),
  });
  // One message per handler call, `workers` calls at once: local mode's bulk queue, or parallel Lambda
  // invocations in AWS.
  const queue = createLocalQueue({
    name: 'bulk',
    visibilityTimeoutMs: 120_000,
    batchSize: 1,
    concurrency: options.workers ?? options.partitions ?? 1,
  });
  try {
    const client = createServiceNowClient({
      baseUrl: options.url,
      auth: { type: 'basic', username: 'admin', password: 'admin' },
      allowedHosts: parseAllowedHosts('127.0.0.1'),
      ...(options.serviceNowConcurrency === undefined ? {} : { concurrency: options.serviceNowConcurrency }),
    });
    const deps: ProcessBulkDeps = {
      stateTable,
      blobStore,
      queue,
      clientFor: () => client,
      now: Date.now,
      // The bulkWorker's defaults (functions/bulk/worker.ts, not imported to keep this process lean):
      // ELEMENT_BULK_CHUNK_DEADLINE_MS 600000 and a chunk length of DEFAULT_CHUNK_MS (1 minute).
      deadlineMs: 600_000,
    };
    let steps = 0;
    let completeMs = 0;
    let failure: unknown;
    queue.subscribe(async (event) => {
      const failed: { itemIdentifier: string }[] = [];
      for (const record of event.Records) {
        try {
          const message = JSON.parse(record.body) as BulkMessage;
          const started = performance.now();
          await processBulkMessage(message, deps);
          if (message.kind === 'complete') completeMs += performance.now() - started;
          steps += 1;
        } catch (error) {
          failure ??= error;
          failed.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures: failed };
    });
    const job = await createJob(
      stateTable,
      {
        instanceId: INSTANCE,
        direction: 'download',
        objectName: 'incidents',
        table: 'incident',
        download: {
          job: {
            table: 'incident',
            encodedQuery: '',
            fields: options.fields,
            format: 'csv',
            pageSize: options.pageSize,
            ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
          },
        },
      },
      Date.now,
    );
    const cpu = process.cpuUsage();
    const started = performance.now();
    await queue.sendBatch([bulkMessage({ jobId: job.id, instanceId: INSTANCE, kind: 'download-chunk' })]);
    await queue.drain();
    const ms = performance.now() - started;
    const cpuMs = cpuMsSince(cpu);
    const peak = maxRssKb();
    await queue.close();
    if (failure !== undefined) throw failure;
    const done = await getJob(stateTable, INSTANCE, job.id);
    const resultKey = done?.download?.resultKey;
    if (done?.status !== 'COMPLETED' || resultKey === undefined) {
      throw new Error(`job ended ${done?.status ?? 'missing'}: ${done?.error ?? ''}`);
    }
    // Count the result's lines streaming (header + one line per row; no field holds a line break).
    const result = await blobStore.get(resultKey);
    if (result === undefined) throw new Error('result file missing');
    let lines = 0;
    let bytes = 0;
    const hash = createHash('sha256');
    for await (const chunk of result.body) {
      const buffer = chunk as Buffer;
      bytes += buffer.length;
      hash.update(buffer);
      for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) lines += 1;
    }
    if (done.recordsCount !== options.expectedRows || lines !== options.expectedRows + 1) {
      throw new Error(
        `expected ${options.expectedRows} rows, job says ${done.recordsCount}, file has ${lines - 1}`,
      );
    }
    return {
      rows: done.recordsCount,
      ms,
      cpuMs,
      maxRssKb: peak,
      bytes,
      steps,
      completeMs,
      streams: done.download?.partitions?.length ?? 1,
      sha256: hash.digest('hex'),
      node: process.version,
    };
  } finally {
    await queue.close();
    await stateTable.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function raw(): Promise<ExportReport> {
  const dispatcher = new Agent({ connections: 4 });
  const authorization = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
  const fields = [...new Set([...options.fields, 'sys_id'])].join(',');
  let rows = 0;
  let bytes = 0;
  let steps = 0;
  let lastSysId = '';
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    for (;;) {
      const params = new URLSearchParams({
        sysparm_query: lastSysId === '' ? 'ORDERBYsys_id' : `sys_id>${lastSysId}^ORDERBYsys_id`,
        sysparm_fields: fields,
        sysparm_limit: String(options.pageSize),
        sysparm_no_count: 'true',
        sysparm_exclude_reference_link: 'true',
      });
      const response = await request(`${options.url}/api/now/table/incident?${params}`, {
        headers: { authorization, accept: 'application/json' },
        dispatcher,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
      const page = (JSON.parse(text) as { result: { sys_id: string }[] }).result;
      steps += 1;
      bytes += text.length;
      if (page.length === 0) break;
      rows += page.length;
      lastSysId = page[page.length - 1]?.sys_id ?? '';
    }
  } finally {
    await dispatcher.close();
  }
  const ms = performance.now() - started;
  const cpuMs = cpuMsSince(cpu);
  if (rows !== options.expectedRows) throw new Error(`expected ${options.expectedRows} rows, read ${rows}`);
  return { rows, ms, cpuMs, maxRssKb: maxRssKb(), bytes, steps, node: process.version };
}

const send = (message: ExportReport | { error: string }) =>
  new Promise<void>((resolve) => {
    if (process.send === undefined) {
      console.log(JSON.stringify(message));
      resolve();
    } else process.send(message, () => resolve());
  });

try {
  await send(options.mode === 'engine' ? await engine() : await raw());
} catch (error) {
  await send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
process.exit(0);
