/**
 * Real HTTP against local mode + the simulator for hub tests (modelled on test/instances/harness.ts):
 * starts both, provisions a Basic instance through the platform API and hands back its element token.
 */
import type { Dependencies } from '../../functions/runtime/dependencies';
import type { InstanceDeps } from '../../shared/instances';
import { callApi } from '../helpers/api-call';
import { startElementStack } from '../helpers/element-stack';
import { ALICE, aliceAuth, basicBody, hubAuth, ORG } from '../instances/harness';
import type { SimulatorHandle, SimulatorOptions } from '../simulator';

export { ALICE, aliceAuth, hubAuth, ORG };

export interface HubResponse {
  status: number;
  headers: Headers;
  text: string;
  json: <T = unknown>() => T;
}

export interface HubHarness {
  api: string;
  sim: SimulatorHandle;
  deps: Dependencies & InstanceDeps;
  /** The provisioned Basic instance. */
  instanceId: number;
  token: string;
  /** A hub call with the instance's token (path below /elements/api-v2, e.g. `/hubs/helpdesk/incidents`). */
  hub(
    method: string,
    path: string,
    options?: { body?: unknown; raw?: string; token?: string },
  ): Promise<HubResponse>;
  /** A platform call (User + Organization). */
  platform(method: string, path: string, body?: unknown): Promise<HubResponse>;
  /** A platform call with a raw JSON text body. */
  platformRaw(method: string, path: string, raw: string): Promise<HubResponse>;
  /** Provisions another Basic instance; returns its id and token. */
  provision(configuration?: Record<string, unknown>): Promise<{ id: number; token: string }>;
  close(): Promise<void>;
}

export const startHubHarness = async (simulator: SimulatorOptions = {}): Promise<HubHarness> => {
  const stack = await startElementStack({
    label: 'hub',
    simulator,
    organizationSecret: ORG,
    userSecrets: `alice:${ALICE}`,
    // Error paths are exercised on purpose; their ERROR lines would only be noise here.
    logLevel: 'SILENT',
  });
  const { sim, deps, server } = stack;

  const send = async (
    method: string,
    path: string,
    auth: string,
    body?: unknown,
    raw?: string,
  ): Promise<HubResponse> =>
    callApi(`${server.url}${path}`, method, {
      auth,
      body,
      raw,
      ...(raw === undefined ? {} : { headers: { 'Content-Type': 'application/json' } }),
    });

  const provision = async (configuration: Record<string, unknown> = {}) => {
    const res = await send('POST', '/instances', aliceAuth, basicBody(sim, configuration));
    if (res.status !== 200) throw new Error(`provisioning answered ${res.status}: ${res.text}`);
    return res.json<{ id: number; token: string }>();
  };
  const first = await provision();

  return {
    api: server.url,
    sim,
    deps,
    instanceId: first.id,
    token: first.token,
    hub: (method, path, options = {}) =>
      send(method, path, hubAuth(options.token ?? first.token), options.body, options.raw),
    platform: (method, path, body) => send(method, path, aliceAuth, body),
    platformRaw: (method, path, raw) => send(method, path, aliceAuth, undefined, raw),
    provision,
    close: () => stack.close(),
  };
};
