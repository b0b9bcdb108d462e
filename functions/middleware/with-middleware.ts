import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createLogger, type Logger } from '../../shared/logging';
import type { RouteAuth } from '../routes';
import { metricsMiddleware } from '../runtime/metrics';
import { errorHandlerMiddleware } from './error-handler';
import { identityMiddleware } from './identity';
import { jsonBodyParserMiddleware } from './json-body-parser';
import { jsonResponseMiddleware } from './json-response';
import { requestIdMiddleware } from './request-id';
import type { ApiEvent, ApiHandler, LambdaHttpHandler } from './types';

export interface WithMiddlewareOptions {
  /**
   * `platform` (User + Organization) or `hub` (User + Element): the route's auth in functions/routes.ts.
   * The API Gateway authorizer (local mode: the same handler) checked the header; this renders its
   * decision and sets `event.identity`. `none` (default) for public routes. A function serving routes of
   * both kinds lists both (the authorizer decides each request by its route).
   */
  auth?: RouteAuth | readonly Exclude<RouteAuth, 'none'>[];
  /** Non-JSON media types the route accepts (see json-body-parser.ts). */
  acceptedContentTypes?: readonly string[];
  /** Largest JSON body the function takes (default MAX_JSON_BODY_BYTES of shared/input): 413 beyond. */
  maxBodyBytes?: number;
  logger?: Logger;
  /**
   * User + Element routes (hub, bulk): `instanceCallMiddleware(...)` of instance-call.ts, which loads and
   * checks the caller's instance. Passed in rather than built here so functions without it (ping,
   * console) do not load the instance code.
   */
  instanceCall?: MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2>;
}

let sharedLogger: Logger | undefined;
const defaultLogger = () => {
  sharedLogger ??= createLogger();
  return sharedLogger;
};

/**
 * Wraps a handler with the shared HTTP middlewares, so a Lambda entry is one line of wiring:
 * `export const handler = withMiddleware(async (event) => ({ ... }), { auth: 'platform' })`.
 *
 * Order matters. `before` hooks run top to bottom, `after`/`onError` bottom to top:
 * 0. Lambda context: function name, request id and cold start on every log line (Powertools);
 * 1. request id: assigned first, stamped on the final response last (errors included);
 * 2. error handler: catches everything below, including auth and parse failures;
 * 3. JSON response: shapes what the handler returns (its own failures still reach 2);
 * 4. identity: renders the authorizer's decision before body parsing, so unauthenticated callers
 *    learn nothing about payload rules;
 * 5. JSON body parser;
 * 6. instance call (hub and bulk): loads the caller's instance last, and shapes the handler's result
 *    with its header first.
 */
export const withMiddleware = (
  handler: ApiHandler,
  options: WithMiddlewareOptions = {},
): LambdaHttpHandler => {
  const logger = options.logger ?? defaultLogger();
  // The handler returns plain values; the jsonResponse middleware turns them into API Gateway's shape,
  // which is what the composed function returns.
  const inner = handler as (event: ApiEvent, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  const wrapped = middy<ApiEvent, APIGatewayProxyStructuredResultV2>(inner)
    .use(injectLambdaContext(logger))
    .use(metricsMiddleware())
    .use(requestIdMiddleware(logger))
    .use(errorHandlerMiddleware(logger))
    .use(jsonResponseMiddleware());
  if (options.auth !== undefined && options.auth !== 'none') wrapped.use(identityMiddleware(options.auth));
  wrapped.use(
    jsonBodyParserMiddleware({
      acceptedContentTypes: options.acceptedContentTypes ?? [],
      ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    }),
  );
  if (options.instanceCall !== undefined) wrapped.use(options.instanceCall);
  return (event: APIGatewayProxyEventV2, context) => wrapped(event, context);
};
