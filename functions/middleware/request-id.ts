import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Logger } from '../../shared/logging';
import { type ApiEvent, REQUEST_ID_HEADER } from './types';

const ID_BYTES = 12;
/** Random bytes for this many ids are drawn at once: one CSPRNG call instead of one per request. */
const POOLED_IDS = 256;
let pool = Buffer.alloc(0);
let next = 0;

/** A new request id in CE's format: 24 hex characters. */
export const newRequestId = (): string => {
  if (next + ID_BYTES > pool.length) {
    // Loaded here, not with the module: behind API Gateway every request already has an id.
    pool = process.getBuiltinModule('node:crypto').randomBytes(ID_BYTES * POOLED_IDS);
    next = 0;
  }
  next += ID_BYTES;
  return pool.toString('hex', next - ID_BYTES, next);
};

/** API Gateway's own id when present, so our header matches API Gateway's access logs. */
export const requestIdOf = (event: ApiEvent): string => event.requestContext?.requestId || newRequestId();

export const withRequestIdHeader = (
  response: APIGatewayProxyStructuredResultV2,
  requestId: string,
): APIGatewayProxyStructuredResultV2 => ({
  ...response,
  headers: { ...response.headers, [REQUEST_ID_HEADER]: requestId },
});

/**
 * Gives every request an id (stored in `event.requestContext.requestId`, where handlers already look),
 * tags log lines with it and stamps it on every response, errors included.
 */
export const requestIdMiddleware = (
  logger?: Logger,
): MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2> => {
  const stamp = (request: { event: ApiEvent; response: APIGatewayProxyStructuredResultV2 | null }) => {
    if (request.response) {
      request.response = withRequestIdHeader(request.response, request.event.requestContext.requestId);
    }
  };
  return {
    name: 'requestId',
    before: (request) => {
      const requestId = requestIdOf(request.event);
      request.event.requestContext = { ...request.event.requestContext, requestId };
      logger?.appendKeys({ requestId });
    },
    after: stamp,
    onError: stamp,
  };
};
