/**
 * The whole product on loopback for contract tests: the ServiceNow simulator, local adapters in a temp dir
 * and the local API server running the real handlers and authorizer. Harnesses add their own call helpers.
 */

import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { type LocalServerHandle, startLocalServer } from '../../functions/local';
import type { Dependencies } from '../../functions/runtime/dependencies';
import { createLocalSecretStore, createLocalStateTable } from '../../shared/adapters/local';
import type { InstanceDeps } from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import { parseAllowedHosts } from '../../shared/net';
import type { SecretStore, StateTable } from '../../shared/ports';
import { makeTempDir } from '../adapters/temp-dir';
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from '../simulator';

/** The host every test server listens on: the only one exempt from the SSRF guard in tests. */
export const LOOPBACK_HOSTS = '127.0.0.1';

/**
 * Local dependencies over `ports`, the loopback simulator allowed, ServiceNow retries without waiting
 * (so 429/5xx tests stay fast) after `maxAttempts` (2 show that retries happen).
 */
export const localTestDependencies = (
  ports: { stateTable: StateTable; secretStore: SecretStore },
  options: { now?: () => Date; maxAttempts?: number } = {},
): Dependencies & InstanceDeps => ({
  mode: 'local',
  ...ports,
  allowedHosts: parseAllowedHosts(LOOPBACK_HOSTS),
  now: options.now ?? (() => new Date()),
  http: { sleep: async () => undefined, maxAttempts: options.maxAttempts ?? 2, timeoutMs: 5_000 },
});

/**
 * What the local API server reads from the environment in tests: the chosen secrets (never ARNs, which
 * would send it to Secrets Manager), the loopback simulator allowed, and the log level.
 */
export const localServerEnv = (secrets: { organization: string; users: string }, logLevel: string) => ({
  ELEMENT_ORGANIZATION_SECRET: secrets.organization,
  ELEMENT_USER_SECRET: secrets.users,
  ELEMENT_ALLOWED_HOSTS: LOOPBACK_HOSTS,
  ELEMENT_ORGANIZATION_SECRET_ARN: undefined,
  ELEMENT_USER_SECRET_ARN: undefined,
  LOG_LEVEL: logLevel,
});

export interface ElementStackOptions {
  label: string;
  simulator?: SimulatorOptions;
  /** ELEMENT_ORGANIZATION_SECRET and ELEMENT_USER_SECRET as the API sees them. */
  organizationSecret: string;
  userSecrets: string;
  logLevel?: LogLevel;
  maxBodyBytes?: number;
}

export interface ElementStack {
  sim: SimulatorHandle;
  deps: Dependencies & InstanceDeps;
  server: LocalServerHandle;
  dataDir: string;
  close(): Promise<void>;
}

export const startElementStack = async (options: ElementStackOptions): Promise<ElementStack> => {
  const temp = await makeTempDir(options.label);
  const sim = await startSimulator({ data: false, ...options.simulator });
  const stateTable = createLocalStateTable({ dataDir: temp.dir });
  const logLevel = options.logLevel ?? 'WARN';
  const deps = localTestDependencies(
    { stateTable, secretStore: createLocalSecretStore({ dataDir: temp.dir }) },
    // The simulator's clock: advancing it expires tokens for ServiceNow and for our refresh-ahead alike.
    { now: () => sim.clock.now() },
  );
  const server = await startLocalServer({
    env: localServerEnv({ organization: options.organizationSecret, users: options.userSecrets }, logLevel),
    dependencies: deps,
    // Decisions are re-made per request so deletes and disables show at once.
    authorizerCacheSeconds: 0,
    logger: createLogger({ serviceName: `test-${options.label}`, logLevel }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
  });
  return {
    sim,
    deps,
    server,
    dataDir: temp.dir,
    async close() {
      await server.close();
      await sim.close();
      await stateTable.close();
      await temp.cleanup();
    },
  };
};
