import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { Dependencies } from '../../functions/runtime/dependencies';
import { COUNTER_KEY, createInstanceStore, type InstanceDeps } from '../../shared/instances';
import { callApi } from '../helpers/api-call';
import { startElementStack } from '../helpers/element-stack';
import type { SimulatorHandle } from '../simulator';

export const ORG = 'org-secret-3f9a1c7d2b8e4a60';
export const ALICE = 'alice-secret-7c1e9b2a4d6f8031';
export const BOB = 'bob-secret-5a2d8e1f9c3b7064';
export const aliceAuth = `User ${ALICE}, Organization ${ORG}`;
export const bobAuth = `User ${BOB}, Organization ${ORG}`;
export const hubAuth = (token: string, user = ALICE) => `User ${user}, Element ${token}`;

export interface Harness {
  api: string;
  sim: SimulatorHandle;
  deps: Dependencies & InstanceDeps;
  dataDir: string;
  call(
    method: string,
    path: string,
    options?: { auth?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }>;
  /** Counter, each user's instances (with versions), token items and secret files: to assert "nothing changed". */
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

export const startHarness = async (
  options: { accessTokenTtlSeconds?: number; logLevel?: LogLevel } = {},
): Promise<Harness> => {
  const stack = await startElementStack({
    label: 'instances',
    simulator: options.accessTokenTtlSeconds ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds } : {},
    organizationSecret: ORG,
    userSecrets: `alice:${ALICE},bob:${BOB}`,
    ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
  });
  const { sim, deps, server, dataDir } = stack;
  const store = createInstanceStore(deps);

  return {
    api: server.url,
    sim,
    deps,
    dataDir,
    call: (method, path, callOptions = {}) => callApi(`${server.url}${path}`, method, callOptions),
    async snapshot() {
      const counter = await deps.stateTable.get(COUNTER_KEY);
      const owners = await Promise.all(
        ['alice', 'bob'].map(async (user) =>
          (await store.listByOwner(user)).map((r) => `${r.id}@${r.version}:${r.valid}:${r.disabled}`),
        ),
      );
      let secrets: string[] = [];
      try {
        secrets = (await readdir(join(dataDir, 'secrets'), { recursive: true })).map(String).sort();
      } catch {
        secrets = [];
      }
      return JSON.stringify({ counter: counter?.version ?? 0, owners, secrets });
    },
    close: () => stack.close(),
  };
};

/** The authorization code from the simulator's authorize step (auto-approved, 302 with `code`). */
export const authorizationCode = async (
  sim: SimulatorHandle,
  options: { clientId?: string; redirectUri?: string; oauthUrl?: string } = {},
): Promise<string> => {
  const url =
    options.oauthUrl ??
    `${sim.url}/oauth_auth.do?${new URLSearchParams({
      response_type: 'code',
      client_id: options.clientId ?? 'demo-client',
      redirect_uri: options.redirectUri ?? 'http://127.0.0.1/callback',
      state: 'servicenowoauth',
    })}`;
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`authorize step answered ${res.status}`);
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error('no code in the redirect');
  return code;
};

export const basicBody = (sim: SimulatorHandle, overrides: Record<string, unknown> = {}) => ({
  element: { key: 'servicenow' },
  name: 'My ServiceNow',
  tags: ['docs'],
  configuration: { username: 'admin', password: 'admin', 'servicenow.subdomain': sim.url, ...overrides },
});
