import { MAX_ATTACHMENT_BYTES } from '../hub/attachments/limits';
import { BULK_OPERATIONS } from './operations-bulk';
import { TRANSFORMATION_OPERATIONS } from './operations-transformations';
import { LIST_PARAMETERS, READ_PARAMETERS } from './parameters';
import { schemaRef } from './schemas';
import type { JsonSchema, RequestBodyObject } from './types';

/** What the document says about one route beyond its method, path and auth. */
export interface OperationDescription {
  summary: string;
  description?: string;
  tag: 'ping' | 'elements' | 'instances' | 'events' | 'hub' | 'transformations' | 'bulk' | 'console';
  /** Status of the success answer (default 200). */
  status?: '200' | '201' | '202' | '204';
  /** Body schema of the success answer; undefined = no body. */
  response?: JsonSchema;
  /** Media type of the success body (default application/json). */
  responseMediaType?: string;
  requestBody?: RequestBodyObject;
  /** Names of components.parameters (query). */
  query?: readonly string[];
  /** Whether the success answer carries the paging headers. */
  paged?: boolean;
}

const json = (schema: JsonSchema, description?: string): RequestBodyObject => ({
  required: true,
  ...(description === undefined ? {} : { description }),
  content: { 'application/json': { schema } },
});

const instanceBody = (description: string) => json(schemaRef('InstanceBody'), description);

/** POST bodies that create an instance: the zod schema, with the element's configuration keys spelled out. */
const createInstanceBody = json(
  {
    allOf: [
      schemaRef('InstanceBody'),
      { properties: { configuration: schemaRef('ElementConfiguration') }, required: ['configuration'] },
    ],
  },
  'The element (key or id), a name, tags and the configuration; ServiceNow is called to check the credentials before anything is stored',
);

const arrayOf = (name: string): JsonSchema => ({ type: 'array', items: schemaRef(name) });

/**
 * Keyed by `METHOD /path` as in functions/routes.ts, hub routes WITHOUT the `/hubs/helpdesk` prefix
 * (both spellings are the same route). A route missing here still appears in the document with a
 * generic description, so the document can never lose a route.
 */
/** The answer of both OAuth connect starts (shared/instances/oauth-connect.ts). */
const ConnectStarted: JsonSchema = {
  type: 'object',
  required: ['authorizeUrl', 'state', 'expiresAt', 'callbackUrl'],
  properties: {
    authorizeUrl: { type: 'string', description: "ServiceNow's /oauth_auth.do URL to send the browser to" },
    state: { type: 'string', description: 'Signed, single use, valid 10 minutes' },
    expiresAt: { type: 'string', format: 'date-time' },
    callbackUrl: {
      type: 'string',
      description: 'The redirect URI to register on the ServiceNow OAuth application',
    },
  },
};

const consoleFile = (method: string): OperationDescription => ({
  tag: 'console',
  summary: `${method} a file of the web console (index.html, assets)`,
  responseMediaType: 'text/html',
  ...(method === 'GET' ? { response: { type: 'string' } } : {}),
});

