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
import { makeTempDir } from '../adapters/temp-dir';
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from '../simulator';

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
  const deps: Dependencies & InstanceDeps = {
    mode: 'local',
    stateTable,
    secretStore: createLocalSecretStore({ dataDir: temp.dir }),
    allowedHosts: parseAllowedHosts('127.0.0.1'),
    // The simulator's clock: advancing it expires tokens for ServiceNow and for our refresh-ahead alike.
    now: () => sim.clock.now(),
    // Retries without waiting, so 429/5xx tests stay fast; 2 attempts show that retries happen.
    http: { sleep: async () => undefined, maxAttempts: 2, timeoutMs: 5_000 },
  };
  const server = await startLocalServer({
    env: {
      ELEMENT_ORGANIZATION_SECRET: options.organizationSecret,
      ELEMENT_USER_SECRET: options.userSecrets,
      ELEMENT_ALLOWED_HOSTS: '127.0.0.1',
      ELEMENT_ORGANIZATION_SECRET_ARN: undefined,
      ELEMENT_USER_SECRET_ARN: undefined,
      LOG_LEVEL: logLevel,
    },
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
