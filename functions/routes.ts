/**
 * The single source of truth for the HTTP surface: which Lambda function serves which route.
 * infra/ creates one API Gateway route per entry and local mode dispatches with the same table,
 * so both modes run the same handlers for the same paths.
 */
export const API_BASE_PATH = '/elements/api-v2';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** How a route authenticates. */
export type RouteAuth = 'none' | 'platform' | 'hub';

export interface LambdaFunctionDefinition {
  /** Entry file, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  /** Seconds; API Gateway's HTTP API caps integrations at 30 s. */
  timeoutSeconds: number;
  memoryMb: number;
  /**
   * A directory (relative to the repository root) copied into the function's asset under `to`, beside
   * the bundle: files the function serves. Missing directories are skipped.
   */
  assetDirectory?: { from: string; to: string };
}

export const LAMBDA_FUNCTIONS = {
  ping: {
    entry: 'functions/api/ping.ts',
    description: 'GET /ping: liveness of the API',
    timeoutSeconds: 5,
    memoryMb: 256,
  },
  instances: {
    entry: 'functions/instances/handler.ts',
    description: 'Platform API: elements and element instances (User + Organization auth)',
    timeoutSeconds: 29,
    memoryMb: 512,
  },
  hub: {
    entry: 'functions/hub/handler.ts',
    description: 'Hub API /hubs/helpdesk/* (User + Element auth)',
    timeoutSeconds: 29,
    memoryMb: 512,
  },
  bulk: {
    entry: 'functions/bulk/handler.ts',
    description: 'Bulk API /hubs/helpdesk/bulk/* (User + Element auth): jobs, files, cancel',
    timeoutSeconds: 29,
    memoryMb: 512,
  },
  events: {
    entry: 'functions/events/admin.ts',
    description: 'Events admin API: poll now, event log, poll status, redeliver (User + Organization auth)',
    timeoutSeconds: 29,
    memoryMb: 512,
  },
  transformations: {
    entry: 'functions/transformations/handler.ts',
    description: 'Platform API: object definitions and transformations (User + Organization auth)',
    timeoutSeconds: 29,
    memoryMb: 512,
  },
  console: {
    entry: 'functions/console/handler.ts',
    description: 'Web console: the static files of the browser app (no auth; they hold no data)',
    timeoutSeconds: 5,
    memoryMb: 256,
    assetDirectory: { from: 'functions/console/web/dist', to: 'console' },
  },
} as const satisfies Record<string, LambdaFunctionDefinition>;

export type FunctionName = keyof typeof LAMBDA_FUNCTIONS;

/**
 * The API Gateway Lambda REQUEST authorizer of every 'platform' and 'hub' route (not a route itself).
 */
export const AUTHORIZER_FUNCTION: LambdaFunctionDefinition = {
  entry: 'functions/authorizer/handler.ts',
  description: 'Authorizer: checks User/Organization/Element header for platform and hub routes',
  timeoutSeconds: 10,
  // Lambda's CPU follows memory, and every cold path goes through the authorizer, whose first call loads
  // two SDK clients: 1024 MB gives it four times the CPU of 256 MB for cents a million calls (README).
  memoryMb: 1024,
};

/** How long API Gateway (and local mode) reuse an authorizer decision for the same Authorization header. */
export const AUTHORIZER_CACHE_SECONDS = 30;

export interface RouteDefinition {
  method: HttpMethod;
  /** Path below API_BASE_PATH, API Gateway syntax: `/instances/{id}`. */
  path: string;
  functionName: FunctionName;
  auth: RouteAuth;
}

const platform = (
  method: HttpMethod,
  path: string,
  functionName: FunctionName = 'instances',
): RouteDefinition => ({ method, path, functionName, auth: 'platform' });

/** The events admin API. */
const events = (method: HttpMethod, path: string) => platform(method, path, 'events');

/** Object definitions and transformations at one level. */
const transformations = (method: HttpMethod, path: string) => platform(method, path, 'transformations');

export const HUB_PREFIX = '/hubs/helpdesk';