const CORE_OPERATIONS: Record<string, OperationDescription> = {
  'POST /instances/oauth/connect': {
    tag: 'console',
    summary: 'Start connecting a new OAuth (authorization code) instance in the browser',
    description:
      'Body: the POST /instances body without providerData.code. Checked as create would check it; kept ' +
      'server-side (the client secret in the secret store) until the callback completes the instance.',
    requestBody: createInstanceBody,
    response: ConnectStarted,
  },
  'POST /instances/{id}/oauth/connect': {
    tag: 'console',
    summary: 'Start re-authorizing an OAuth instance in the browser (its stored client credentials)',
    response: ConnectStarted,
  },
  'GET /console/oauth/callback': {
    tag: 'console',
    summary:
      'OAuth redirect URI: completes the instance and redirects to the console (no auth: the signed state)',
    description:
      'Query: code, state (or error). Answers 302 to the console, on failure to #/connect-error?reason=',
    status: '200',
  },
  'GET /console': consoleFile('GET'),
  'HEAD /console': consoleFile('HEAD'),
  'GET /console/{proxy+}': consoleFile('GET'),
  'HEAD /console/{proxy+}': consoleFile('HEAD'),
  'GET /ping': {
    tag: 'ping',
    summary: 'Liveness of the API (no authentication)',
    response: schemaRef('Ping'),
  },
  'GET /elements': { tag: 'elements', summary: 'List the elements', response: arrayOf('Element') },
  'GET /elements/{keyOrId}': { tag: 'elements', summary: 'Get an element', response: schemaRef('Element') },
  'GET /elements/{keyOrId}/oauth/url': {
    tag: 'elements',
    summary: "Build ServiceNow's OAuth authorization URL",
    description: 'Query: apiKey (client id), callbackUrl, servicenow.subdomain, state',
    response: schemaRef('OAuthUrl'),
  },
  'POST /elements/{keyOrId}/instances': {
    tag: 'instances',
    summary: 'Create an instance of this element',
    requestBody: createInstanceBody,
    response: schemaRef('Instance'),
  },
  'GET /elements/{keyOrId}/docs': {
    tag: 'elements',
    summary: 'This OpenAPI document, for the element',
    response: schemaRef('OpenApiDocument'),
  },
  'POST /instances': {
    tag: 'instances',
    summary: 'Create an instance (Basic or OAuth credentials, checked against ServiceNow)',
    requestBody: createInstanceBody,
    response: schemaRef('Instance'),
  },
  'GET /instances': {
    tag: 'instances',
    summary: "List the caller's instances",
    description: 'Filter with ?tags[]=a&tags[]=b',
    response: arrayOf('Instance'),
  },
  'GET /instances/{id}': {
    tag: 'instances',
    summary: 'Get an instance, with its element token',
    response: schemaRef('Instance'),
  },
  'PUT /instances/{id}': {
    tag: 'instances',
    summary: 'Replace an instance (configuration replaced; credentials re-checked)',
    requestBody: instanceBody('The new name, tags and configuration'),
    response: schemaRef('Instance'),
  },
  'PATCH /instances/{id}': {
    tag: 'instances',
    summary: 'Update an instance (configuration merged; credentials re-checked when changed)',
    requestBody: instanceBody('The fields to change'),
    response: schemaRef('Instance'),
  },
  'DELETE /instances/{id}': {
    tag: 'instances',
    summary: 'Delete an instance; its element token stops working (401)',
  },
  'PUT /instances/{id}/enabled': {
    tag: 'instances',
    summary: 'Enable an instance',
    response: schemaRef('Instance'),
  },
  'DELETE /instances/{id}/enabled': {
    tag: 'instances',
    summary: 'Disable an instance (hub calls answer 403)',
    response: schemaRef('Instance'),
  },
  'GET /instances/{id}/configuration': {
    tag: 'instances',
    summary: "List an instance's configuration (secrets masked)",
    response: arrayOf('ConfigurationItem'),
  },
  'PATCH /instances/{id}/configuration/{configId}': {
    tag: 'instances',
    summary: 'Change one configuration value',
    requestBody: json(schemaRef('ConfigurationPatch')),
    response: schemaRef('ConfigurationItem'),
  },
  'GET /instances/{id}/docs': {
    tag: 'instances',
    summary: 'This OpenAPI document, for one instance',
    response: schemaRef('OpenApiDocument'),
  },
  'GET /instances/{id}/configuration/{configId}': {
    tag: 'instances',
    summary: 'One configuration value (secrets masked)',
    response: schemaRef('ConfigurationItem'),
  },
  'GET /elements/{keyOrId}/metadata': {
    tag: 'elements',
    summary: 'What the element supports: events (polling, default poller configuration), bulk, resources',
    response: { type: 'object' },
  },
  'GET /elements/{keyOrId}/configuration': {
    tag: 'elements',
    summary: 'The configuration keys an instance takes, with types and defaults',
    response: { type: 'array', items: { type: 'object' } },
  },
  // Events: polling on demand and the per-instance event log.
  'POST /instances/{id}/events/poll': {
    tag: 'events',
    summary: 'Poll the instance now and return what was queued (409 while events are disabled)',
    response: { type: 'object' },
  },
  'GET /instances/{id}/events': {
    tag: 'events',
    summary:
      'Event log, newest first: CE event objects (id, eventDate, status, providerData) with the delivery',
    description:
      'An array; `deliveryStatus` is QUEUED, DELIVERED, FAILED or DEAD (CE `status`: NOTIFIED when delivered, else DISPATCHED). Query `status` filters on deliveryStatus (NOTIFIED = DELIVERED), `pageSize` (1-200, default 50); the next page is `nextPage=<Elements-Next-Page-Token>`.',
    response: { type: 'array', items: { type: 'object' } },
    paged: true,
  },
  'GET /instances/{id}/events/status': {
    tag: 'events',
    summary: "The poller's last run for the instance: time, errors per resource, deletes readability",
    response: { type: 'object' },
  },
  'GET /instances/{id}/events/{eventId}': {
    tag: 'events',
    summary: 'One event of the log',
    response: { type: 'object' },
  },
  'POST /instances/{id}/events/{eventId}/redeliver': {
    tag: 'events',
    status: '202',
    summary: 'Queue a DELIVERED or DEAD event again (same body and Elements-Webhook-Id)',
    response: { type: 'object' },
  },
  // Hub; keys without the /hubs/helpdesk prefix.
  'GET /hubs/helpdesk/ping': {
    tag: 'hub',
    summary: 'Check the instance: one real call to ServiceNow with its credentials',
    response: schemaRef('Pong'),
  },
  'GET /objects': {
    tag: 'hub',
    summary: 'List the tables (objects) the instance can read',
    response: schemaRef('ObjectNames'),
  },
  'GET /objects/{objectName}/docs': {
    tag: 'hub',
    summary: 'OpenAPI 3.1 document of one object: its record schema and operations',
    response: schemaRef('OpenApiDocument'),
  },
  'GET /objects/{objectName}/metadata': {
    tag: 'hub',
    summary: 'Fields of a table, inheritance merged (sys_dictionary, sys_choice)',
    response: schemaRef('ObjectMetadata'),
  },
  'GET /{objectName}': {
    tag: 'hub',
    summary: 'Search records (CEQL where, paging)',
    query: LIST_PARAMETERS,
    paged: true,
    response: schemaRef('RecordList'),
  },
  'POST /{objectName}': {
    tag: 'hub',
    summary: 'Create a record',
    requestBody: json(schemaRef('RecordInput')),
    response: schemaRef('Record'),
  },
  'GET /{objectName}/{id}': {
    tag: 'hub',
    summary: 'Get a record',
    query: READ_PARAMETERS,
    response: schemaRef('Record'),
  },
  'PUT /{objectName}/{id}': {
    tag: 'hub',
    summary: 'Replace a record',
    requestBody: json(schemaRef('RecordInput')),
    response: schemaRef('Record'),
  },
  'PATCH /{objectName}/{id}': {
    tag: 'hub',
    summary: 'Update fields of a record',
    requestBody: json(schemaRef('RecordInput')),
    response: schemaRef('Record'),
  },
  'DELETE /{objectName}/{id}': { tag: 'hub', summary: 'Delete a record' },
  'GET /{objectName}/{id}/comments': {
    tag: 'hub',
    summary: 'Additional comments of a record, one entry per journal item',
    query: ['pageSize', 'page'],
    paged: true,
    response: arrayOf('JournalEntry'),
  },
  'POST /{objectName}/{id}/comments': {
    tag: 'hub',
    summary: 'Append an additional comment',
    requestBody: json(schemaRef('CommentInput')),
    response: schemaRef('JournalEntry'),
  },
  'GET /{objectName}/{id}/work-notes': {
    tag: 'hub',
    summary: 'Work notes of a record, one entry per journal item',
    query: ['pageSize', 'page'],
    paged: true,
    response: arrayOf('JournalEntry'),
  },
  'POST /{objectName}/{id}/work-notes': {
    tag: 'hub',
    summary: 'Append a work note',
    requestBody: json(schemaRef('WorkNoteInput')),
    response: schemaRef('JournalEntry'),
  },
  'GET /{objectName}/{id}/attachments': {
    tag: 'hub',
    summary: 'List the attachments of a record',
    query: LIST_PARAMETERS,
    paged: true,
    response: arrayOf('Attachment'),
  },
  'POST /{objectName}/{id}/attachments': {
    tag: 'hub',
    summary: 'Upload an attachment (multipart/form-data, field `file`)',
    description: `Files above ${MAX_ATTACHMENT_BYTES} bytes are refused with 413: API Gateway and Lambda carry at most 6 MB per synchronous call, base64 included. Larger files will move through bulk (presigned S3).`,
    requestBody: {
      required: true,
      content: { 'multipart/form-data': { schema: schemaRef('AttachmentUpload') } },
    },
    response: schemaRef('Attachment'),
  },
  'GET /{objectName}/{id}/attachments/{attachmentId}': {
    tag: 'hub',
    summary: 'Get the metadata of an attachment',
    response: schemaRef('Attachment'),
  },
  'GET /{objectName}/{id}/attachments/{attachmentId}/file': {
    tag: 'hub',
    summary: 'Download an attachment (content type kept)',
    description: `Files above ${MAX_ATTACHMENT_BYTES} bytes are refused with 413 for now (Lambda's 6 MB response limit, base64 included); a presigned S3 download comes with bulk.`,
    response: { type: 'string', contentMediaType: 'application/octet-stream' },
    responseMediaType: 'application/octet-stream',
  },
  'DELETE /{objectName}/{id}/attachments/{attachmentId}': { tag: 'hub', summary: 'Delete an attachment' },
};

