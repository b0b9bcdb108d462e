import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createLocalBlobStore } from '../../shared/adapters/local/blob-store';
import { createLocalBlobUrls } from '../../shared/adapters/local/blob-urls';
import { createLocalQueue } from '../../shared/adapters/local/queue';
import { createLocalScheduler } from '../../shared/adapters/local/scheduler';
import { createLocalSecretStore } from '../../shared/adapters/local/secret-store';
import { createLocalStateTable } from '../../shared/adapters/local/state-table';
import type { LocalConfig } from '../../shared/config';
import { scheduleDuePolls } from '../../shared/events';
import { eventsInstanceAccess } from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import { localMetrics } from '../../shared/metrics';
import { createBulkWorkerHandler } from '../bulk/worker';
import {
  createDeadLetterHandler,
  createDispatcherHandler,
  createPollWorkerHandler,
} from '../events/handlers';
import { API_BASE_PATH, CONSOLE_OAUTH_CALLBACK_PATH } from '../routes';
import {
  type Dependencies,
  LOCAL_BULK_QUEUE_FILE,
  LOCAL_EVENTS_QUEUE_FILE,
  LOCAL_POLL_QUEUE_FILE,
} from '../runtime/dependencies';
import { renderBanner } from './banner';
import { createBlobRoute } from './blob-route';
import { consoleCallbackUrls, type DemoSimulatorHandle, startDemoSimulator } from './demo';
import { type LocalServerHandle, startLocalServer } from './local-server';
import { createOperationsRoute } from './operations-route';
import { resolvePlatformSecrets } from './platform-secrets';

/** EventBridge's rate(1 minute) rule in AWS. */
export const EVENTS_POLL_INTERVAL_MS = 60_000;
/** Like the SQS redrive policy: after this many deliveries a callback message goes to the dead-letter queue. */
const EVENTS_MAX_RECEIVE_COUNT = 5;
/** The bulk queue's redrive policy: on the last receive a failing message ends its job in ERROR. */
const BULK_MAX_RECEIVE_COUNT = 5;
/**
 * Longer than a chunk may run (BULK_CHUNK_DEADLINE_MS), as the SQS visibility timeout is longer than
 * the worker Lambda's timeout in AWS, so a running chunk is not handed out twice.
 */
const BULK_VISIBILITY_TIMEOUT_MS = 5 * 60_000;
const BULK_CHUNK_DEADLINE_MS = 2 * 60_000;
/** Instances polled at once by default (the poll workers of AWS mode). */
/** Longer than a poll may run (its 120 s budget), as in AWS, so a running poll is not handed out twice. */
const POLL_VISIBILITY_TIMEOUT_MS = 5 * 60_000;
/** A dead letter its consumer keeps (an event body too large for the log) comes back this rarely. */
const DEAD_LETTER_VISIBILITY_TIMEOUT_MS = 60 * 60_000;

export interface LocalModeHandle {
  api: LocalServerHandle;
  simulator: DemoSimulatorHandle | undefined;
  banner: string;
  close(): Promise<void>;
}

/**
 * Everything `npm start` runs, without the process concerns (signals, exit codes) so it can be
 * started in-process too: secrets, the demo simulator, then the API with the environment its
 * handlers read.
 */
export interface LocalModeOptions {
  /** How often the events poller runs (default EVENTS_POLL_INTERVAL_MS; tests shorten it). */
  eventsPollIntervalMs?: number;
  /** Instances polled at once (default: the configuration's pollWorkers). */
  pollWorkers?: number;
  /** Pages a download chunk reads before it commits (default: by time, as in AWS; tests shorten it). */
  bulkPagesPerChunk?: number;
}

