import {
  INSTANCE_ID_HEADER,
  NEXT_PAGE_TOKEN_HEADER,
  RETURNED_COUNT_HEADER,
  TOTAL_COUNT_HEADER,
} from '../hub/headers';
import { schemaRef } from './schemas';
import type { HeaderObject, Reference, ResponseObject } from './types';

/** Every response carries it (functions/middleware/request-id.ts). */
const REQUEST_ID_HEADER = 'Elements-Request-Id';

/** `components.headers`, keyed by header name. */
export const RESPONSE_HEADERS: Record<string, HeaderObject> = {
  [REQUEST_ID_HEADER]: {
    description: 'Id of the request (24 hex characters); error bodies repeat it as requestId',
    schema: { type: 'string' },
  },
  [INSTANCE_ID_HEADER]: {
    description: 'Id of the element instance (from the Element token) that served the hub call',
    schema: { type: 'string' },
  },
  [RETURNED_COUNT_HEADER]: {
    description: 'Number of records in this page, e.g. "200" then "37"',
    schema: { type: 'string' },
  },
  [NEXT_PAGE_TOKEN_HEADER]: {
    description:
      'Opaque, tamper-proof cursor: send it back as nextPage for the next page. Absent on the last page; ' +
      'present after a short page when ServiceNow ACLs hid rows but more remain, and when a list page ' +
      'ended early because its rows would pass 5 MiB of response (the next page starts right after it).',
    schema: { type: 'string' },
  },
  [TOTAL_COUNT_HEADER]: {
    description: 'Total number of matching records; only with returnTotalCount=true',
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying (ServiceNow rate limit)',
    schema: { type: 'string' },
  },
  Location: { description: 'URL of the created record', schema: { type: 'string' } },
};

const headerRef = (name: string): Reference => ({ $ref: `#/components/headers/${name}` });

/** Headers of every successful response of a route of the given kind. */
export const successHeaders = (hub: boolean, paged: boolean): Record<string, Reference> => ({
  [REQUEST_ID_HEADER]: headerRef(REQUEST_ID_HEADER),
  ...(hub ? { [INSTANCE_ID_HEADER]: headerRef(INSTANCE_ID_HEADER) } : {}),
  ...(paged
    ? {
        [RETURNED_COUNT_HEADER]: headerRef(RETURNED_COUNT_HEADER),
        [NEXT_PAGE_TOKEN_HEADER]: headerRef(NEXT_PAGE_TOKEN_HEADER),
        [TOTAL_COUNT_HEADER]: headerRef(TOTAL_COUNT_HEADER),
      }
    : {}),
});

/**
 * The error statuses every operation may answer, CE's table plus
 * 413 (payload over the API Gateway / Lambda limit, infra/constructs/hub.ts), 503 (a queue missing or
 * refusing) and 504 (a timeout, which any route can meet).
 */
const ERROR_RESPONSES = {
  '400': [
    'BadRequest',
    'Bad Request: a malformed body, an invalid CEQL where, an unknown field or a bad nextPage token',
  ],
  '401': [
    'Unauthorized',
    'Unauthorized: a missing or invalid user secret, organization secret or element token (also a deleted instance, or credentials ServiceNow refused)',
  ],
  '403': ['Forbidden', 'Forbidden: ServiceNow refused access to the resource, or the instance is disabled'],
  '404': ['NotFound', 'Not found: no such route, record, table or instance'],
  '405': ['MethodNotAllowed', 'Method Not Allowed: the path exists with another HTTP verb'],
  '409': ['Conflict', 'Conflict: the resource already exists or was changed concurrently'],
  '413': [
    'PayloadTooLarge',
    'Payload Too Large: the request or response exceeds what API Gateway and Lambda carry (6 MB); large attachments and exports go through bulk',
  ],
  '415': ['UnsupportedMediaType', 'Unsupported Media Type: the Content-Type is not one the route accepts'],
  '429': [
    'TooManyRequests',
    'Too Many Requests: ServiceNow rate limit still in force after retries (see Retry-After), or API throttling',
  ],
  '500': ['ServerError', 'Server Error: something went wrong in the element'],
  '502': [
    'ProviderError',
    'Provider server error: ServiceNow failed, answered HTML (e.g. a hibernating instance) or could not be reached',
  ],
  '503': [
    'ServiceUnavailable',
    'Service Unavailable: a queue this route needs is missing or refused the message; try again later',
  ],
  '504': ['Timeout', 'Gateway Timeout: ServiceNow or the element did not answer in time'],
} as const satisfies Record<string, readonly [string, string]>;

/** Errors only some routes answer; an operation lists them in `otherResponses` with `errorRef`. */
const ROUTE_ERROR_RESPONSES = {
  '406': ['NotAcceptable', 'Not Acceptable: the Accept header names no format this route produces'],
  '410': ['Gone', 'Gone: the file has expired'],
  '422': [
    'UnprocessableEntity',
    'Unprocessable Entity: a computed field (JSONata expression) of a transformation failed or hit its limits',
  ],
  '501': ['NotImplemented', 'Not Implemented: this deployment mode does not offer the route'],
} as const satisfies Record<string, readonly [string, string]>;

type RouteErrorStatus = keyof typeof ROUTE_ERROR_RESPONSES;

/** A reference to the error component of a route-specific status. */
export const errorRef = (status: RouteErrorStatus): Reference => ({
  $ref: `#/components/responses/${ROUTE_ERROR_RESPONSES[status][0]}`,
});

export const ERROR_STATUSES = Object.keys(ERROR_RESPONSES) as (keyof typeof ERROR_RESPONSES)[];

/** `components.responses`: one per error status, each the Error body with Elements-Request-Id. */
export const errorResponseComponents = (): Record<string, ResponseObject> =>
  Object.fromEntries(
    [...Object.values(ERROR_RESPONSES), ...Object.values(ROUTE_ERROR_RESPONSES)].map(
      ([name, description]) => [
        name,
        {
          description,
          headers: {
            [REQUEST_ID_HEADER]: headerRef(REQUEST_ID_HEADER),
            ...(name === 'TooManyRequests' ? { 'Retry-After': headerRef('Retry-After') } : {}),
          },
          content: { 'application/json': { schema: schemaRef('Error') } },
        },
      ],
    ),
  );

/** `responses` entries referencing the error components, for one operation. */
export const errorResponseRefs = (): Record<string, Reference> =>
  Object.fromEntries(
    Object.entries(ERROR_RESPONSES).map(([status, [name]]) => [
      status,
      { $ref: `#/components/responses/${name}` },
    ]),
  );
