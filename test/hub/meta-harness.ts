import { ATTACHMENT_UPLOAD_CONTENT_TYPES } from '../../functions/hub/attachments';
import { startLocalServer } from '../../functions/local';
import type { Dependencies } from '../../functions/runtime/dependencies';
import { createLocalSecretStore, createLocalStateTable } from '../../shared/adapters/local';
import type { InstanceDeps } from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import { parseAllowedHosts } from '../../shared/net';
import { makeTempDir } from '../adapters/temp-dir';
import { ALICE, aliceAuth, BOB, basicBody, hubAuth, ORG } from '../instances/harness';
import { type SimulatorHandle, startSimulator } from '../simulator';

/**
 * Real HTTP through local mode + the simulator for the META routes (metadata, journal, attachments),
 * dispatched by the real hub entry point (functions/hub/handler.ts), exactly as `npm start` serves it.
 */
export const HUB = '/hubs/helpdesk';
export const UPLOAD_CONTENT_TYPES = ATTACHMENT_UPLOAD_CONTENT_TYPES;

export interface MetaHarness {
  api: string;
  sim: SimulatorHandle;
  token: string;
  call(
    method: string,
    path: string,
    options?: { body?: unknown; raw?: RequestInit['body']; headers?: Record<string, string>; auth?: string },
  ): Promise<{ status: number; headers: Headers; bytes: Buffer; text: string; json: () => unknown }>;
  close(): Promise<void>;
}

export const startMetaHarness = async (options: { maxBodyBytes?: number } = {}): Promise<MetaHarness> => {
  const temp = await makeTempDir('hub-meta');
  const sim = await startSimulator({ data: false });
  const stateTable = createLocalStateTable({ dataDir: temp.dir });
  const deps: Dependencies & InstanceDeps = {
    mode: 'local',
    stateTable,
    secretStore: createLocalSecretStore({ dataDir: temp.dir }),
    allowedHosts: parseAllowedHosts('127.0.0.1'),
    now: () => sim.clock.now(),
    http: { sleep: async () => undefined, maxAttempts: 2, timeoutMs: 5_000 },
  };
  const server = await startLocalServer({
    env: {
      ELEMENT_ORGANIZATION_SECRET: ORG,
      ELEMENT_USER_SECRET: `alice:${ALICE},bob:${BOB}`,
      ELEMENT_ALLOWED_HOSTS: '127.0.0.1',
      ELEMENT_ORGANIZATION_SECRET_ARN: undefined,
      ELEMENT_USER_SECRET_ARN: undefined,
      LOG_LEVEL: 'WARN',
    },
    dependencies: deps,
    authorizerCacheSeconds: 0,
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    logger: createLogger({ serviceName: 'test-hub-meta', logLevel: 'WARN' }),
  });
  const created = await fetch(`${server.url}/instances`, {
    method: 'POST',
    headers: { Authorization: aliceAuth, 'Content-Type': 'application/json' },
    body: JSON.stringify(basicBody(sim)),
  });
  if (created.status !== 200) throw new Error(`instance creation answered ${created.status}`);
  const { token } = (await created.json()) as { token: string };

  return {
    api: server.url,
    sim,
    token,
    async call(method, path, callOptions = {}) {
      const headers: Record<string, string> = {
        Authorization: callOptions.auth ?? hubAuth(token),
        ...callOptions.headers,
      };
      let body: RequestInit['body'] | undefined = callOptions.raw;
      if (callOptions.body !== undefined) {
        body = JSON.stringify(callOptions.body);
        headers['Content-Type'] ??= 'application/json';
      }
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      const text = bytes.toString('utf8');
      return { status: res.status, headers: res.headers, bytes, text, json: () => JSON.parse(text) };
    },
    async close() {
      await server.close();
      await sim.close();
      await stateTable.close();
      await temp.cleanup();
    },
  };
};