/** The web console, below API_BASE_PATH: one origin with the API, so no CORS. */
export const CONSOLE_PATH = '/console';
/** The redirect URI of the console's OAuth connect flow (register it on the ServiceNow OAuth application). */
export const CONSOLE_OAUTH_CALLBACK_PATH = `${CONSOLE_PATH}/oauth/callback`;

/** Any hub segment: Cloud Elements ignored it (`/hubs/crm/incidents` is `/hubs/helpdesk/incidents`). */
export const ANY_HUB_PREFIX = '/hubs/{hub}';

/**
 * Each hub route three times: under `/hubs/helpdesk`, under any other hub name and at the root, as
 * Cloud Elements serves them (the literal `helpdesk` wins over `{hub}` in both routers).
 */
const hubRoutes = (
  routes: readonly (readonly [HttpMethod, string])[],
  functionName: FunctionName = 'hub',
): RouteDefinition[] =>
  routes.flatMap(([method, path]) => [
    { method, path: `${HUB_PREFIX}${path}`, functionName, auth: 'hub' } as const,
    { method, path: `${ANY_HUB_PREFIX}${path}`, functionName, auth: 'hub' } as const,
    { method, path, functionName, auth: 'hub' } as const,
  ]);

/**
 * Platform calls on "the current instance": the instance of the `Element` token in the header (CE
 * accepts `User .., Element ..` on these, with or without `Organization`), served by the instances
 * function like their `/instances/{id}` forms.
 */
const currentInstance = (method: HttpMethod, path: string): RouteDefinition => ({
  method,
  path,
  functionName: 'instances',
  auth: 'hub',
});

