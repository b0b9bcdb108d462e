/**
 * The AWS adapters behind each port, one factory per port, built from the environment the stack sets:
 * the state table here, the others in aws-secret-store.ts, aws-queues.ts and aws-blob-store.ts. A
 * function lists the factories it needs (getDependencies in dependencies.ts). Each factory loads its
 * adapter, with the SDK client it builds, through a dynamic import: a chunk of the bundle evaluated on
 * first use, so a cold start never evaluates an SDK. Never `import('@aws-sdk/…')` itself: a dynamic import
 * of a package keeps all of it (every command, schema and waiter), where the adapter's named imports keep
 * what it sends. One module per port because esbuild makes a chunk of every dynamic
 * import in the modules a function imports, used or not: the authorizer's asset holds no S3 or SQS code.
 */
import { type FunctionEnv, required } from '../../shared/config/env';
import type { StateTable } from '../../shared/ports/state-table';

export type Env = FunctionEnv;

/** DynamoDB (ELEMENT_STATE_TABLE). */
export const awsStateTable = async (env: Env): Promise<StateTable> => {
  const tableName = required(env, 'ELEMENT_STATE_TABLE');
  const table = await import('../../shared/adapters/aws/state-table');
  return table.createAwsStateTable({ client: table.createDefaultDocumentClient(), tableName });
};
