/**
 * The AWS adapters behind each port, one factory per port, built from the environment the stack sets.
 * A function lists the factories it needs (getDependencies in dependencies.ts); esbuild bundles only
 * those, with only their SDK clients, so the authorizer carries no S3 or SQS code. Each factory loads
 * its client on first use (a lazy chunk of the bundle), so a call path that never needs a port never
 * evaluates its SDK.
 */
import type { BlobStore } from '../../shared/ports/blob-store';
import type { QueueProducer } from '../../shared/ports/queue';
import type { SecretStore } from '../../shared/ports/secret-store';
import type { StateTable } from '../../shared/ports/state-table';

type Env = Readonly<Record<string, string | undefined>>;

const required = (env: Env, name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

/** DynamoDB (ELEMENT_STATE_TABLE). */
export const awsStateTable = async (env: Env): Promise<StateTable> => {
  const tableName = required(env, 'ELEMENT_STATE_TABLE');
  const [{ DynamoDBClient }, { DynamoDBDocumentClient }, table] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/lib-dynamodb'),
    import('../../shared/adapters/aws/state-table'),
  ]);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return table.createAwsStateTable({ client, tableName });
};

/** Secrets Manager (ELEMENT_SECRET_PREFIX, optional ELEMENT_KMS_KEY_ID). */
export const awsSecretStore = async (env: Env): Promise<SecretStore> => {
  const namePrefix = required(env, 'ELEMENT_SECRET_PREFIX');
  const [{ SecretsManagerClient }, secrets] = await Promise.all([
    import('@aws-sdk/client-secrets-manager'),
    import('../../shared/adapters/aws/secret-store'),
  ]);
  return secrets.createAwsSecretStore({
    client: new SecretsManagerClient({}),
    namePrefix,
    ...(env.ELEMENT_KMS_KEY_ID ? { kmsKeyId: env.ELEMENT_KMS_KEY_ID } : {}),
  });
};

const awsQueue = async (queueUrl: string): Promise<QueueProducer> => {
  const [{ SQSClient }, queue] = await Promise.all([
    import('@aws-sdk/client-sqs'),
    import('../../shared/adapters/aws/queue-producer'),
  ]);
  return queue.createAwsQueueProducer({ client: new SQSClient({}), queueUrl });
};

/** SQS events queue (ELEMENT_EVENTS_QUEUE_URL); absent when the stack gives the function none. */
export const awsEventsQueue = async (env: Env): Promise<QueueProducer | undefined> =>
  env.ELEMENT_EVENTS_QUEUE_URL ? awsQueue(env.ELEMENT_EVENTS_QUEUE_URL) : undefined;

/** SQS events poll queue (ELEMENT_EVENTS_POLL_QUEUE_URL); absent when the stack gives the function none. */
export const awsPollQueue = async (env: Env): Promise<QueueProducer | undefined> =>
  env.ELEMENT_EVENTS_POLL_QUEUE_URL ? awsQueue(env.ELEMENT_EVENTS_POLL_QUEUE_URL) : undefined;

/** SQS bulk job queue (ELEMENT_BULK_QUEUE_URL); absent when the stack gives the function none. */
export const awsBulkQueue = async (env: Env): Promise<QueueProducer | undefined> =>
  env.ELEMENT_BULK_QUEUE_URL ? awsQueue(env.ELEMENT_BULK_QUEUE_URL) : undefined;

/** S3 staging bucket (ELEMENT_BULK_BUCKET); absent when the stack gives the function none. */
export const awsBlobStore = async (env: Env): Promise<BlobStore | undefined> => {
  const bucket = env.ELEMENT_BULK_BUCKET;
  if (!bucket) return undefined;
  const [{ S3Client }, blobs] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../../shared/adapters/aws/blob-store'),
  ]);
  return blobs.createAwsBlobStore({ client: new S3Client(blobs.AWS_BLOB_STORE_CLIENT_CONFIG), bucket });
};
