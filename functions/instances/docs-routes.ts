import { APP_VERSION } from '../../shared/config/version';
import { type ElementDefinition, findElement } from '../../shared/elements';
import { InternalError } from '../../shared/errors';
import { elementFromPath, parseInstanceId } from '../../shared/instances';
import { hubIdentityOf, pathParam, serverUrlOf } from '../middleware';
import { API_BASE_PATH, HUB_PREFIX, ROUTES } from '../routes';
import type { PlatformRequest, PlatformRouteTable } from './context';

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
