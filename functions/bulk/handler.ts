/**
 * The bulk API (research cloud-elements-servicenow.md 6; User + Element auth): download jobs
 * (`POST /bulk/query`, `POST /bulk/download`), uploads (`POST /bulk/{objectName}` multipart, presigned
 * `POST /bulk/{objectName}/uploads`), status, errors, cancel, the job list and the finished file.
 * Jobs run in the bulk worker (functions/bulk/worker.ts) through the bulk queue.
 *
 * Environment: ELEMENT_BULK_BUCKET and ELEMENT_BULK_QUEUE_URL (AWS, read by functions/runtime),
 * ELEMENT_BULK_MAX_MULTIPART_BYTES (optional; default 4 MiB in AWS).
 */
import { parseAuthorizationHeader } from '../../shared/auth/authorization-header';
import { ElementError, forbidden, unauthorized } from '../../shared/errors';
import { INSTANCE_ID_HEADER } from '../../shared/hub/headers';
import { pageTokenKey } from '../../shared/hub/page-token';
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
import type { BulkRequest, BulkRouteTable } from './context';
import { downloadRoutes } from './download-routes';
import { jobRoutes } from './job-routes';
import { uploadRoutes } from './upload-routes';

export const BULK_ROUTES: BulkRouteTable = { ...downloadRoutes, ...uploadRoutes, ...jobRoutes };

/** `POST /elements/api-v2/hubs/helpdesk/bulk/query` and `POST /bulk/query` -> `POST /bulk/query`. */
export const bulkRouteKey = (routeKey: string): string => {
  const space = routeKey.indexOf(' ');
  const method = routeKey.slice(0, space);
  let path = routeKey.slice(space + 1);
  if (path.startsWith(API_BASE_PATH)) path = path.slice(API_BASE_PATH.length);
  if (path.startsWith(`${HUB_PREFIX}/`)) path = path.slice(HUB_PREFIX.length);
  return `${method} ${path}`;
};

const ownedInstance = async (event: ApiEvent, deps: Dependencies): Promise<InstanceRecord> => {
  const { userId, instanceId } = hubIdentityOf(event);
  const instance = await createInstanceStore(deps).get(instanceId);
  if (!instance || instance.ownerUserId !== userId) throw unauthorized();
  return instance;
};

const checkUsable = (instance: InstanceRecord): void => {
  if (instance.disabled) {
    throw forbidden(
      `The instance ${instance.id} is disabled; enable it with PUT /instances/${instance.id}/enabled`,
    );
  }
  if (!instance.valid) throw reauthorizeError(instance.id);
};

const unavailable = (what: string) =>
  new ElementError(503, `Bulk is not available: this deployment has no bulk ${what}`);

export const bulkHandler = async (event: ApiEvent) => {
  const deps = await getDependencies();
  const key = bulkRouteKey(event.routeKey ?? '');
  const route = Object.hasOwn(BULK_ROUTES, key) ? BULK_ROUTES[key] : undefined;
  const instance = await ownedInstance(event, deps);
  const instanceHeader = { [INSTANCE_ID_HEADER]: String(instance.id) };
  try {
    checkUsable(instance);
    if (!route) throw new ElementError(404, 'No such route');
    let client: Promise<ServiceNowClient> | undefined;
    let tokenKey: Buffer | undefined;
    const request: BulkRequest = {
      event,
      instance,
      deps,
      params: { ...event.pathParameters } as Record<string, string>,
      query: new URLSearchParams(event.rawQueryString ?? ''),
      client: () => {
        client ??= serviceNowClientFor(instance, deps);
        return client;
      },
      blobStore: () => {
        if (deps.blobStore === undefined) throw unavailable('bucket');
        return deps.blobStore;
      },
      queue: () => {
        if (deps.bulkQueue === undefined) throw unavailable('queue');
        return deps.bulkQueue;
      },
      pageTokenKey: () => {
        const token = parseAuthorizationHeader(event.headers?.authorization)?.element;
        if (token === undefined) throw unauthorized();
        tokenKey ??= pageTokenKey(token);
        return tokenKey;
      },
      env: process.env,
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

/** Uploads arrive as multipart/form-data; `POST /bulk/query` may carry `metaData` as a form field. */
export const BULK_CONTENT_TYPES: readonly string[] = [
  'multipart/form-data',
  'application/x-www-form-urlencoded',
];

export const handler = withMiddleware(bulkHandler, { auth: 'hub', acceptedContentTypes: BULK_CONTENT_TYPES });
