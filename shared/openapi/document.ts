import type { ElementDefinition } from '../elements';
import { describeOperation } from './operations';
import {
  LIST_PARAMETERS,
  parameterRef,
  pathParametersOf,
  QUERY_PARAMETERS,
  READ_PARAMETERS,
} from './parameters';
import { errorResponseComponents, errorResponseRefs, RESPONSE_HEADERS, successHeaders } from './responses';
import { componentSchemas } from './schemas';
import type {
  DocumentedRoute,
  JsonSchema,
  OpenApiDocument,
  OperationObject,
  PathItem,
  ResponseObject,
} from './types';

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

/** Names of the two security schemes; both are the `Authorization` header, in two forms. */
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
 * validate with, CE's error table on every operation.
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
      {
        name: 'bulk',
        description:
          'Bulk jobs: downloads staged as files, uploads written row by row with an error report (User + Element)',
      },
      {
        name: 'transformations',
        description:
          'Common resources: object definitions and field mappings per level (User + Organization)',
      },
      {
        name: 'console',
        description: 'The web console (static files, no auth) and its OAuth connect flow',
      },
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

/** A common resource of the instance with `addToDocumentation` ("Add to API Docs"). */
export interface DocumentedCommonResource {
  /** The hub resource name. */
  name: string;
  /** Its ServiceNow table. */
  vendorName: string;
  /** JSON schema of one common record (shared/transformations commonRecordSchema). */
  schema: JsonSchema;
}

/** `Common_myTickets`-style component name (schema names allow letters, digits, `_`). */
const commonSchemaName = (name: string) => `Common_${name}`;

/** The hub operations of one common resource, under both hub spellings, like the generic record routes. */
const commonResourcePaths = (
  common: DocumentedCommonResource,
  basePath: string,
  hubPrefix: string,
): Record<string, PathItem> => {
  const record: JsonSchema = { $ref: `#/components/schemas/${commonSchemaName(common.name)}` };
  const body = { required: true, content: { 'application/json': { schema: record } } };
  const about = `Common resource ${common.name} (transformation of the ServiceNow table ${common.vendorName}); where/orderBy/fields use its field names`;
  const operation = (
    method: string,
    path: string,
    summary: string,
    options: { status?: string; paged?: boolean; query?: readonly string[]; body?: boolean; list?: boolean },
  ): OperationObject => {
    const parameters = [
      ...pathParametersOf(path),
      ...(options.query ?? []).map((name) => parameterRef(name)),
    ];
    return {
      operationId: operationIdOf(method, path),
      summary,
      description: about,
      tags: ['hub'],
      ...(parameters.length === 0 ? {} : { parameters }),
      ...(options.body ? { requestBody: body } : {}),
      responses: {
        [options.status ?? '200']: {
          description: summary,
          headers: successHeaders(true, options.paged === true),
          content: {
            'application/json': { schema: options.list ? { type: 'array', items: record } : record },
          },
        },
        ...errorResponseRefs(),
      },
      security: [{ [SECURITY_SCHEMES.hub]: [] }],
      'x-element-auth': 'hub',
    };
  };
  const paths: Record<string, PathItem> = {};
  for (const prefix of [`${basePath}${hubPrefix}`, basePath]) {
    const collection = `${prefix}/${common.name}`;
    const one = `${collection}/{id}`;
    paths[collection] = {
      get: operation('GET', collection, `Search ${common.name}`, {
        paged: true,
        query: LIST_PARAMETERS,
        list: true,
      }),
      post: operation('POST', collection, `Create a ${common.name} record`, { body: true }),
    };
    paths[one] = {
      get: operation('GET', one, `Get a ${common.name} record`, { query: READ_PARAMETERS }),
      put: operation('PUT', one, `Replace a ${common.name} record`, { body: true }),
      patch: operation('PATCH', one, `Update a ${common.name} record`, { body: true }),
      delete: operation('DELETE', one, `Delete a ${common.name} record`, {}),
    };
  }
  return paths;
};

/**
 * The document of one instance (`GET /instances/{id}/docs`): the element's document with the instance
 * named in `info` and `servers`, plus its common resources marked `addToDocumentation` (their own
 * paths, which take precedence over the generic `/{objectName}` ones, and a record schema each).
 * The element token is NOT in it (it is a secret; GET /instances/{id} has it).
 */
export const instanceDocument = (
  document: OpenApiDocument,
  instance: InstanceSummary,
  serverUrl?: string,
  commonResources: readonly DocumentedCommonResource[] = [],
  prefixes: { basePath: string; hubPrefix: string } = {
    basePath: '/elements/api-v2',
    hubPrefix: '/hubs/helpdesk',
  },
): OpenApiDocument => ({
  ...document,
  ...(commonResources.length === 0
    ? {}
    : {
        paths: {
          ...document.paths,
          ...Object.assign(
            {},
            ...commonResources.map((c) => commonResourcePaths(c, prefixes.basePath, prefixes.hubPrefix)),
          ),
        },
        components: {
          ...document.components,
          schemas: {
            ...document.components.schemas,
            ...Object.fromEntries(commonResources.map((c) => [commonSchemaName(c.name), c.schema])),
          },
        },
      }),
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
