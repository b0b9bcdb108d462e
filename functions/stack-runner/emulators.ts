/**
 * The AWS services the stack uses, emulated on loopback: dynalite (DynamoDB), fauxqs (SQS and S3) and the
 * Secrets Manager emulator; and the template's tables, queues and buckets created in them as declared.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
// @ts-expect-error dynalite ships no type declarations
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { type FakeSecretsManager, startFakeSecretsManager } from './secrets-manager-emulator';
import { type CfnTemplate, type PhysicalResource, resourcesOfType } from './template';

export const REGION = 'us-east-1';
/** fauxqs builds its ARNs and queue URLs with this account; every emulated ARN uses it too. */
export const ACCOUNT_ID = '000000000000';

export interface Emulators {
  dynamoUrl: string;
  /** fauxqs serves SQS and S3 on one port. */
  fauxqsUrl: string;
  secretsManager: FakeSecretsManager;
  /** The runner's own clients (straight to the emulators, no IAM check). */
  dynamoClient: DynamoDBClient;
  sqsClient: SQSClient;
  s3Client: S3Client;
  close(): Promise<void>;
}

/** `dataDir`: where dynalite and the secrets persist (unset: in memory). */
export const startEmulators = async (dataDir: string | undefined): Promise<Emulators> => {
  const closing: (() => Promise<unknown> | unknown)[] = [];
  const close = async () => {
    for (const closer of closing.reverse()) await Promise.resolve(closer()).catch(() => undefined);
  };
  try {
    const dynamo = (dynalite as (options: object) => Server)({
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
      ...(dataDir ? { path: join(dataDir, 'dynamodb') } : {}),
    });
    await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve));
    closing.push(() => new Promise<void>((resolve) => dynamo.close(() => resolve())));
    const dynamoUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
    const fauxqs = buildApp({ logger: false });
    await fauxqs.listen({ port: 0, host: '127.0.0.1' });
    closing.push(() => fauxqs.close());
    const fauxqsUrl = `http://127.0.0.1:${(fauxqs.server.address() as AddressInfo).port}`;
    const secretsManager: FakeSecretsManager = await startFakeSecretsManager({
      region: REGION,
      accountId: ACCOUNT_ID,
      ...(dataDir ? { persistPath: join(dataDir, 'secrets.json') } : {}),
    });
    closing.push(() => secretsManager.close());

    const runnerCredentials = { accessKeyId: 'stack-runner', secretAccessKey: 'stack-runner' };
    const dynamoClient = new DynamoDBClient({
      endpoint: dynamoUrl,
      region: REGION,
      credentials: runnerCredentials,
    });
    const sqsClient = new SQSClient({
      endpoint: fauxqsUrl,
      region: REGION,
      credentials: runnerCredentials,
      useQueueUrlAsEndpoint: false,
    });
    const s3Client = new S3Client({
      endpoint: fauxqsUrl,
      region: REGION,
      credentials: runnerCredentials,
      forcePathStyle: true,
    });
    closing.push(() => {
      dynamoClient.destroy();
      sqsClient.destroy();
      s3Client.destroy();
    });
    return { dynamoUrl, fauxqsUrl, secretsManager, dynamoClient, sqsClient, s3Client, close };
  } catch (error) {
    await close();
    throw error;
  }
};

/**
 * Creates the template's tables (keys, GSIs, LSIs, TTL), queues (attributes, then redrive policies) and
 * buckets under their physical names; returns each queue's URL in the emulator by logical id.
 */
export const provisionResources = async (
  emulators: Emulators,
  template: CfnTemplate,
  physical: ReadonlyMap<string, PhysicalResource>,
  resolve: <T = unknown>(value: unknown) => T,
): Promise<Map<string, string>> => {
  const { dynamoClient, sqsClient, s3Client } = emulators;
  const upstreamQueueUrl = new Map<string, string>();
  // Tables, as declared: keys, GSIs, LSIs, TTL.
  for (const [logicalId, table] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const properties = resolve<Record<string, unknown>>(table.Properties ?? {});
    const TableName = physical.get(logicalId)!.ref;
    try {
      await dynamoClient.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: properties.AttributeDefinitions as never,
          KeySchema: properties.KeySchema as never,
          ...(properties.GlobalSecondaryIndexes
            ? {
                GlobalSecondaryIndexes: (properties.GlobalSecondaryIndexes as Record<string, unknown>[]).map(
                  ({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection }) as never,
                ),
              }
            : {}),
          ...(properties.LocalSecondaryIndexes
            ? { LocalSecondaryIndexes: properties.LocalSecondaryIndexes as never }
            : {}),
        }),
      );
      await waitUntilTableExists(
        { client: dynamoClient, maxWaitTime: 20, minDelay: 0.05, maxDelay: 0.2 },
        { TableName },
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
    }
    const ttl = properties.TimeToLiveSpecification as
      | { AttributeName?: string; Enabled?: boolean }
      | undefined;
    if (ttl?.Enabled && ttl.AttributeName) {
      await dynamoClient
        .send(
          new UpdateTimeToLiveCommand({
            TableName,
            TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
          }),
        )
        .catch(() => undefined);
    }
  }

  // Queues: created first, then their redrive policies (a DLQ must exist before it is named).
  const queues = resourcesOfType(template, 'AWS::SQS::Queue');
  for (const [logicalId, queue] of queues) {
    const properties = resolve<Record<string, unknown>>(queue.Properties ?? {});
    const attributes: Record<string, string> = {};
    for (const key of [
      'VisibilityTimeout',
      'MessageRetentionPeriod',
      'DelaySeconds',
      'ReceiveMessageWaitTimeSeconds',
      'MaximumMessageSize',
    ]) {
      if (properties[key] !== undefined) attributes[key] = String(properties[key]);
    }
    if (properties.FifoQueue) attributes.FifoQueue = 'true';
    const created = await sqsClient.send(
      new CreateQueueCommand({
        QueueName: physical.get(logicalId)!.attributes.QueueName,
        Attributes: attributes,
      }),
    );
    upstreamQueueUrl.set(logicalId, created.QueueUrl!);
  }
  for (const [logicalId, queue] of queues) {
    const redrive = resolve<Record<string, unknown>>(queue.Properties ?? {}).RedrivePolicy;
    if (!redrive) continue;
    await sqsClient.send(
      new SetQueueAttributesCommand({
        QueueUrl: upstreamQueueUrl.get(logicalId),
        Attributes: { RedrivePolicy: typeof redrive === 'string' ? redrive : JSON.stringify(redrive) },
      }),
    );
  }
  for (const [logicalId] of resourcesOfType(template, 'AWS::S3::Bucket')) {
    await s3Client
      .send(new CreateBucketCommand({ Bucket: physical.get(logicalId)!.ref }))
      .catch((error: unknown) => {
        if (!/BucketAlready/.test(String((error as { name?: string }).name))) throw error;
      });
  }
  return upstreamQueueUrl;
};