export const runLocalMode = async (
  config: LocalConfig,
  options: LocalModeOptions = {},
): Promise<LocalModeHandle> => {
  const dataDir = resolve(config.dataDir);
  // Blob writes stream into blobs/.tmp and are renamed into place: what is still there was being
  // written when a previous process died (one process per data directory).
  await rm(join(dataDir, 'blobs', '.tmp'), { recursive: true, force: true });
  // The one state table and secret store of this process: the authorizer and every handler use them
  // through getDependencies() (startLocalServer installs them with setDependencies()).
  const secretStore = createLocalSecretStore({ dataDir });
  const stateTable = createLocalStateTable({ dataDir });
  const secrets = await resolvePlatformSecrets({
    store: secretStore,
    organizationSecret: config.organizationSecret,
    userSecret: config.userSecret,
  });

  let simulator: DemoSimulatorHandle | undefined;
  // The demo OAuth client accepts the console's callback (added once the API listens).
  const demoRedirectUris: string[] = [];
  try {
    simulator = config.demoServiceNow
      ? await startDemoSimulator(config.demoServiceNowPort, config.host, demoRedirectUris)
      : undefined;
  } catch (error) {
    await stateTable.close();
    throw error;
  }
  // The events pipeline: poller -> persisted queue -> dispatcher, as SQS + Lambda do in AWS.
  const eventsDeadLetters = createLocalQueue({
    name: 'element-events-dlq',
    persistPath: join(dataDir, `dlq-${LOCAL_EVENTS_QUEUE_FILE}`),
    // Only messages too large to keep in the event log stay; they are looked at again hourly.
    visibilityTimeoutMs: DEAD_LETTER_VISIBILITY_TIMEOUT_MS,
  });
  const eventsQueue = createLocalQueue({
    name: 'element-events',
    persistPath: join(dataDir, LOCAL_EVENTS_QUEUE_FILE),
    maxReceiveCount: EVENTS_MAX_RECEIVE_COUNT,
    deadLetterQueue: eventsDeadLetters,
    concurrency: config.eventsWorkers,
  });
  // Poll fan-out: schedule -> persisted poll queue -> poll workers, as in AWS. No DLQ: a message that
  // keeps failing comes back until it works or its claim goes stale (then it is skipped).
  const pollWorkers = Math.max(1, options.pollWorkers ?? config.pollWorkers);
  const pollQueue = createLocalQueue({
    name: 'element-events-poll',
    persistPath: join(dataDir, LOCAL_POLL_QUEUE_FILE),
    visibilityTimeoutMs: POLL_VISIBILITY_TIMEOUT_MS,
    // One instance per handler call, `pollWorkers` calls at once: a slow instance holds only its own
    // worker, not a whole batch's.
    batchSize: 1,
    concurrency: pollWorkers,
  });
  // Bulk jobs: API -> persisted queue -> worker, as SQS + Lambda do in AWS; files under <dataDir>/blobs.
  const bulkDeadLetters = createLocalQueue({
    name: 'element-bulk-dlq',
    persistPath: join(dataDir, `dlq-${LOCAL_BULK_QUEUE_FILE}`),
    visibilityTimeoutMs: DEAD_LETTER_VISIBILITY_TIMEOUT_MS,
  });
  const bulkQueue = createLocalQueue({
    name: 'element-bulk',
    persistPath: join(dataDir, LOCAL_BULK_QUEUE_FILE),
    visibilityTimeoutMs: BULK_VISIBILITY_TIMEOUT_MS,
    maxReceiveCount: BULK_MAX_RECEIVE_COUNT,
    deadLetterQueue: bulkDeadLetters,
    batchSize: 1,
    // Partitions of an export and queued jobs run side by side, as parallel Lambda invocations do.
    concurrency: config.bulkWorkers,
  });
  // Presigned URLs served by this server (known once it listens), as S3 serves its own: bulk files
  // download by redirect and large uploads go straight to the blob store, in both modes alike.
  let origin = '';
  const blobUrls = createLocalBlobUrls({ origin: () => origin, secret: randomBytes(32) });
  const blobStore = createLocalBlobStore({ dataDir, urls: blobUrls });
  const dependencies: Dependencies = {
    mode: 'local',
    stateTable,
    secretStore,
    allowedHosts: config.allowedHosts,
    now: () => new Date(),
    eventsQueue,
    blobStore,
    bulkQueue,
    pollQueue,
  };
  // Local mode's S3 event notification: a presigned upload landing under incoming/ starts its job.
  const blobRoute = createBlobRoute({
    blobStore,
    urls: blobUrls,
    onUploaded: async (key) => {
      if (!key.startsWith('incoming/')) return;
      const notification = { Records: [{ eventName: 'ObjectCreated:Put', s3: { object: { key } } }] };
      await bulkQueue.sendBatch([{ id: randomUUID(), body: JSON.stringify(notification) }]);
    },
  });
  const logger = createLogger({ serviceName: 'events-poller' });
  const scheduler = createLocalScheduler({
    onError: (name, error) => logger.error('Scheduled task failed', { task: name, error }),
  });
  const closeEvents = async () => {
    await scheduler.stop();
    await pollQueue.close();
    await eventsQueue.close();
    await eventsDeadLetters.close();
    await bulkQueue.close();
    await bulkDeadLetters.close();
  };
  let api: LocalServerHandle;
  try {
    api = await startLocalServer({
      port: config.port,
      host: config.host,
      env: {
        ELEMENT_DATA_DIR: dataDir,
        ELEMENT_ORGANIZATION_SECRET: secrets.organization.value,
        ELEMENT_USER_SECRET: secrets.user.value,
        ELEMENT_ALLOWED_HOSTS: config.allowedHosts.entries.join(','),
        ...(simulator ? { DEMO_SERVICENOW_URL: simulator.url } : {}),
      },
      dependencies,
      rawRoutes: [
        blobRoute,
        createOperationsRoute({
          queues: {
            events: { queue: eventsQueue, deadLetters: eventsDeadLetters },
            bulk: { queue: bulkQueue, deadLetters: bulkDeadLetters },
          },
          metrics: () => localMetrics.snapshot(),
        }),
      ],
    });
    origin = api.origin;
    demoRedirectUris.push(
      ...consoleCallbackUrls(api.origin, `${API_BASE_PATH}${CONSOLE_OAUTH_CALLBACK_PATH}`),
    );
  } catch (error) {
    await Promise.allSettled([simulator?.close(), closeEvents()]);
    await stateTable.close();
    throw error;
  }
  const poller = { ...dependencies, instances: eventsInstanceAccess(dependencies) };
  pollQueue.subscribe(createPollWorkerHandler(poller));
  eventsQueue.subscribe(createDispatcherHandler(dependencies, { maxReceiveCount: EVENTS_MAX_RECEIVE_COUNT }));
  // Dead letters are recorded where the API sees them (event log DEAD, bulk job ERROR), as in AWS.
  eventsDeadLetters.subscribe(createDeadLetterHandler(dependencies));
  const bulkWorker = createBulkWorkerHandler(dependencies, {
    maxReceiveCount: BULK_MAX_RECEIVE_COUNT,
    chunkDeadlineMs: BULK_CHUNK_DEADLINE_MS,
    ...(options.bulkPagesPerChunk === undefined ? {} : { pagesPerChunk: options.bulkPagesPerChunk }),
    // One process per data directory, its queue workers sharing one worker id: a claim written under
    // another id is a dead process's.
    soleWorker: true,
  });
  bulkQueue.subscribe(bulkWorker);
  bulkDeadLetters.subscribe(bulkWorker.deadLetters);
  scheduler.every('events-poller', options.eventsPollIntervalMs ?? EVENTS_POLL_INTERVAL_MS, async () => {
    await scheduleDuePolls({ ...dependencies, pollQueue });
  });

  const banner = renderBanner({ apiUrl: api.url, dataDir, secrets, ...(simulator ? { simulator } : {}) });
  return {
    api,
    simulator,
    banner,
    close: async () => {
      // Queues after the timer and the server: no poll is sending any more; messages stay on disk.
      await Promise.allSettled([scheduler.stop(), api.close(), simulator?.close()]);
      await Promise.allSettled([closeEvents()]);
      // After the server: no handler can be writing any more.
      await stateTable.close();
    },
  };
};
