/**
 * What the engine-level bulk tests share (download, jobs, partitions): a seeded simulator, a ServiceNow
 * client on loopback, a local blob store and state table in a temp folder, and the worker's queue. The API-level tests use
 * harness.ts (local mode) instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processRecords } from '../../functions/runtime/sqs';
import {
  createLocalBlobStore,
  createLocalQueue,
  createLocalStateTable,
  type LocalStateTable,
} from '../../shared/adapters/local';
import type { DownloadJob } from '../../shared/bulk/download';
import {
  type BulkJob,
  type BulkMessage,
  createJob,
  type ProcessBulkDeps,
  processBulkMessage,
} from '../../shared/bulk/jobs';
import { createOutboundAgent, parseAllowedHosts } from '../../shared/net';
import type { BlobStore, StateTable } from '../../shared/ports';
import type { ServiceNowClient } from '../../shared/servicenow';
import { adminClient } from '../servicenow/helpers/fake-server';
import { type SimulatorHandle, startSimulator } from '../simulator';

export interface EngineFixture {
  sim: SimulatorHandle;
  client: ServiceNowClient;
  blobStore: BlobStore;
  table: LocalStateTable;
  dataDir: string;
  close(): Promise<void>;
}

export async function startEngineFixture(options: {
  seed: number;
  incidents: number;
  users?: number;
  /** The local store's least part size (tests cut a few thousand rows into many parts). */
  minPartBytes: number;
}): Promise<EngineFixture> {
  const users = options.users ?? 20;
  const sim = await startSimulator({
    seed: options.seed,
    data: { incidents: options.incidents, users, groups: 3, companies: 3 },
  });
  const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts('127.0.0.1') });
  const client = adminClient(sim.url, agent);
  const dataDir = await mkdtemp(join(tmpdir(), 'bulk-engine-'));
  const table = createLocalStateTable({ dataDir });
  return {
    sim,
    client,
    blobStore: createLocalBlobStore({ dataDir, minPartBytes: options.minPartBytes }),
    table,
    dataDir,
    close: async () => {
      await table.close();
      await sim.close();
      await agent.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A download job record over the incident table, as the bulk API creates one (status CREATED). */
export const createIncidentDownload = (
  table: StateTable,
  instanceId: string,
  job: Omit<DownloadJob, 'id' | 'table'>,
): Promise<BulkJob> =>
  createJob(
    table,
    {
      instanceId,
      direction: 'download',
      objectName: 'incidents',
      table: 'incident',
      download: { job: { table: 'incident', ...job } },
    },
    Date.now,
  );

/** A stored object's bytes as UTF-8 text; fails when it does not exist. */
export async function blobText(store: BlobStore, key: string): Promise<string> {
  const object = await store.get(key);
  if (object === undefined) throw new Error(`missing ${key}`);
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `table` with its `update` replaced (to crash a commit), every other call passed through. */
export const withUpdate = (
  table: StateTable,
  update: (
    key: Parameters<StateTable['update']>[0],
    set: Parameters<StateTable['update']>[1],
    options: Parameters<StateTable['update']>[2],
  ) => ReturnType<StateTable['update']>,
): StateTable => ({
  get: (key) => table.get(key),
  put: (item, options) => table.put(item, options),
  delete: (key, options) => table.delete(key, options),
  query: (input) => table.query(input),
  update,
  acquireLease: (key, request) => table.acquireLease(key, request),
  releaseLease: (key, holder) => table.releaseLease(key, holder),
});

export interface BulkQueueWorkerOptions {
  /** Queue name; its DLQ is `<name>-dlq`. */
  name: string;
  maxReceiveCount: number;
  /** Messages per batch (default the local queue's). */
  batchSize?: number;
  /** Messages of a batch handled at once (default all, as parallel invocations would). */
  concurrency?: number;
  /** Runs ahead of each message (to inject duplicates or cancels). */
  before?: (message: BulkMessage) => Promise<void>;
  /** How a message is processed (default processBulkMessage once). */
  process?: (message: BulkMessage, deps: ProcessBulkDeps) => Promise<void>;
}

/**
 * A local queue (with its DLQ) whose subscriber runs processBulkMessage through the one SQS batch loop,
 * like the worker's event source in AWS; `handled` lists the messages that succeeded.
 */
export const bulkQueueWorker = (deps: Omit<ProcessBulkDeps, 'queue'>, options: BulkQueueWorkerOptions) => {
  const dlq = createLocalQueue({ name: `${options.name}-dlq` });
  const queue = createLocalQueue({
    name: options.name,
    visibilityTimeoutMs: 20,
    maxReceiveCount: options.maxReceiveCount,
    deadLetterQueue: dlq,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
  });
  const withQueue: ProcessBulkDeps = { ...deps, queue };
  const process = options.process ?? processBulkMessage;
  const handled: BulkMessage[] = [];
  queue.subscribe((event) =>
    processRecords(
      event.Records,
      async (record) => {
        const message = JSON.parse(record.body) as BulkMessage;
        await options.before?.(message);
        await process(message, withQueue);
        handled.push(message);
      },
      options.concurrency === undefined ? {} : { concurrency: options.concurrency },
    ),
  );
  return { queue, dlq, handled, deps: withQueue };
};
