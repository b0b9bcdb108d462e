import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isApiResponse } from './response';
import type { ApiEvent, ApiResponse } from './types';

const hasHeader = (headers: Record<string, string>, name: string) =>
  Object.keys(headers).some((key) => key.toLowerCase() === name.toLowerCase());

/** Converts an explicit response to API Gateway's shape: strings as is, Buffers base64, the rest JSON. */
export const serializeResponse = (result: ApiResponse): APIGatewayProxyStructuredResultV2 => {
  const headers = { ...result.headers };
  const base = {
    statusCode: result.statusCode,
    headers,
    ...(result.cookies ? { cookies: result.cookies } : {}),
  };
  const { body } = result;
  if (body === undefined || body === null) return base;
  if (typeof body === 'string') return { ...base, body };
  if (Buffer.isBuffer(body)) {
    if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/octet-stream';
    return { ...base, body: body.toString('base64'), isBase64Encoded: true };
  }
  if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/json';
  return { ...base, body: JSON.stringify(body) };
};

/**
 * Lets handlers return plain values: an explicit `{statusCode, headers?, cookies?, body?}` is serialized
 * as such, `undefined` becomes 204 and anything else a 200 JSON body.
 */
export const jsonResponseMiddleware = (): MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2> => ({
  name: 'jsonResponse',
  after: (request) => {
    const result: unknown = request.response;
    if (isApiResponse(result)) request.response = serializeResponse(result);
    else if (result === undefined) request.response = { statusCode: 204 };
    else request.response = serializeResponse({ statusCode: 200, body: result });
  },
});
