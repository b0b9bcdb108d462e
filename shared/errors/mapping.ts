import { ElementError } from './element-error';

/** What went wrong, independent of the protocol that reports it. */
export type ErrorKind =
  | 'invalid-input'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'gone'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'unprocessable'
  | 'throttled'
  | 'internal'
  | 'bad-upstream'
  | 'unavailable'
  | 'timed-out';

/** The one table from what happened to the HTTP status the caller sees. */
export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  'invalid-input': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  gone: 410,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
  throttled: 429,
  internal: 500,
  'bad-upstream': 502,
  unavailable: 503,
  'timed-out': 504,
};

/**
 * The status of a ServiceNow refusal: its client errors pass through (the caller's request was wrong),
 * its gateway timeout stays a timeout, every other failure of ServiceNow is a bad upstream (502).
 */
export const httpStatusOfServiceNow = (providerStatus: number): number =>
  providerStatus >= 400 && providerStatus < 500
    ? providerStatus
    : providerStatus === 504
      ? HTTP_STATUS['timed-out']
      : HTTP_STATUS['bad-upstream'];

/**
 * Whether a queue should deliver a failed message again. Domain errors are outcomes, not accidents:
 * retrying cannot fix bad input or a refusal, and ServiceNow's throttling and outages were already
 * retried with backoff by the ServiceNow client, so the job or event records them instead. Anything
 * else (state table, blob store, queue, an unexpected bug) may be transient and is retried.
 */
export const isRetryable = (error: unknown): boolean => !(error instanceof ElementError);

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
  if (error instanceof ElementError) return error;
  if (isZodError(error)) {
    return new ElementError(
      HTTP_STATUS['invalid-input'],
      `Invalid request: ${error.issues.map(describeIssue).join('; ')}`,
      { cause: error },
    );
  }
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new ElementError(HTTP_STATUS['timed-out'], 'The request timed out', { cause: error });
  }
  return new ElementError(HTTP_STATUS.internal, 'Internal server error', { cause: error });
};