/** Routes on "the current instance" (the Element token's) and the `/instances/{id}` route each answers as. */
const CURRENT_INSTANCE_ROUTES: Record<string, string> = {
  'PUT /instances': 'PUT /instances/{id}',
  'PATCH /instances': 'PATCH /instances/{id}',
  'GET /instances/configuration': 'GET /instances/{id}/configuration',
  'GET /instances/configuration/{configId}': 'GET /instances/{id}/configuration/{configId}',
  'PATCH /instances/configuration/{configId}': 'PATCH /instances/{id}/configuration/{configId}',
  'GET /instances/docs': 'GET /instances/{id}/docs',
  'GET /instances/events': 'GET /instances/{id}/events',
  'GET /instances/events/{eventId}': 'GET /instances/{id}/events/{eventId}',
};

const currentInstanceOperations = Object.fromEntries(
  Object.entries(CURRENT_INSTANCE_ROUTES).map(([route, byId]) => {
    const operation = CORE_OPERATIONS[byId] as OperationDescription;
    return [route, { ...operation, summary: `${operation.summary} (the instance of the Element token)` }];
  }),
);

/** Every capability's routes: core (elements, instances, events, hub), bulk, transformations. */
export const OPERATIONS: Record<string, OperationDescription> = {
  ...CORE_OPERATIONS,
  ...currentInstanceOperations,
  ...BULK_OPERATIONS,
  ...TRANSFORMATION_OPERATIONS,
};

/** The description of a route (hub routes looked up without their prefix), or a generic one. */
export const describeOperation = (
  method: string,
  path: string,
  auth: string,
  hubPrefix: string,
): OperationDescription => {
  const exact = OPERATIONS[`${method} ${path}`];
  if (exact) return exact;
  const bare = path.startsWith(`${hubPrefix}/`)
    ? path.slice(hubPrefix.length)
    : path.startsWith('/hubs/{hub}/')
      ? path.slice('/hubs/{hub}'.length)
      : path;
  return (
    OPERATIONS[`${method} ${bare}`] ?? {
      tag: auth === 'hub' ? 'hub' : auth === 'platform' ? 'instances' : 'ping',
      summary: `${method} ${path}`,
      response: { type: 'object' },
    }
  );
};
