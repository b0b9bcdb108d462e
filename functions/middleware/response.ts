import type { ApiResponse } from './types';

const RESPONSE_KEYS = new Set(['statusCode', 'headers', 'cookies', 'body']);

/** A handler result is an explicit response when it has a numeric statusCode and nothing but response keys. */
export const isApiResponse = (value: unknown): value is ApiResponse =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  typeof (value as { statusCode?: unknown }).statusCode === 'number' &&
  Object.keys(value).every((key) => RESPONSE_KEYS.has(key));

/** Build an explicit response, e.g. `response(201, created, { Location: url })`. */
export const response = (
  statusCode: number,
  body?: unknown,
  headers?: Record<string, string>,
): ApiResponse => ({
  statusCode,
  ...(body === undefined ? {} : { body }),
  ...(headers === undefined ? {} : { headers }),
});
