import type { ElementDefinition } from '../elements';
import { describeOperation } from './operations';
import { parameterRef, pathParametersOf, QUERY_PARAMETERS } from './parameters';
import { errorResponseComponents, errorResponseRefs, RESPONSE_HEADERS, successHeaders } from './responses';
import { componentSchemas } from './schemas';
import type { DocumentedRoute, OpenApiDocument, OperationObject, PathItem, ResponseObject } from './types';

export interface DocumentOptions {
  /** Every route of the API (functions/routes.ts ROUTES). */
  routes: readonly DocumentedRoute[];
  /** `/elements/api-v2`: prefixed to every path. */
  basePath: string;
  /** `/hubs/helpdesk`: hub routes are documented under both spellings, as they are served. */
  hubPrefix: string;
  element: ElementDefinition;
  version: string;
  /** Origin the API is reached at (`https://abc.execute-api.eu-west-1.amazonaws.com`); default `/`. */
  serverUrl?: string;
}

/** Names of the two security schemes; both are the `Authorization` header, in two forms (research 2). */
export const SECURITY_SCHEMES = { platform: 'UserOrganization', hub: 'UserElement' } as const;

const securitySchemes = {
  [SECURITY_SCHEMES.platform]: {
    type: 'apiKey' as const,
    in: 'header' as const,
    name: 'Authorization',
    description:
      'Platform routes (elements, instances): `Authorization: User <user secret>, Organization <organization secret>`.',
  },
  [SECURITY_SCHEMES.hub]: {
    type: 'apiKey' as const,
    in: 'header' as const,
    name: 'Authorization',
    description:
      'Hub routes: `Authorization: User <user secret>, Element <element token>` (the token comes with the ' +
      'instance from POST or GET /instances/{id}); `User .., Organization .., Element ..` is accepted too.',
  },
};

/** `getHubsHelpdeskObjectNameIdAttachments`: unique per method and path. */
export const operationIdOf = (method: string, path: string): string => {
  const words = path
    .split(/[/{}\-_.]+/)
    .filter((word) => word !== '')
    .map((word) => word[0]?.toUpperCase() + word.slice(1));
  return `${method.toLowerCase()}${words.join('') || 'Root'}`;
};

const operationOf = (route: DocumentedRoute, options: DocumentOptions): OperationObject => {
  const described = describeOperation(route.method, route.path, route.auth, options.hubPrefix);
  const hub = route.auth === 'hub';
  const status = described.status ?? '200';
  const success: ResponseObject = {
    description: described.summary,
    headers: successHeaders(hub, described.paged === true),
    ...(described.response === undefined
      ? {}
      : { content: { [described.responseMediaType ?? 'application/json']: { schema: described.response } } }),
  };
  const parameters = [
    ...pathParametersOf(route.path),
    ...(described.query ?? []).map((name) => parameterRef(name)),
  ];
  return {
    operationId: operationIdOf(route.method, route.path),
    summary: described.summary,
    ...(described.description === undefined ? {} : { description: described.description }),
    tags: [described.tag],
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(described.requestBody === undefined ? {} : { requestBody: described.requestBody }),
    responses: { [status]: success, ...errorResponseRefs() },
    security: route.auth === 'none' ? [] : [{ [SECURITY_SCHEMES[route.auth]]: [] }],
    'x-element-auth': route.auth,
  };
};

/**
 * The OpenAPI 3.1 document of the whole API for one element: every route of `options.routes` (so a new
 * route appears without touching this module), request bodies from the zod schemas the handlers
 * validate with, CE's error table on every operation (research cloud-elements-servicenow.md 9.3).
 * Pure and deterministic; callers cache it (see `cachedElementDocument`).
 */
export const buildOpenApiDocument = (options: DocumentOptions): OpenApiDocument => {
  const { element } = options;
  const paths: Record<string, PathItem> = {};
  for (const route of options.routes) {
    const path = `${options.basePath}${route.path}`;
    const item: PathItem = paths[path] ?? {};
    const method = route.method.toLowerCase() as keyof PathItem;
    if (item[method]) throw new Error(`Route ${route.method} ${route.path} is listed twice`);
    item[method] = operationOf(route, options);
    paths[path] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `${element.name} element API`,
      version: options.version,
      description:
        `${element.description}. A self-hosted re-creation of the Cloud Elements ${element.name} element: ` +
        `platform routes manage elements and instances, hub routes (${options.hubPrefix}/..., or the same ` +
        'path without the prefix) reach ServiceNow through an instance. Every response carries ' +
        'Elements-Request-Id; every error body is {requestId, message, providerMessage?}.',
      license: { name: 'MIT', identifier: 'MIT' },
      'x-element-id': element.id,
      'x-element-key': element.key,
      'x-element-hub': element.hub,
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: options.serverUrl ?? '/', description: 'This deployment' }],
    tags: [
      { name: 'ping', description: 'Liveness' },
      { name: 'elements', description: 'The ServiceNow elements (User + Organization)' },
      {
        name: 'instances',
        description: 'Element instances: credentials, configuration (User + Organization)',
      },
      {
        name: 'events',
        description: 'Change events by polling: poll now, event log, redelivery (User + Organization)',
      },
      { name: 'hub', description: 'Helpdesk hub: ServiceNow records through an instance (User + Element)' },
    ],
    paths,
    components: {
      schemas: componentSchemas(element),
      responses: errorResponseComponents(),
      parameters: QUERY_PARAMETERS,
      headers: RESPONSE_HEADERS,
      securitySchemes,
    },
  };
};

export interface InstanceSummary {
  id: number;
  name: string;
}

/**
 * The document of one instance (`GET /instances/{id}/docs`): the element's document with the instance
 * named in `info` and `servers`. The element token is NOT in it (it is a secret; GET /instances/{id} has it).
 */
export const instanceDocument = (
  document: OpenApiDocument,
  instance: InstanceSummary,
  serverUrl?: string,
): OpenApiDocument => ({
  ...document,
  info: {
    ...document.info,
    title: `${document.info.title}: instance ${instance.id} (${instance.name})`,
    'x-element-instance-id': instance.id,
    'x-element-instance-name': instance.name,
  },
  servers: [
    {
      url: serverUrl ?? document.servers[0]?.url ?? '/',
      description: `Hub calls for instance ${instance.id} (${instance.name}) send its element token`,
    },
  ],
});

const cache = new Map<string, OpenApiDocument>();

/**
 * Built once per element and process (building walks every route and converts the zod schemas, a few
 * milliseconds), so only the first docs request of a warm Lambda pays for it. The server URL is per
 * request and is set on a shallow copy.
 */
export const cachedElementDocument = (
  options: Omit<DocumentOptions, 'serverUrl'>,
  serverUrl?: string,
): OpenApiDocument => {
  let document = cache.get(options.element.key);
  if (!document) {
    document = buildOpenApiDocument(options);
    cache.set(options.element.key, document);
  }
  return serverUrl === undefined
    ? document
    : { ...document, servers: [{ url: serverUrl, description: 'This deployment' }] };
};
