import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ElementError, isElementError } from '../../shared/errors';
import { REQUEST_ID_HEADER } from './types';

/** The one place the wire error shape is produced, for middlewares and local mode alike. */
export const errorResponse = (requestId: string, error: ElementError): APIGatewayProxyStructuredResultV2 => ({
  statusCode: error.status,
  headers: {
    ...error.headers,
    'Content-Type': 'application/json',
    [REQUEST_ID_HEADER]: requestId,
  },
  body: JSON.stringify({
    requestId,
    message: error.message,
    ...(error.providerMessage === undefined ? {} : { providerMessage: error.providerMessage }),
  }),
});

interface ZodLikeIssue {
  path: readonly PropertyKey[];
  message: string;
}

/**
 * Recognised by shape rather than `instanceof ZodError` so this module does not pull zod into every
 * bundle (zod classic is ~440 KB).
 */
const isZodError = (error: unknown): error is Error & { issues: ZodLikeIssue[] } =>
  error instanceof Error &&
  (error.name === 'ZodError' || error.name === '$ZodError') &&
  Array.isArray((error as { issues?: unknown }).issues);

const describeIssue = (issue: ZodLikeIssue) =>
  issue.path.length === 0 ? issue.message : `${issue.path.map(String).join('.')}: ${issue.message}`;

/**
 * Maps anything thrown to the error the caller sees. Only ElementErrors and validation errors carry
 * their text out; everything else becomes a bare 500 so no internals (stack, SQL, hostnames) leak.
 */
export const toElementError = (error: unknown): ElementError => {
  if (isElementError(error)) return error;
  if (isZodError(error)) {
    return new ElementError(400, `Invalid request: ${error.issues.map(describeIssue).join('; ')}`, {
      cause: error,
    });
  }
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new ElementError(504, 'The request timed out', { cause: error });
  }
  return new ElementError(500, 'Internal server error', { cause: error });
};
