import type { AddressInfo, Server } from 'node:net';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
// @ts-expect-error dynalite ships no type declarations
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { STATE_TABLE_SCHEMA } from '../../shared/ports';
import { startedForSuite } from '../helpers/lifecycle';

/** Dummy credentials: the emulators accept any signature; nothing here ever leaves 127.0.0.1. */
export const emulatorClientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

export interface Dynalite {
  endpoint: string;
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = (dynalite as (options: object) => Server)({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient(emulatorClientConfig(endpoint));
  const documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    endpoint,
    client,
    documentClient,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Create the state table exactly as infra does: from the exported key schema. */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const s = STATE_TABLE_SCHEMA;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [s.partitionKey, s.sortKey, s.gsi1.partitionKey, s.gsi1.sortKey].map((name) => ({
        AttributeName: name,
        AttributeType: 'S',
      })),
      KeySchema: [
        { AttributeName: s.partitionKey, KeyType: 'HASH' },
        { AttributeName: s.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: s.gsi1.indexName,
          KeySchema: [
            { AttributeName: s.gsi1.partitionKey, KeyType: 'HASH' },
            { AttributeName: s.gsi1.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  await waitUntilTableExists(
    { client, maxWaitTime: 20, minDelay: 0.05, maxDelay: 0.2 },
    { TableName: tableName },
  );
}

export interface Fauxqs {
  endpoint: string;
  close(): Promise<void>;
}

/** fauxqs and an SQS client of it, started before a file's (or describe block's) tests, closed after them. */
export const sqsEmulatorForSuite = (): { endpoint: string; client: SQSClient } =>
  startedForSuite(async () => {
    const fauxqs = await startFauxqs();
    const client = new SQSClient(emulatorClientConfig(fauxqs.endpoint));
    return {
      endpoint: fauxqs.endpoint,
      client,
      async close() {
        client.destroy();
        await fauxqs.close();
      },
    };
  });

export async function startFauxqs(): Promise<Fauxqs> {
  // buildApp + listen on loopback: fauxqs's own CLI/startFauxqs bind 0.0.0.0 (toolchain.md section 3).
  const app = buildApp({ logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async close() {
      await app.close();
    },
  };
}
