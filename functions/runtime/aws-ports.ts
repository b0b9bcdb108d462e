/**
 * The AWS adapters behind each port, one factory per port, built from the environment the stack sets:
 * the state table here, the others in aws-secret-store.ts, aws-queues.ts and aws-blob-store.ts. A
 * function lists the factories it needs (getDependencies in dependencies.ts). Each factory loads its
 * adapter and SDK client with a dynamic import, a chunk of the bundle evaluated on first use, so a cold
 * start never evaluates an SDK. One module per port because esbuild makes a chunk of every dynamic
 * import in the modules a function imports, used or not: the authorizer's asset holds no S3 or SQS code.
 */
import { type FunctionEnv, required } from '../../shared/config/env';
import type { StateTable } from '../../shared/ports/state-table';

export type Env = FunctionEnv;

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
