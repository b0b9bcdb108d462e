/**
 * A separate process that takes one lease of instance `key` on a DynamoDB-compatible endpoint and holds
 * it until it is killed: `tsx lease-holder.ts <endpoint> <table> <key> <leaseMs>`. Prints `held` once
 * the lease is in the table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAwsStateTable } from '../../../shared/adapters/aws/state-table';
import { createLeaseGate } from '../../../shared/servicenow';
import { emulatorClientConfig } from '../../adapters/emulators';

const [endpoint = '', tableName = '', key = '', leaseMs = '1000'] = process.argv.slice(2);
const client = DynamoDBDocumentClient.from(new DynamoDBClient(emulatorClientConfig(endpoint)));
const gate = createLeaseGate({
  table: createAwsStateTable({ client, tableName }),
  key,
  limit: 1,
  leaseMs: Number(leaseMs),
  maxWaitMs: 5_000,
});
await gate.run(async () => {
  process.stdout.write('held\n');
  await new Promise(() => undefined);
});
