/**
 * Real HTTP against local mode + the simulator for transformations tests (modelled on test/hub/harness.ts):
 * alice and bob as platform users, one Basic instance of alice provisioned, platform and hub calls.
 */
import type { Dependencies } from '../../functions/runtime/dependencies';
import type { InstanceDeps } from '../../shared/instances';
import { callApi } from '../helpers/api-call';
import { startElementStack } from '../helpers/element-stack';
import { ALICE, aliceAuth, BOB, basicBody, bobAuth, hubAuth, ORG } from '../instances/harness';
import type { SimulatorHandle, SimulatorOptions } from '../simulator';

export { aliceAuth, bobAuth };

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: <T = Record<string, unknown>>() => T;
}

export interface XformHarness {
  sim: SimulatorHandle;
  deps: Dependencies & InstanceDeps;
  instanceId: number;
  token: string;
  /** Platform call as alice (or `auth`). */
  platform(method: string, path: string, body?: unknown, auth?: string): Promise<Answer>;
  /** Hub call with the instance's token (or `token`). */
  hub(method: string, path: string, body?: unknown, token?: string): Promise<Answer>;
  provision(configuration?: Record<string, unknown>, auth?: string): Promise<{ id: number; token: string }>;
  close(): Promise<void>;
}

export const startXformHarness = async (simulator: SimulatorOptions = {}): Promise<XformHarness> => {
  const stack = await startElementStack({
    label: 'xform',
    simulator,
    organizationSecret: ORG,
    userSecrets: `alice:${ALICE},bob:${BOB}`,
    logLevel: 'SILENT',
  });
  const { sim, deps, server } = stack;
  const send = (method: string, path: string, auth: string, body?: unknown): Promise<Answer> =>
    callApi(`${server.url}${path}`, method, { auth, body });
  const provision = async (configuration: Record<string, unknown> = {}, auth = aliceAuth) => {
    const res = await send('POST', '/instances', auth, basicBody(sim, configuration));
    if (res.status !== 200) throw new Error(`provisioning answered ${res.status}: ${res.text}`);
    return res.json<{ id: number; token: string }>();
  };
  const first = await provision();
  return {
    sim,
    deps,
    instanceId: first.id,
    token: first.token,
    platform: (method, path, body, auth = aliceAuth) => send(method, path, auth, body),
    hub: (method, path, body, token = first.token) => send(method, path, hubAuth(token), body),
    provision,
    close: () => stack.close(),
  };
};
