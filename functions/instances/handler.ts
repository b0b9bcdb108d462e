import { APP_VERSION } from '../../shared/config/version';
import {
  ELEMENTS,
  type ElementDefinition,
  elementConfigurationView,
  elementMetadataView,
  elementView,
  findElement,
} from '../../shared/elements';
import { ElementError } from '../../shared/errors';
import { createInstanceService, elementFromPath, oauthUrlFor, parseInstanceId } from '../../shared/instances';
import { type ApiEvent, hubIdentityOf, identityOf, response, withMiddleware } from '../middleware';
import { API_BASE_PATH, HUB_PREFIX, ROUTES } from '../routes';
import { awsSecretStore, awsStateTable } from '../runtime/aws-ports';
import { type AwsPorts, getDependencies } from '../runtime/dependencies';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = { stateTable: awsStateTable, secretStore: awsSecretStore };

/**
 * One Lambda for the platform API of elements and instances. Thin: parse the route, call the instances
 * domain (shared/instances), shape the response.
 */

/** Instance bodies are small; anything larger is refused before it reaches validation. */
export const MAX_INSTANCE_BODY_BYTES = 64 * 1024;

/** `GET /elements/api-v2/instances/{id}` -> `GET /instances/{}`: parameter names do not matter. */
const routeOf = (event: ApiEvent): string => {
  const [method, path = ''] = (event.routeKey ?? '').split(' ');
  const below = path.startsWith(API_BASE_PATH) ? path.slice(API_BASE_PATH.length) : path;
  return `${method} ${below.replace(/\{[^}]+\}/g, '{}')}`;
};

/** Path parameters carry the names of functions/routes.ts (`{keyOrId}`, `{id}`, `{configId}`). */
const param = (event: ApiEvent, name: string): string | undefined => event.pathParameters?.[name];

/** `?tags[]=a&tags[]=b` (CE style) or `?tags=a`; read from the raw query so repeats survive. */
const tagsOf = (event: ApiEvent): string[] => {
  const query = new URLSearchParams(event.rawQueryString ?? '');
  return [...query.getAll('tags[]'), ...query.getAll('tags')];
};

const queryOf = (event: ApiEvent): Record<string, string | undefined> => {
  const query = new URLSearchParams(event.rawQueryString ?? '');
  return Object.fromEntries(query.entries());
};

/** A host name or IP literal with an optional port, nothing that could smuggle markup or a path. */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * Origin for the document's `servers`: API Gateway's own domain name (local mode: the Host header),
 * https unless the request says otherwise (local mode serves plain http on loopback).
 */
const serverUrlOf = (event: ApiEvent, mode: string): string | undefined => {
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

export const instancesHandler = async (event: ApiEvent) => {
  const { userId } = identityOf(event);
  if (event.body !== undefined && Buffer.byteLength(event.body) > MAX_INSTANCE_BODY_BYTES) {
    throw new ElementError(413, `Request body exceeds ${MAX_INSTANCE_BODY_BYTES} bytes`);
  }
  const deps = await getDependencies(AWS_PORTS);
  const instances = createInstanceService(deps);
  const keyOrId = () => param(event, 'keyOrId');
  const id = () => parseInstanceId(param(event, 'id'));
  /** The instance of the Element token (routes on "the current instance"). */
  const current = () => hubIdentityOf(event).instanceId;
  const configItem = async (instanceId: number) => {
    const key = param(event, 'configId') ?? '';
    const item = (await instances.configuration(userId, instanceId)).find((entry) => entry.key === key);
    if (item === undefined)
      throw new ElementError(404, `No configuration ${JSON.stringify(key.slice(0, 100))}`);
    return item;
  };
  const docsOf = async (instanceId: number) => {
    // owned(): another user's instance is a 404, like a missing one.
    const record = await instances.owned(userId, instanceId);
    const element = findElement(record.elementKey);
    if (!element) throw new ElementError(500, `Instance ${record.id} refers to an unknown element`);
    const serverUrl = serverUrlOf(event, deps.mode);
    const [{ openapi, document }, { documentedCommonResources }] = await Promise.all([
      documentFor(element, serverUrl),
      import('../../shared/transformations'),
    ]);
    // Common resources with addToDocumentation join the instance's own document.
    const commonResources = await documentedCommonResources(deps.stateTable, record);
    return openapi.instanceDocument(
      document,
      { id: record.id, name: record.name },
      serverUrl,
      commonResources,
      { basePath: API_BASE_PATH, hubPrefix: HUB_PREFIX },
    );
  };
  switch (routeOf(event)) {
    case 'GET /elements':
      return ELEMENTS.map(elementView);
    case 'GET /elements/{}':
      return elementView(elementFromPath(keyOrId()));
    case 'GET /elements/{}/metadata':
      return elementMetadataView(elementFromPath(keyOrId()));
    case 'GET /elements/{}/configuration':
      return elementConfigurationView(elementFromPath(keyOrId()));
    case 'GET /elements/{}/oauth/url':
      return oauthUrlFor(elementFromPath(keyOrId()), queryOf(event), deps.allowedHosts);
    case 'POST /elements/{}/instances':
      return instances.create(userId, event.jsonBody, keyOrId() ?? '');
    case 'POST /instances':
      return instances.create(userId, event.jsonBody);
    case 'GET /instances':
      return instances.list(userId, { tags: tagsOf(event) });
    case 'GET /instances/{}':
      return instances.get(userId, id());
    case 'PUT /instances/{}':
      return instances.update(userId, id(), event.jsonBody, 'replace');
    case 'PATCH /instances/{}':
      return instances.update(userId, id(), event.jsonBody, 'merge');
    case 'DELETE /instances/{}':
      await instances.remove(userId, id());
      return response(200);
    case 'PUT /instances/{}/enabled':
      return instances.setEnabled(userId, id(), true);
    case 'DELETE /instances/{}/enabled':
      return instances.setEnabled(userId, id(), false);
    case 'GET /instances/{}/configuration':
      return instances.configuration(userId, id());
    case 'GET /instances/{}/configuration/{}':
      return configItem(id());
    case 'PATCH /instances/{}/configuration/{}':
      return instances.updateConfiguration(userId, id(), param(event, 'configId') ?? '', event.jsonBody);
    case 'PUT /instances':
      return instances.update(userId, current(), event.jsonBody, 'replace');
    case 'PATCH /instances':
      return instances.update(userId, current(), event.jsonBody, 'merge');
    case 'GET /instances/configuration':
      return instances.configuration(userId, current());
    case 'GET /instances/configuration/{}':
      return configItem(current());
    case 'PATCH /instances/configuration/{}':
      return instances.updateConfiguration(userId, current(), param(event, 'configId') ?? '', event.jsonBody);
    case 'GET /instances/docs':
      return docsOf(current());
    case 'GET /elements/{}/docs':
      return (await documentFor(elementFromPath(keyOrId()), serverUrlOf(event, deps.mode))).document;
    case 'GET /instances/{}/docs':
      return docsOf(id());
    default:
      throw new ElementError(404, 'No such route');
  }
};

export const handler = withMiddleware(instancesHandler, { auth: ['platform', 'hub'] });
