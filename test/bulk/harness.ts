/**
 * Real HTTP against local mode + the simulator for bulk tests (modelled on test/hub/harness.ts): the API
 * server runs the real bulk handler; a local queue (with a DLQ, like the SQS redrive policy) feeds the
 * real worker handler. The worker's ports can be wrapped to inject crashes.
 */

import { type BulkWorkerHandlerOptions, createBulkWorkerHandler } from '../../functions/bulk/worker';
import { type LocalServerHandle, startLocalServer } from '../../functions/local';
import type { Dependencies } from '../../functions/runtime/dependencies';
import {
  createLocalBlobStore,
  createLocalQueue,
  createLocalSecretStore,
  createLocalStateTable,
  type LocalQueue,
} from '../../shared/adapters/local';
import type { InstanceDeps } from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import type { BlobStore, SecretStore, StateTable } from '../../shared/ports';
import { makeTempDir } from '../adapters/temp-dir';
import { localServerEnv, localTestDependencies } from '../helpers/element-stack';
import { ALICE, aliceAuth, basicBody, hubAuth, ORG } from '../instances/harness';
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from '../simulator';

export interface BulkResponse {
  status: number;
  headers: Headers;
  text: string;
  json: <T = unknown>() => T;
}

export interface JobStatus {
  id: string;
  status: string;
  recordsCount: number;
  recordsFailedCount: number;
  progress: number;
  objectName: string;
  direction: string;
  statusMessage?: string;
  notificationStatus?: string;
}

export interface BulkHarnessOptions {
  simulator?: SimulatorOptions;
  env?: Record<string, string>;
  worker?: BulkWorkerHandlerOptions & {
    wrapStateTable?: (table: StateTable) => StateTable;
    wrapBlobStore?: (blobs: BlobStore) => BlobStore;
    wrapSecretStore?: (secrets: SecretStore) => SecretStore;
  };
  visibilityTimeoutMs?: number;
  maxReceiveCount?: number;
  maxBodyBytes?: number;
}

export interface BulkHarness {
  sim: SimulatorHandle;
  /** The API base URL (`http://127.0.0.1:<port>/elements/api-v2`). */
  url: string;
  deps: Dependencies & InstanceDeps;
  instanceId: number;
  token: string;
  queue: LocalQueue;
  dlq: LocalQueue;
  /** A hub call (path below /elements/api-v2). */
  call(
    method: string,
    path: string,
    options?: {
      json?: unknown;
      form?: FormData;
      headers?: Record<string, string>;
      token?: string;
      raw?: string;
    },
  ): Promise<BulkResponse>;
  /** Waits until the queue is idle, then answers the job's status. */
  settle(jobId: string, token?: string): Promise<JobStatus>;
  platform(method: string, path: string, body?: unknown): Promise<BulkResponse>;
  close(): Promise<void>;
}

export const startBulkHarness = async (options: BulkHarnessOptions = {}): Promise<BulkHarness> => {
  const temp = await makeTempDir('bulk');
  const sim = await startSimulator({ data: false, ...options.simulator });
  const stateTable = createLocalStateTable({ dataDir: temp.dir });
  // Parts of any size, so a few hundred rows make many chunks (the 5 MiB minimum: blob store contract).
  const blobStore = createLocalBlobStore({ dataDir: temp.dir, minPartBytes: 1 });
  const dlq = createLocalQueue({ name: 'bulk-dlq' });
  const queue = createLocalQueue({
    name: 'bulk',
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 50,
    maxReceiveCount: options.maxReceiveCount ?? 3,
    deadLetterQueue: dlq,
    batchSize: 1,
  });
  const deps: Dependencies & InstanceDeps = {
    ...localTestDependencies(
      { stateTable, secretStore: createLocalSecretStore({ dataDir: temp.dir }) },
      { maxAttempts: 3 },
    ),
    blobStore,
    bulkQueue: queue,
  };
  const server: LocalServerHandle = await startLocalServer({
    env: { ...localServerEnv({ organization: ORG, users: `alice:${ALICE}` }, 'SILENT'), ...options.env },
    dependencies: deps,
    authorizerCacheSeconds: 0,
    logger: createLogger({ serviceName: 'test-bulk', logLevel: 'SILENT' }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
  });
  const { wrapStateTable, wrapBlobStore, wrapSecretStore, ...workerOptions } = options.worker ?? {};
  const silent = { info: () => undefined, warn: () => undefined };
  const worker = createBulkWorkerHandler(
    {
      ...deps,
      stateTable: wrapStateTable ? wrapStateTable(stateTable) : stateTable,
      blobStore: wrapBlobStore ? wrapBlobStore(blobStore) : blobStore,
      secretStore: wrapSecretStore ? wrapSecretStore(deps.secretStore) : deps.secretStore,
    },
    {
      maxReceiveCount: options.maxReceiveCount ?? 3,
      callbackSleep: async () => undefined,
      logger: silent,
      ...workerOptions,
    },
  );
  queue.subscribe(worker);
  // As in local mode: a dead letter ends its job in ERROR.
  dlq.subscribe(worker.deadLetters);

  const send = async (
    method: string,
    path: string,
    auth: string,
    o: { json?: unknown; form?: FormData; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<BulkResponse> => {
    const headers: Record<string, string> = { Authorization: auth, ...o.headers };
    let body: string | FormData | undefined = o.form ?? o.raw;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['Content-Type'] = 'application/json';
    }
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers,
      redirect: 'manual',
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
  };

  const created = await send('POST', '/instances', aliceAuth, { json: basicBody(sim) });
  if (created.status !== 200) throw new Error(`provisioning answered ${created.status}: ${created.text}`);
  const instance = created.json<{ id: number; token: string }>();

  const call: BulkHarness['call'] = (method, path, o = {}) =>
    send(method, path, hubAuth(o.token ?? instance.token), o);
  return {
    sim,
    url: server.url,
    deps,
    instanceId: instance.id,
    token: instance.token,
    queue,
    dlq,
    call,
    settle: async (jobId, token) => {
      await queue.drain();
      const res = await call('GET', `/bulk/${jobId}/status`, token === undefined ? {} : { token });
      if (res.status !== 200) throw new Error(`status answered ${res.status}: ${res.text}`);
      return res.json<JobStatus>();
    },
    platform: (method, path, body) => send(method, path, aliceAuth, body === undefined ? {} : { json: body }),
    async close() {
      await server.close();
      await queue.close();
      await dlq.close();
      await sim.close();
      await stateTable.close();
      await temp.cleanup();
    },
  };
};

/** A multipart form with `file` (and `metaData` when given). */
export const uploadForm = (
  content: string | Uint8Array,
  options: { fileName?: string; type?: string; metaData?: unknown } = {},
): FormData => {
  const form = new FormData();
  form.append(
    'file',
    new Blob([content], { type: options.type ?? 'text/csv' }),
    options.fileName ?? 'rows.csv',
  );
  if (options.metaData !== undefined) form.append('metaData', JSON.stringify(options.metaData));
  return form;
};
