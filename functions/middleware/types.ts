import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Identity } from '../../shared/auth/authorizer-context';
import type { InstanceRecord } from '../../shared/instances';

export type { Identity };

/**
 * The event a handler sees: API Gateway's payload format 2.0 event, plus the request body already
 * parsed by the JSON body parser (`undefined` when there was no body or it is not JSON).
 * `body` stays the raw string exactly as API Gateway delivered it.
 * `identity` is set by the identity middleware on routes with auth 'platform' or 'hub' (the user whose
 * secret matched; for hub calls also the instance of the element token); absent on public routes.
 * `instance` is the caller's instance record, set by the instance-call middleware (hub and bulk).
 */
export type ApiEvent = APIGatewayProxyEventV2 & {
  jsonBody?: unknown;
  identity?: Identity;
  instance?: InstanceRecord;
};

/** An explicit response. `body` may be a string (sent as is), a Buffer (sent base64) or any JSON value. */
export interface ApiResponse {
  statusCode: number;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: unknown;
}

/**
 * What a handler returns: an `ApiResponse`, or any other value, which is sent as a 200 JSON body
 * (`undefined` -> 204 with no body).
 */
export type HandlerResult = unknown;

export type ApiHandler = (event: ApiEvent, context: Context) => Promise<HandlerResult>;

/** The shape API Gateway (and local mode) receives. */
export type LambdaHttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export const REQUEST_ID_HEADER = 'Elements-Request-Id';
