/**
 * "Connect with OAuth" from the console: the start routes (platform auth) keep the pending configuration
 * server-side and answer the authorize URL; the hosted callback (no authorizer: the signed state is the
 * credential) completes the instance and sends the browser back to the console.
 */
import { InvalidInputError } from '../../shared/errors';
import {
  connectCallbackRoute,
  createInstanceService,
  parseInstanceId,
  startConnect,
} from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import { type ApiEvent, pathParam, response, serverUrlOf } from '../middleware';
import { API_BASE_PATH, CONSOLE_OAUTH_CALLBACK_PATH, CONSOLE_PATH } from '../routes';
import type { Dependencies } from '../runtime/dependencies';
import type { PlatformRequest, PlatformRouteTable } from './context';

/** Where ServiceNow sends the browser back: our hosted callback, on the origin the caller reached us at. */
const callbackUrlOf = (event: ApiEvent, mode: string): string => {
  const origin = serverUrlOf(event, mode);
  if (origin === undefined)
    throw new InvalidInputError('The request names no usable host for the callback URL');
  return `${origin}${API_BASE_PATH}${CONSOLE_OAUTH_CALLBACK_PATH}`;
};

const connectDeps = (r: PlatformRequest) => ({ ...r.deps, instances: r.instances });

export const connectRoutes: PlatformRouteTable = {
  'POST /instances/oauth/connect': (r) =>
    startConnect(connectDeps(r), {
      userId: r.userId,
      body: r.event.jsonBody,
      callbackUrl: callbackUrlOf(r.event, r.deps.mode),
    }),
  'POST /instances/{id}/oauth/connect': (r) =>
    startConnect(connectDeps(r), {
      userId: r.userId,
      instanceId: parseInstanceId(pathParam(r.event, 'id')),
      callbackUrl: callbackUrlOf(r.event, r.deps.mode),
    }),
};

const CONSOLE_URL = `${API_BASE_PATH}${CONSOLE_PATH}/`;

/** Never cached, never sent on as a Referer: the callback URL carries the authorization code. */
const REDIRECT_HEADERS = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };

const callbackLogger = createLogger({ serviceName: 'oauth-callback' });

export const CALLBACK_ROUTE_KEY = `GET ${API_BASE_PATH}${CONSOLE_OAUTH_CALLBACK_PATH}`;

/** `GET /console/oauth/callback?code=&state=`: back to the console, to the instance or to the reason it failed. */
export const oauthCallback = async (event: ApiEvent, dependencies: () => Promise<Dependencies>) => {
  const query = new URLSearchParams(event.rawQueryString ?? '');
  const value = (name: string) => query.get(name) ?? undefined;
  const deps = () => dependencies().then((d) => ({ ...d, instances: createInstanceService(d) }));
  const route = await connectCallbackRoute(
    deps,
    { code: value('code'), state: value('state'), error: value('error') },
    callbackLogger,
  );
  return response(302, undefined, { ...REDIRECT_HEADERS, Location: `${CONSOLE_URL}${route}` });
};
