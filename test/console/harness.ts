/**
 * The console's server side on loopback: local API server with the real handlers, the simulator whose
 * demo OAuth client accepts our hosted callback, and helpers for the browser's part of the OAuth dance.
 */
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { API_BASE_PATH, CONSOLE_OAUTH_CALLBACK_PATH } from '../../functions/routes';
import { callApi } from '../helpers/api-call';
import type { ElementStack } from '../helpers/element-stack';
import { startElementStack } from '../helpers/element-stack';
import { DEFAULT_OAUTH_CLIENTS } from '../simulator/auth';

export const ORG = 'org-secret-console-1b7e3d9a5c';
export const ALICE = 'alice-secret-console-4f2a8c6e';
export const BOB = 'bob-secret-console-9d3b1f7a2e';
export const aliceAuth = `User ${ALICE}, Organization ${ORG}`;
export const bobAuth = `User ${BOB}, Organization ${ORG}`;
export const hubAuth = (token: string) => `User ${ALICE}, Element ${token}`;
export const CLIENT_SECRET = 'demo-secret';

export interface ConsoleHarness {
  stack: ElementStack;
  /** `http://127.0.0.1:<port>/elements/api-v2` */
  api: string;
  callbackUrl: string;
  call(
    method: string,
    path: string,
    options?: { auth?: string; body?: unknown; redirect?: 'manual' | 'follow' },
  ): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }>;
  close(): Promise<void>;
}

export const startConsoleHarness = async (options: { logLevel?: LogLevel } = {}): Promise<ConsoleHarness> => {
  const redirectUris = [...(DEFAULT_OAUTH_CLIENTS[0]?.redirectUris ?? [])];
  const stack = await startElementStack({
    label: 'console',
    simulator: {
      oauthClients: DEFAULT_OAUTH_CLIENTS.map((client) => ({ ...client, redirectUris })),
    },
    organizationSecret: ORG,
    userSecrets: `alice:${ALICE},bob:${BOB}`,
    ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
  });
  const callbackUrl = `${stack.server.origin}${API_BASE_PATH}${CONSOLE_OAUTH_CALLBACK_PATH}`;
  redirectUris.push(callbackUrl);
  return {
    stack,
    api: stack.server.url,
    callbackUrl,
    call: (method, path, callOptions = {}) =>
      callApi(path.startsWith('http') ? path : `${stack.server.url}${path}`, method, {
        ...callOptions,
        redirect: callOptions.redirect ?? 'manual',
      }),
    close: () => stack.close(),
  };
};

/** The body of a new OAuth instance against the simulator, without the code. */
export const oauthBody = (simUrl: string, extra: Record<string, unknown> = {}) => ({
  element: { key: 'servicenowoauth' },
  name: 'connected in the console',
  tags: ['console'],
  configuration: {
    'oauth.api.key': 'demo-client',
    'oauth.api.secret': CLIENT_SECRET,
    'servicenow.subdomain': simUrl,
  },
  ...extra,
});

/**
 * What the browser does with the authorize URL in automatic mode: ServiceNow answers 302 to our
 * callback with `code` and `state` (or `error`). Returns that callback URL.
 */
export const authorize = async (authorizeUrl: string, extraQuery = ''): Promise<string> => {
  const res = await fetch(`${authorizeUrl}${extraQuery}`, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`authorize step answered ${res.status}`);
  return location;
};

/** Where the callback sent the browser: the console route after `#`, with its query. */
export const consoleRoute = (location: string | null) => {
  const [path, query = ''] = (location ?? '').split('#')[1]?.split('?') ?? [];
  return { path, query: new URLSearchParams(query) };
};
