import { APP_VERSION } from '../../shared/config/version';
import { type ElementDefinition, findElement } from '../../shared/elements';
import { InternalError } from '../../shared/errors';
import { elementFromPath, parseInstanceId } from '../../shared/instances';
import { type ApiEvent, hubIdentityOf, pathParam } from '../middleware';
import { API_BASE_PATH, HUB_PREFIX, ROUTES } from '../routes';
import type { PlatformRequest, PlatformRouteTable } from './context';

/** A host name or IP literal with an optional port, nothing that could smuggle markup or a path. */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * Origin for the document's `servers`: API Gateway's own domain name (local mode: the Host header),
 * https unless the request says otherwise (local mode serves plain http on loopback).
 */
export const serverUrlOf = (event: ApiEvent, mode: string): string | undefined => {
  const host = event.requestContext?.domainName;
  if (!host || !HOST.test(host)) return undefined;
  const forwarded = event.headers?.['x-forwarded-proto'];
  const proto =
    forwarded === 'http' || forwarded === 'https' ? forwarded : mode === 'local' ? 'http' : 'https';
  return `${proto}://${host}`;
};

/**
 * The OpenAPI document (shared/openapi), imported on the first docs request only: the generator and
 * its schemas are not evaluated on a cold start that never serves docs.
 */
const documentFor = async (element: ElementDefinition, serverUrl: string | undefined) => {
  const openapi = await import('../../shared/openapi');
  return {
    openapi,
    document: openapi.cachedElementDocument(
      { routes: ROUTES, basePath: API_BASE_PATH, hubPrefix: HUB_PREFIX, element, version: APP_VERSION },
      serverUrl,
    ),
  };
};

/** The document of one of the caller's instances, with its documented common resources. */
const instanceDocs = async ({ event, userId, deps, instances }: PlatformRequest, instanceId: number) => {
  // owned(): another user's instance is a 404, like a missing one.
  const record = await instances.owned(userId, instanceId);
  const element = findElement(record.elementKey);
  if (!element) throw new InternalError(`Instance ${record.id} refers to an unknown element`);
  const serverUrl = serverUrlOf(event, deps.mode);
  const [{ openapi, document }, { documentedCommonResources }] = await Promise.all([
    documentFor(element, serverUrl),
    import('../../shared/transformations'),
  ]);
  const commonResources = await documentedCommonResources(deps.stateTable, record);
  return openapi.instanceDocument(
    document,
    { id: record.id, name: record.name },
    serverUrl,
    commonResources,
    {
      basePath: API_BASE_PATH,
      hubPrefix: HUB_PREFIX,
    },
  );
};

export const docsRoutes: PlatformRouteTable = {
  'GET /elements/{keyOrId}/docs': async ({ event, deps }) =>
    (await documentFor(elementFromPath(pathParam(event, 'keyOrId')), serverUrlOf(event, deps.mode))).document,
  'GET /instances/{id}/docs': (request) =>
    instanceDocs(request, parseInstanceId(pathParam(request.event, 'id'))),
  'GET /instances/docs': (request) => instanceDocs(request, hubIdentityOf(request.event).instanceId),
};
