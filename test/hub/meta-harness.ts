import { ATTACHMENT_UPLOAD_CONTENT_TYPES } from '../../functions/hub/attachments';
import { callApi } from '../helpers/api-call';
import { startElementStack } from '../helpers/element-stack';
import { ALICE, aliceAuth, BOB, basicBody, hubAuth, ORG } from '../instances/harness';
import type { SimulatorHandle } from '../simulator';

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
  const stack = await startElementStack({
    label: 'hub-meta',
    organizationSecret: ORG,
    userSecrets: `alice:${ALICE},bob:${BOB}`,
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
  });
  const { sim, server } = stack;
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
    call: (method, path, callOptions = {}) =>
      callApi(`${server.url}${path}`, method, { ...callOptions, auth: callOptions.auth ?? hubAuth(token) }),
    close: () => stack.close(),
  };
};