export const ROUTES: readonly RouteDefinition[] = [
  { method: 'GET', path: '/ping', functionName: 'ping', auth: 'none' },
  // Elements
  platform('GET', '/elements'),
  platform('GET', '/elements/{keyOrId}'),
  platform('GET', '/elements/{keyOrId}/oauth/url'),
  platform('POST', '/elements/{keyOrId}/instances'),
  // Discovery before provisioning: events, bulk, resources; the configuration keys with defaults.
  platform('GET', '/elements/{keyOrId}/metadata'),
  platform('GET', '/elements/{keyOrId}/configuration'),
  // Instances
  platform('POST', '/instances'),
  platform('GET', '/instances'),
  platform('GET', '/instances/{id}'),
  platform('PUT', '/instances/{id}'),
  platform('PATCH', '/instances/{id}'),
  platform('DELETE', '/instances/{id}'),
  platform('PUT', '/instances/{id}/enabled'),
  platform('DELETE', '/instances/{id}/enabled'),
  platform('GET', '/instances/{id}/configuration'),
  platform('GET', '/instances/{id}/configuration/{configId}'),
  platform('PATCH', '/instances/{id}/configuration/{configId}'),
  currentInstance('PUT', '/instances'),
  currentInstance('PATCH', '/instances'),
  currentInstance('GET', '/instances/configuration'),
  currentInstance('GET', '/instances/configuration/{configId}'),
  currentInstance('PATCH', '/instances/configuration/{configId}'),
  currentInstance('GET', '/instances/docs'),
  { method: 'GET', path: '/instances/events', functionName: 'events', auth: 'hub' },
  { method: 'GET', path: '/instances/events/{eventId}', functionName: 'events', auth: 'hub' },
  platform('GET', '/elements/{keyOrId}/docs'),
  platform('GET', '/instances/{id}/docs'),
  // OAuth connect: a signed state and a pending configuration; the hosted callback completes the instance.
  platform('POST', '/instances/oauth/connect'),
  platform('POST', '/instances/{id}/oauth/connect'),
  { method: 'GET', path: CONSOLE_OAUTH_CALLBACK_PATH, functionName: 'instances', auth: 'none' },
  // The web console's files (the literal callback route above wins over {proxy+}).
  { method: 'GET', path: CONSOLE_PATH, functionName: 'console', auth: 'none' },
  { method: 'HEAD', path: CONSOLE_PATH, functionName: 'console', auth: 'none' },
  { method: 'GET', path: `${CONSOLE_PATH}/{proxy+}`, functionName: 'console', auth: 'none' },
  { method: 'HEAD', path: `${CONSOLE_PATH}/{proxy+}`, functionName: 'console', auth: 'none' },
  // Events: poll an instance now and return what was queued.
  events('POST', '/instances/{id}/events/poll'),
  // Event log (shared/events/event-admin.ts): deliveries, redelivery, the poller's last status.
  events('GET', '/instances/{id}/events'),
  events('GET', '/instances/{id}/events/status'),
  events('GET', '/instances/{id}/events/{eventId}'),
  events('POST', '/instances/{id}/events/{eventId}/redeliver'),
  // Hub. `/hubs/helpdesk/x` and `/x` are the same route, except `/ping`: the bare
  // `/ping` stays the public liveness probe, the hub ping is `/hubs/helpdesk/ping`.
  { method: 'GET', path: '/hubs/helpdesk/ping', functionName: 'hub', auth: 'hub' },
  { method: 'GET', path: `${ANY_HUB_PREFIX}/ping`, functionName: 'hub', auth: 'hub' },
  ...hubRoutes([
    ['GET', '/objects'],
    ['GET', '/objects/{objectName}/metadata'],
    ['GET', '/objects/{objectName}/docs'],
    ['GET', '/{objectName}'],
    ['POST', '/{objectName}'],
    ['GET', '/{objectName}/{id}'],
    ['PUT', '/{objectName}/{id}'],
    ['PATCH', '/{objectName}/{id}'],
    ['DELETE', '/{objectName}/{id}'],
    ['GET', '/{objectName}/{id}/comments'],
    ['POST', '/{objectName}/{id}/comments'],
    ['GET', '/{objectName}/{id}/work-notes'],
    ['POST', '/{objectName}/{id}/work-notes'],
    ['GET', '/{objectName}/{id}/attachments'],
    ['POST', '/{objectName}/{id}/attachments'],
    ['GET', '/{objectName}/{id}/attachments/{attachmentId}'],
    ['GET', '/{objectName}/{id}/attachments/{attachmentId}/file'],
    ['DELETE', '/{objectName}/{id}/attachments/{attachmentId}'],
  ]),
  // Bulk. The segment after /bulk is always `{id}` (a job id, or the object name of an
  // upload): API Gateway refuses sibling path variables with different names.
  ...hubRoutes(
    [
      ['POST', '/bulk/query'],
      ['POST', '/bulk/download'],
      ['GET', '/bulk/jobs'],
      ['GET', '/bulk/{id}/status'],
      ['GET', '/bulk/{id}/errors'],
      ['PUT', '/bulk/{id}/cancel'],
      ['GET', '/bulk/{id}/{objectName}'],
      ['POST', '/bulk/{id}'],
      ['POST', '/bulk/{id}/uploads'],
    ],
    'bulk',
  ),
  // Object definitions: organization, account (the account of a user; `/accounts/...`
  // without an id is the caller's own), instance; PATCH renames.
  transformations('GET', '/organizations/objects/definitions'),
  transformations('POST', '/organizations/objects/definitions'),
  transformations('GET', '/organizations/objects/{objectName}/definitions'),
  transformations('POST', '/organizations/objects/{objectName}/definitions'),
  transformations('PUT', '/organizations/objects/{objectName}/definitions'),
  transformations('DELETE', '/organizations/objects/{objectName}/definitions'),
  transformations('PATCH', '/organizations/objects/{objectName}'),
  transformations('GET', '/accounts/objects/definitions'),
  transformations('GET', '/accounts/objects/{objectName}/definitions'),
  transformations('POST', '/accounts/objects/{objectName}/definitions'),
  transformations('PUT', '/accounts/objects/{objectName}/definitions'),
  transformations('DELETE', '/accounts/objects/{objectName}/definitions'),
  transformations('GET', '/accounts/{accountId}/objects/definitions'),
  transformations('GET', '/accounts/{accountId}/objects/{objectName}/definitions'),
  transformations('POST', '/accounts/{accountId}/objects/{objectName}/definitions'),
  transformations('PUT', '/accounts/{accountId}/objects/{objectName}/definitions'),
  transformations('DELETE', '/accounts/{accountId}/objects/{objectName}/definitions'),
  transformations('GET', '/instances/{id}/objects/definitions'),
  transformations('GET', '/instances/{id}/objects/{objectName}/definitions'),
  transformations('POST', '/instances/{id}/objects/{objectName}/definitions'),
  transformations('PUT', '/instances/{id}/objects/{objectName}/definitions'),
  transformations('DELETE', '/instances/{id}/objects/{objectName}/definitions'),
  // Transformations: per element at organization and account level, per instance.
  transformations('GET', '/organizations/elements/{keyOrId}/transformations'),
  transformations('GET', '/organizations/elements/{keyOrId}/transformations/{objectName}'),
  transformations('POST', '/organizations/elements/{keyOrId}/transformations/{objectName}'),
  transformations('PUT', '/organizations/elements/{keyOrId}/transformations/{objectName}'),
  transformations('DELETE', '/organizations/elements/{keyOrId}/transformations/{objectName}'),
  transformations('GET', '/accounts/{accountId}/elements/{keyOrId}/transformations'),
  transformations('GET', '/accounts/{accountId}/elements/{keyOrId}/transformations/{objectName}'),
  transformations('POST', '/accounts/{accountId}/elements/{keyOrId}/transformations/{objectName}'),
  transformations('PUT', '/accounts/{accountId}/elements/{keyOrId}/transformations/{objectName}'),
  transformations('DELETE', '/accounts/{accountId}/elements/{keyOrId}/transformations/{objectName}'),
  transformations('GET', '/instances/{id}/transformations'),
  transformations('GET', '/instances/{id}/transformations/{objectName}'),
  transformations('POST', '/instances/{id}/transformations/{objectName}'),
  transformations('PUT', '/instances/{id}/transformations/{objectName}'),
  transformations('DELETE', '/instances/{id}/transformations/{objectName}'),
];

