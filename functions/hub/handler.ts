import { ElementError, forbidden, unauthorized } from '../../shared/errors';
import { INSTANCE_ID_HEADER } from '../../shared/hub/headers';
import {
  createInstanceStore,
  type InstanceRecord,
  reauthorizeError,
  serviceNowClientFor,
} from '../../shared/instances';
import type { ServiceNowClient } from '../../shared/servicenow';
import {
  type ApiEvent,
  hubIdentityOf,
  isApiResponse,
  response,
  toElementError,
  withMiddleware,
} from '../middleware';
import { API_BASE_PATH, HUB_PREFIX } from '../routes';
import { type Dependencies, getDependencies } from '../runtime/dependencies';
import { ATTACHMENT_UPLOAD_CONTENT_TYPES, attachmentsRoutes } from './attachments';
import { journalRoutes } from './journal';
import { metadataRoutes } from './metadata';
import { recordsRoutes } from './records';
import type { HubRequest, HubRouteTable } from './types';

export { INSTANCE_ID_HEADER };

/** `GET /hubs/helpdesk/ping` (research 9.2): a real round trip, the cheapest read every user may make. */
const pingRoutes: HubRouteTable = {
  'GET /ping': async (request) => {
    const client = await request.client();
    await client.list('sys_user', { limit: 1, fields: ['sys_id'], noCount: true });
    return { dateTime: request.deps.now().toISOString(), endpoint: request.instance.elementKey, valid: true };
  },
};

/** Every hub route, keyed `METHOD /path` below the hub prefix (functions/hub/types.ts). */
export const HUB_ROUTES: HubRouteTable = {
  ...recordsRoutes,
  ...metadataRoutes,
  ...journalRoutes,
  ...attachmentsRoutes,
  ...pingRoutes,
};

/**
 * `GET /elements/api-v2/hubs/helpdesk/{objectName}` and `GET /elements/api-v2/{objectName}` -> the same
 * key `GET /{objectName}` (functions/routes.ts lists each hub route twice).
 */
export const hubRouteKey = (routeKey: string): string => {
  const space = routeKey.indexOf(' ');
  const method = routeKey.slice(0, space);
  let path = routeKey.slice(space + 1);
  if (path.startsWith(API_BASE_PATH)) path = path.slice(API_BASE_PATH.length);
  if (path.startsWith(`${HUB_PREFIX}/`)) path = path.slice(HUB_PREFIX.length);
  return `${method} ${path}`;
};

const queryOf = (event: ApiEvent): URLSearchParams => new URLSearchParams(event.rawQueryString ?? '');

const ownedInstance = async (event: ApiEvent, deps: Dependencies): Promise<InstanceRecord> => {
  const { userId, instanceId } = hubIdentityOf(event);
  const instance = await createInstanceStore(deps).get(instanceId);
  if (!instance || instance.ownerUserId !== userId) throw unauthorized();
  return instance;
};

const checkUsable = (instance: InstanceRecord): void => {
  const instanceId = instance.id;
  if (instance.disabled)
    throw forbidden(
      `The instance ${instanceId} is disabled; enable it with PUT /instances/${instanceId}/enabled`,
    );
  if (!instance.valid) throw reauthorizeError(instanceId);
};

/**
 * The hub API (User + Element). The instance is re-checked here on every call, not only in the (cached)
 * authorizer, so delete/disable/invalid take effect at once (deleted -> 401, disabled -> 403, invalid ->
 * 401 re-authorize). Every answer of an existing instance, errors included, names it in
 * `Elements-Element-Instance-Id` (research 3.5).
 */
export const hubHandler = async (event: ApiEvent) => {
  const deps = await getDependencies();
  const key = hubRouteKey(event.routeKey ?? '');
  const route = Object.hasOwn(HUB_ROUTES, key) ? HUB_ROUTES[key] : undefined;
  // A deleted (or foreign) instance is not named in the answer: the caller has no such instance.
  const instance = await ownedInstance(event, deps);
  const instanceHeader = { [INSTANCE_ID_HEADER]: String(instance.id) };
  try {
    checkUsable(instance);
    if (!route) throw new ElementError(404, 'No such route');
    let client: Promise<ServiceNowClient> | undefined;
    const request: HubRequest = {
      event,
      userId: instance.ownerUserId,
      instance,
      client: () => {
        client ??= serviceNowClientFor(instance, deps);
        return client;
      },
      deps,
      params: { ...event.pathParameters } as Record<string, string>,
      query: queryOf(event),
    };
    const result = await route(request);
    if (isApiResponse(result)) return { ...result, headers: { ...result.headers, ...instanceHeader } };
    if (result === undefined) return response(204, undefined, instanceHeader);
    return response(200, result, instanceHeader);
  } catch (thrown) {
    const error = toElementError(thrown);
    throw new ElementError(error.status, error.message, {
      ...(error.providerMessage === undefined ? {} : { providerMessage: error.providerMessage }),
      headers: { ...error.headers, ...instanceHeader },
      cause: thrown,
    });
  }
};

// Attachment uploads arrive as multipart/form-data; the upload route parses them itself (busboy).
export const handler = withMiddleware(hubHandler, {
  auth: 'hub',
  acceptedContentTypes: ATTACHMENT_UPLOAD_CONTENT_TYPES,
});
