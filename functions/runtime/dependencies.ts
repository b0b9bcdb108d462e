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
import type { SecretStore } from '../../shared/ports/secret-store';
import type { StateTable } from '../../shared/ports/state-table';

export interface Dependencies {
  mode: 'aws' | 'local';
  stateTable: StateTable;
  secretStore: SecretStore;
  /** Hosts exempt from the SSRF guard (ELEMENT_ALLOWED_HOSTS). */
  allowedHosts: AllowedHosts;
  now: () => Date;
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
  };
}

async function localDependencies(env: Env): Promise<Dependencies> {
  const [table, secrets] = await Promise.all([
    import('../../shared/adapters/local/state-table'),
    import('../../shared/adapters/local/secret-store'),
  ]);
  const dataDir = env.ELEMENT_DATA_DIR ?? './.element-data';
  return {
    mode: 'local',
    stateTable: table.createLocalStateTable({ dataDir }),
    secretStore: secrets.createLocalSecretStore({ dataDir }),
    allowedHosts: allowedHostsFromEnv(env, DEFAULT_ALLOWED_HOSTS.local),
    now: () => new Date(),
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
