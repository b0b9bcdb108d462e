import { BadUpstreamError, ServiceNowRefusedError, TimedOutError } from '../errors';

/**
 * ServiceNow refused our credentials for good (bad password, revoked refresh token, OAuth
 * client misconfigured). Distinct type so the instances capability can mark an instance invalid.
 */
export class ServiceNowAuthError extends ServiceNowRefusedError {
  constructor(message: string, providerMessage?: string) {
    super(401, message, providerMessage === undefined ? {} : { providerMessage });
    this.name = 'ServiceNowAuthError';
  }
}

export const HTML_INSTEAD_OF_JSON =
  'ServiceNow returned HTML instead of JSON; the instance may be hibernating or the URL may be wrong';

/** ServiceNow error envelope: `{"error":{"message","detail"},"status":"failure"}`. */
export const providerMessageOf = (body: unknown): string | undefined => {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'object' && error !== null) {
    const { message, detail } = error as Record<string, unknown>;
    const m = typeof message === 'string' && message !== '' ? message : undefined;
    const d = typeof detail === 'string' && detail !== '' ? detail : undefined;
    if (m !== undefined && d !== undefined && d !== m) return `${m}: ${d}`;
    return m ?? d;
  }
  // The OAuth endpoint answers `{"error":"server_error","error_description":"access_denied"}` (C.5).
  if (typeof error === 'string') {
    const description = record.error_description;
    return typeof description === 'string' && description !== '' ? `${error}: ${description}` : error;
  }
  return undefined;
};

const MESSAGES: Record<number, string> = {
  400: 'ServiceNow rejected the request as invalid',
  401: 'ServiceNow rejected the credentials',
  403: 'ServiceNow denied access to the resource',
  404: 'ServiceNow did not find the requested resource',
  405: 'ServiceNow does not allow this method on the resource',
  406: 'ServiceNow cannot produce the requested content type',
  409: 'ServiceNow reported a conflict',
  415: 'ServiceNow does not accept the content type',
  429: 'ServiceNow rate limit exceeded',
  500: 'ServiceNow reported a server error',
  502: 'ServiceNow reported a bad gateway',
  503: 'ServiceNow is unavailable',
  504: 'ServiceNow timed out',
};

/**
 * A ServiceNow error response as a ServiceNowRefusedError (its status for the caller comes from
 * shared/errors/mapping.ts). The provider's text goes to providerMessage; credentials never appear
 * (ServiceNow does not echo them).
 */
export const errorFromResponse = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): ServiceNowRefusedError => {
  const providerMessage = providerMessageOf(body);
  const message =
    MESSAGES[status] ??
    (status >= 500
      ? `ServiceNow failed with status ${status}`
      : status >= 400
        ? `ServiceNow rejected the request with status ${status}`
        : `ServiceNow answered with unexpected status ${status}`);
  const outHeaders: Record<string, string> = {};
  const retryAfter = headers['retry-after'];
  if (status === 429 && retryAfter !== undefined) outHeaders['Retry-After'] = retryAfter;
  const options = {
    ...(providerMessage === undefined ? {} : { providerMessage }),
    ...(Object.keys(outHeaders).length === 0 ? {} : { headers: outHeaders }),
  };
  if (status === 401) return new ServiceNowAuthError(message, providerMessage);
  return new ServiceNowRefusedError(status, message, options);
};

export const unreachable = (cause: unknown) =>
  new BadUpstreamError('Could not reach ServiceNow (connection failed)', { cause });

export const timedOut = (cause: unknown) => new TimedOutError('ServiceNow did not answer in time', { cause });
