/**
 * The ports every function works with, built once per process from the environment:
 * `ELEMENT_MODE=aws` (set by the CDK stack) -> DynamoDB / Secrets Manager adapters; anything else ->
 * the local file-backed adapters under `ELEMENT_DATA_DIR` (local mode and tests). Handlers call
 * `getDependencies()`; tests can replace the set with `setDependencies()`.
 */
import {
  type AllowedHosts,
  allowedHostsFromEnv,
  DEFAULT_ALLOWED_HOSTS,
} from '../../shared/net/allowed-hosts';
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
}

type Env = Readonly<Record<string, string | undefined>>;

let current: Promise<Dependencies> | undefined;

const required = (env: Env, name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function awsDependencies(env: Env): Promise<Dependencies> {
  // Loaded only in AWS mode, so local mode never pays for the SDK clients.
  const [{ DynamoDBClient }, { DynamoDBDocumentClient }, { SecretsManagerClient }, table, secrets] =
    await Promise.all([
      import('@aws-sdk/client-dynamodb'),
      import('@aws-sdk/lib-dynamodb'),
      import('@aws-sdk/client-secrets-manager'),
      import('../../shared/adapters/aws/state-table'),
      import('../../shared/adapters/aws/secret-store'),
    ]);
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    mode: 'aws',
    stateTable: table.createAwsStateTable({
      client: documentClient,
      tableName: required(env, 'ELEMENT_STATE_TABLE'),
    }),
    secretStore: secrets.createAwsSecretStore({
      client: new SecretsManagerClient({}),
      namePrefix: required(env, 'ELEMENT_SECRET_PREFIX'),
      ...(env.ELEMENT_KMS_KEY_ID ? { kmsKeyId: env.ELEMENT_KMS_KEY_ID } : {}),
    }),
    allowedHosts: allowedHostsFromEnv(env, DEFAULT_ALLOWED_HOSTS.deployed),
    now: () => new Date(),
    ...(env.ELEMENT_EVENTS_QUEUE_URL ? { eventsQueue: await awsQueue(env.ELEMENT_EVENTS_QUEUE_URL) } : {}),
    ...(env.ELEMENT_BULK_QUEUE_URL ? { bulkQueue: await awsQueue(env.ELEMENT_BULK_QUEUE_URL) } : {}),
    ...(env.ELEMENT_BULK_BUCKET ? { blobStore: await awsBlobStore(env.ELEMENT_BULK_BUCKET) } : {}),
  };
}

async function awsBlobStore(bucket: string): Promise<BlobStore> {
  const [{ S3Client }, blobs] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../../shared/adapters/aws/blob-store'),
  ]);
  return blobs.createAwsBlobStore({ client: new S3Client({}), bucket });
}

async function awsQueue(queueUrl: string): Promise<QueueProducer> {
  const [{ SQSClient }, queue] = await Promise.all([
    import('@aws-sdk/client-sqs'),
    import('../../shared/adapters/aws/queue-producer'),
  ]);
  return queue.createAwsQueueProducer({ client: new SQSClient({}), queueUrl });
}

/** File name of the local events queue under ELEMENT_DATA_DIR (the dispatcher subscribes to it). */
export const LOCAL_EVENTS_QUEUE_FILE = 'events-queue.json';
/** File name of the local bulk job queue under ELEMENT_DATA_DIR (the bulk worker subscribes to it). */
export const LOCAL_BULK_QUEUE_FILE = 'bulk-queue.json';

async function localDependencies(env: Env): Promise<Dependencies> {
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
    allowedHosts: allowedHostsFromEnv(env, DEFAULT_ALLOWED_HOSTS.local),
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
  };
}

export function getDependencies(env: Env = process.env): Promise<Dependencies> {
  current ??= (env.ELEMENT_MODE === 'aws' ? awsDependencies(env) : localDependencies(env)).catch(
    (error: unknown) => {
      current = undefined; // a failed start-up is retried by the next invocation
      throw error;
    },
  );
  return current;
}

/** Tests and local mode inject their own set (e.g. a state table in a temp dir). */
export function setDependencies(dependencies: Dependencies | undefined): void {
  current = dependencies ? Promise.resolve(dependencies) : undefined;
}