/**
 * Functions no route invokes: the events capability's poll schedule, poll worker and SQS dispatcher
 * (infra/constructs/events.ts builds them; local mode runs the same handlers on a timer and its queues).
 */
export const BACKGROUND_FUNCTIONS = {
  eventsPoller: {
    entry: 'functions/events/poller.ts',
    description: 'Events poll schedule (every minute): claims due instances, one poll message each',
    // Claims (16 conditional writes in flight) and SendMessageBatch calls for up to 10,000 due instances.
    timeoutSeconds: 120,
    memoryMb: 256,
  },
  eventsPollWorker: {
    entry: 'functions/events/poll-worker.ts',
    description: 'Events poll worker (SQS): polls one instance per message and queues callback messages',
    // A batch of up to 5 instances polled at once, each within its 120 s budget.
    timeoutSeconds: 180,
    memoryMb: 512,
  },
  eventsDispatcher: {
    entry: 'functions/events/dispatcher.ts',
    description: 'Events dispatcher (SQS): POSTs queued events to the instance callback URL',
    // A batch of 10 at 5 POSTs in flight, each cut off at 10 s (shared/events/dispatch.ts): ~20 s worst case.
    timeoutSeconds: 60,
    memoryMb: 256,
  },
  bulkWorker: {
    entry: 'functions/bulk/worker.ts',
    description: 'Bulk worker (SQS): runs download chunks and uploads; starts uploads that land in S3',
    // A download chunk stops at ELEMENT_BULK_CHUNK_DEADLINE_MS (default 10 minutes) and commits; an upload
    // runs in one invocation, so the ceiling is Lambda's 15 minutes (queue visibility is set above it).
    timeoutSeconds: 900,
    memoryMb: 1024,
  },
} as const satisfies Record<string, LambdaFunctionDefinition>;

export type BackgroundFunctionName = keyof typeof BACKGROUND_FUNCTIONS;
