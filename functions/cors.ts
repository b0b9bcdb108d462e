/**
 * Cross-origin access for browser apps, configured by ELEMENT_CORS_ORIGINS (a comma list of origins or
 * `*`; empty = none, the default). One definition for both modes: infra/constructs/api.ts turns it into
 * the HTTP API's CORS configuration (API Gateway then answers preflights and adds the headers itself),
 * and local mode's server applies the same rules (functions/local/local-server.ts).
 */
import { ConfigError } from '../shared/config/config-error';

/** Response headers a browser app may read: the ones Cloud Elements exposed, plus our download and retry headers. */
export const CORS_EXPOSED_HEADERS = [
  'Elements-Returned-Count',
  'Elements-Total-Count',
  'Elements-Request-Id',
  'Elements-Next-Page-Token',
  'Elements-Trace-Id',
  'Elements-Error',
  'Elements-Element-Instance-Id',
  'Content-Disposition',
  'Location',
  'Retry-After',
] as const;

/** Request headers a browser app may send (Authorization is never covered by a `*`, so each is named). */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'Elements-Async-Request',
  'Elements-Async-Callback-Url',
  'Elements-Version',
] as const;

export const CORS_ALLOWED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** How long a browser may reuse a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;

export type CorsOrigins = { kind: 'none' } | { kind: 'any' } | { kind: 'list'; origins: readonly string[] };

const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/** ELEMENT_CORS_ORIGINS: `*`, or origins (`scheme://host[:port]`, no path) separated by commas. */
export const parseCorsOrigins = (value: string | undefined): CorsOrigins => {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return { kind: 'none' };
  if (entries.includes('*')) {
    if (entries.length > 1)
      throw new ConfigError('ELEMENT_CORS_ORIGINS: `*` cannot be combined with origins');
    return { kind: 'any' };
  }
  entries.forEach((entry, index) => {
    if (!ORIGIN.test(entry)) {
      throw new ConfigError(
        `ELEMENT_CORS_ORIGINS: entry ${index + 1} is not an origin (scheme://host[:port], no path)`,
      );
    }
  });
  return { kind: 'list', origins: entries.map((entry) => entry.toLowerCase()) };
};

/** The Access-Control-Allow-Origin value for a request's Origin, or undefined when it is not allowed. */
export const allowedOrigin = (config: CorsOrigins, origin: string | undefined): string | undefined => {
  if (config.kind === 'none' || origin === undefined) return undefined;
  if (config.kind === 'any') return '*';
  return config.origins.includes(origin.toLowerCase()) ? origin : undefined;
};

/** Headers of an ordinary response to a request from `origin` (none when it is not allowed). */
export const corsResponseHeaders = (
  config: CorsOrigins,
  origin: string | undefined,
): Record<string, string> => {
  const allowed = allowedOrigin(config, origin);
  if (allowed === undefined) return config.kind === 'list' ? { Vary: 'Origin' } : {};
  return {
    'Access-Control-Allow-Origin': allowed,
    'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS.join(', '),
    ...(allowed === '*' ? {} : { Vary: 'Origin' }),
  };
};

/** Headers of a preflight answer (204) for `origin`; empty when the origin is not allowed. */
export const corsPreflightHeaders = (
  config: CorsOrigins,
  origin: string | undefined,
): Record<string, string> => {
  const allowed = allowedOrigin(config, origin);
  if (allowed === undefined) return {};
  return {
    ...corsResponseHeaders(config, origin),
    'Access-Control-Allow-Methods': CORS_ALLOWED_METHODS.join(', '),
    'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS.join(', '),
    'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
  };
};
