/**
 * The single source of truth for the HTTP surface: which Lambda function serves which route.
 * infra/ creates one API Gateway route per entry and local mode dispatches with the same table,
 * so both modes run the same handlers for the same paths.
 */
export const API_BASE_PATH = '/elements/api-v2';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** How a route authenticates (research: cloud-elements-servicenow.md section 2). */
export type RouteAuth = 'none' | 'platform' | 'hub';

export interface LambdaFunctionDefinition {
  /** Entry file, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  /** Seconds; API Gateway's HTTP API caps integrations at 30 s. */
  timeoutSeconds: number;
  memoryMb: number;
}

export const LAMBDA_FUNCTIONS = {
  ping: {
    entry: 'functions/api/ping.ts',
    description: 'GET /ping: liveness of the API',
    timeoutSeconds: 5,
    memoryMb: 256,
  },
} as const satisfies Record<string, LambdaFunctionDefinition>;

export type FunctionName = keyof typeof LAMBDA_FUNCTIONS;

export interface RouteDefinition {
  method: HttpMethod;
  /** Path below API_BASE_PATH, API Gateway syntax: `/instances/{id}`. */
  path: string;
  functionName: FunctionName;
  auth: RouteAuth;
}

export const ROUTES: readonly RouteDefinition[] = [
  { method: 'GET', path: '/ping', functionName: 'ping', auth: 'none' },
];
