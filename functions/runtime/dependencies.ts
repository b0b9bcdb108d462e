/**
 * The ports every function works with, built once per process from the environment:
 * `ELEMENT_MODE=aws` (set by the CDK stack) -> the AWS adapters the function's entry point lists
 * (aws-ports.ts); anything else -> the local file-backed adapters under `ELEMENT_DATA_DIR` (local mode
 * and tests). Handlers call `getDependencies(THEIR_PORTS)`; tests can replace the set with
 * `setDependencies()`.
 */
import { type Env, type FunctionEnv, readFunctionEnv } from '../../shared/config/env';
import { type AllowedHosts, DEFAULT_ALLOWED_HOSTS, parseAllowedHosts } from '../../shared/net/allowed-hosts';
import type { BlobStore } from '../../shared/ports/blob-store';
import type { QueueProducer } from '../../shared/ports/queue';
import type { SecretStore } from '../../shared/ports/secret-store';
import type { StateTable } from '../../shared/ports/state-table';

export interface Dependencies {
  mode: 'aws' | 'local';
  stateTable: StateTable;
  secretStore: SecretStore;
  /** Hosts exempt from the SSRF guard (ELEMENT_ALLOWED_HOSTS). */
  allowedHosts: AllowedHosts;
  now: () => Date;
  /**
   * Where the events poller queues callback messages: SQS (ELEMENT_EVENTS_QUEUE_URL) in AWS, a local
   * queue persisted under the data dir in local mode. Absent when the stack has no events queue.
   */
  eventsQueue?: QueueProducer;
  /**
   * Bulk files: S3 (ELEMENT_BULK_BUCKET) in AWS, `<ELEMENT_DATA_DIR>/blobs` locally. Absent when the stack
   * has no bulk bucket.
   */
  blobStore?: BlobStore;
  /** Bulk job messages: SQS (ELEMENT_BULK_QUEUE_URL) in AWS, a persisted local queue in local mode. */
  bulkQueue?: QueueProducer;
  /**
   * One message per instance to poll: SQS (ELEMENT_EVENTS_POLL_QUEUE_URL) in AWS, a persisted local queue
   * in local mode. Absent when the stack has no poll queue.
   */
  pollQueue?: QueueProducer;
}

/** The ports a function may need; which ones it builds in AWS mode is its own choice. */
export type PortName = 'stateTable' | 'secretStore' | 'eventsQueue' | 'blobStore' | 'bulkQueue' | 'pollQueue';

/**
 * The AWS adapters a function uses, one factory per port (functions/runtime/aws-ports.ts). Each entry
 * point passes only its own: esbuild then bundles only those adapters and SDK clients, and the function
 * reads only their environment variables.
 */
export type AwsPorts = { [K in PortName]?: (env: FunctionEnv) => Promise<Dependencies[K]> };

let current: Promise<Dependencies> | undefined;

/**
 * A required port this function did not ask for: any use names the port instead of failing somewhere
 * inside an adapter (its IAM grants are missing too). `then` stays undefined so it is not a thenable.
 */
const notBuilt = <T extends object>(name: PortName): T =>
  new Proxy({} as T, {
    get: (_target, property) => {
      if (property === 'then') return undefined;
      throw new Error(
        `The ${name} port is not built for this function: add it to the ports its entry point passes`,
      );
    },
  });

async function awsDependencies(env: FunctionEnv, ports: AwsPorts): Promise<Dependencies> {
  const [stateTable, secretStore, eventsQueue, blobStore, bulkQueue, pollQueue] = await Promise.all([
    ports.stateTable?.(env),
    ports.secretStore?.(env),
    ports.eventsQueue?.(env),
    ports.blobStore?.(env),
    ports.bulkQueue?.(env),
    ports.pollQueue?.(env),
  ]);
  return {
    mode: 'aws',
    stateTable: stateTable ?? notBuilt<StateTable>('stateTable'),
    secretStore: secretStore ?? notBuilt<SecretStore>('secretStore'),
    allowedHosts: parseAllowedHosts(env.ELEMENT_ALLOWED_HOSTS ?? DEFAULT_ALLOWED_HOSTS.deployed),
    now: () => new Date(),
    ...(eventsQueue ? { eventsQueue } : {}),
    ...(blobStore ? { blobStore } : {}),
    ...(bulkQueue ? { bulkQueue } : {}),
    ...(pollQueue ? { pollQueue } : {}),
  };
}

/** File name of the local events queue under ELEMENT_DATA_DIR (the dispatcher subscribes to it). */
export const LOCAL_EVENTS_QUEUE_FILE = 'events-queue.json';
/** File name of the local bulk job queue under ELEMENT_DATA_DIR (the bulk worker subscribes to it). */
export const LOCAL_BULK_QUEUE_FILE = 'bulk-queue.json';
/** File name of the local poll queue under ELEMENT_DATA_DIR (the poll worker subscribes to it). */
export const LOCAL_POLL_QUEUE_FILE = 'poll-queue.json';

async function localDependencies(env: FunctionEnv): Promise<Dependencies> {
  const [table, secrets, queue, blobs, path] = await Promise.all([
    import('../../shared/adapters/local/state-table'),
    import('../../shared/adapters/local/secret-store'),
    import('../../shared/adapters/local/queue'),
    import('../../shared/adapters/local/blob-store'),
    import('node:path'),
  ]);
  const dataDir = env.ELEMENT_DATA_DIR ?? './.element-data';
  return {
    mode: 'local',
    stateTable: table.createLocalStateTable({ dataDir }),
    secretStore: secrets.createLocalSecretStore({ dataDir }),
    allowedHosts: parseAllowedHosts(env.ELEMENT_ALLOWED_HOSTS ?? DEFAULT_ALLOWED_HOSTS.local),
    now: () => new Date(),
    eventsQueue: queue.createLocalQueue({
      name: 'element-events',
      persistPath: path.join(dataDir, LOCAL_EVENTS_QUEUE_FILE),
    }),
    blobStore: blobs.createLocalBlobStore({ dataDir }),
    bulkQueue: queue.createLocalQueue({
      name: 'element-bulk',
      persistPath: path.join(dataDir, LOCAL_BULK_QUEUE_FILE),
    }),
    pollQueue: queue.createLocalQueue({
      name: 'element-events-poll',
      persistPath: path.join(dataDir, LOCAL_POLL_QUEUE_FILE),
    }),
  };
}

/**
 * The process's ports, built once: in AWS mode the adapters of `awsPorts` (the entry point's own list),
 * otherwise every local adapter. A set installed with setDependencies() wins in either mode.
 */
export function getDependencies(awsPorts: AwsPorts = {}, env: Env = process.env): Promise<Dependencies> {
  current ??= (async () => {
    // A malformed variable fails every invocation with its name rather than running on a default.
    const typed = readFunctionEnv(env);
    return typed.ELEMENT_MODE === 'aws' ? awsDependencies(typed, awsPorts) : localDependencies(typed);
  })().catch((error: unknown) => {
    current = undefined; // a failed start-up is retried by the next invocation
    throw error;
  });
  return current;
}

/** Tests and local mode inject their own set (e.g. a state table in a temp dir). */
export function setDependencies(dependencies: Dependencies | undefined): void {
  current = dependencies ? Promise.resolve(dependencies) : undefined;
}
