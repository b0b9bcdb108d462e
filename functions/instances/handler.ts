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
import { getEvent, listEvents, pollStatus, redeliverEvent } from '../../shared/events/event-admin';
import { createEventLog } from '../../shared/events/event-log';
import { NEXT_PAGE_TOKEN_HEADER, RETURNED_COUNT_HEADER } from '../../shared/hub/headers';
import {
  ConnectError,
  completeConnect,
  createInstanceService,
  elementFromPath,
  oauthUrlFor,
  parseInstanceId,
  startConnect,
} from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import type { StateTable } from '../../shared/ports';
import {
  type ApiEvent,
  hubIdentityOf,
  identityOf,
  type LambdaHttpHandler,
  response,
  withMiddleware,
} from '../middleware';
import { API_BASE_PATH, CONSOLE_OAUTH_CALLBACK_PATH, CONSOLE_PATH, HUB_PREFIX, ROUTES } from '../routes';
import { awsEventsQueue, awsSecretStore, awsStateTable } from '../runtime/aws-ports';
import { type AwsPorts, getDependencies } from '../runtime/dependencies';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = {
  stateTable: awsStateTable,
  secretStore: awsSecretStore,
  eventsQueue: awsEventsQueue,
};

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

/** Path parameters carry the names of functions/routes.ts (`{keyOrId}`, `{id}`, `{configId}`, `{eventId}`). */
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

/** Where ServiceNow sends the browser back: our hosted callback, on the origin the caller reached us at. */
const callbackUrlOf = (event: ApiEvent, mode: string): string => {
  const origin = serverUrlOf(event, mode);
  if (origin === undefined)
    throw new ElementError(400, 'The request names no usable host for the callback URL');
  return `${origin}${API_BASE_PATH}${CONSOLE_OAUTH_CALLBACK_PATH}`;
};

const eventLogOf = (deps: { stateTable: StateTable; now: () => Date }) =>
  createEventLog({ stateTable: deps.stateTable, now: deps.now });

/** CE's event list: the events as an array, paged by Elements-Next-Page-Token (passed back as nextPage). */
const eventsPage = async (
  deps: { stateTable: StateTable; now: () => Date },
  instanceId: number,
  event: ApiEvent,
) => {
  const page = await listEvents(eventLogOf(deps), instanceId, queryOf(event));
  return response(200, page.events, {
    [RETURNED_COUNT_HEADER]: String(page.events.length),
    ...(page.nextPage === undefined ? {} : { [NEXT_PAGE_TOKEN_HEADER]: page.nextPage }),
  });
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
    case 'GET /instances/events':
      return eventsPage(deps, (await instances.owned(userId, current())).id, event);
    case 'GET /instances/events/{}':
      return getEvent(
        eventLogOf(deps),
        (await instances.owned(userId, current())).id,
        param(event, 'eventId') ?? '',
      );
    case 'GET /elements/{}/docs':
      return (await documentFor(elementFromPath(keyOrId()), serverUrlOf(event, deps.mode))).document;
    case 'GET /instances/{}/docs':
      return docsOf(id());
    case 'POST /instances/oauth/connect':
      return startConnect(
        { ...deps, instances },
        { userId, body: event.jsonBody, callbackUrl: callbackUrlOf(event, deps.mode) },
      );
    case 'POST /instances/{}/oauth/connect':
      return startConnect(
        { ...deps, instances },
        { userId, instanceId: id(), callbackUrl: callbackUrlOf(event, deps.mode) },
      );
    case 'POST /instances/{}/events/poll': {
      // owned(): another user's instance is a 404, like a missing one.
      const record = await instances.owned(userId, id());
      const { pollInstanceNow } = await import('../events/poller');
      // Inside the API's 29 s: a longer poll stops and resumes from its checkpoints next time.
      return (await pollInstanceNow(deps, record, { instanceBudgetMs: 25_000 })).summary;
    }
    case 'GET /instances/{}/events':
      return eventsPage(deps, (await instances.owned(userId, id())).id, event);
    case 'GET /instances/{}/events/status': {
      const record = await instances.owned(userId, id());
      return pollStatus(deps.stateTable, record.id, deps.now());
    }
    case 'GET /instances/{}/events/{}': {
      const record = await instances.owned(userId, id());
      return getEvent(eventLogOf(deps), record.id, param(event, 'eventId') ?? '');
    }
    case 'POST /instances/{}/events/{}/redeliver': {
      const record = await instances.owned(userId, id());
      const redelivered = await redeliverEvent(
        eventLogOf(deps),
        deps.eventsQueue,
        record.id,
        param(event, 'eventId') ?? '',
      );
      return response(202, redelivered);
    }
    default:
      throw new ElementError(404, 'No such route');
  }
};

const CONSOLE_URL = `${API_BASE_PATH}${CONSOLE_PATH}/`;

/** Never cached, never sent on as a Referer: the callback URL carries the authorization code. */
const REDIRECT_HEADERS = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };

const callbackLogger = createLogger({ serviceName: 'oauth-callback' });

/**
 * `GET /console/oauth/callback?code=&state=`: no authorizer, the signed state is the credential. Completes
 * the instance and sends the browser back to the console, to the instance on success, else to a page
 * naming the reason (never a secret, never ServiceNow's own words).
 */
export const oauthCallbackHandler = async (event: ApiEvent) => {
  const query = new URLSearchParams(event.rawQueryString ?? '');
  const value = (name: string) => query.get(name) ?? undefined;
  let location: string;
  try {
    const deps = await getDependencies(AWS_PORTS);
    const { instance } = await completeConnect(
      { ...deps, instances: createInstanceService(deps) },
      { code: value('code'), state: value('state'), error: value('error') },
    );
    location = `${CONSOLE_URL}#/instances/${instance.id}?connected=1`;
  } catch (error) {
    const failure =
      error instanceof ConnectError
        ? { reason: error.reason, message: error.message }
        : { reason: 'internal', message: 'The connection could not be completed; try again' };
    if (!(error instanceof ConnectError)) callbackLogger.error('OAuth callback failed', { error });
    else callbackLogger.info('OAuth callback refused', { reason: error.reason });
    location = `${CONSOLE_URL}#/connect-error?${new URLSearchParams(failure).toString()}`;
  }
  return response(302, undefined, { ...REDIRECT_HEADERS, Location: location });
};

const platformHandler = withMiddleware(instancesHandler, { auth: ['platform', 'hub'] });
const callbackHandler = withMiddleware(oauthCallbackHandler);
const CALLBACK_ROUTE_KEY = `GET ${API_BASE_PATH}${CONSOLE_OAUTH_CALLBACK_PATH}`;

/** The callback is this function's one public route; API Gateway's routeKey says which route matched. */
export const handler: LambdaHttpHandler = (event, context) =>
  event.routeKey === CALLBACK_ROUTE_KEY ? callbackHandler(event, context) : platformHandler(event, context);
