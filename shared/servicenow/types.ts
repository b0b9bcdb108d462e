import type { OutboundAgent } from '../net';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface BasicAuth {
  type: 'basic';
  username: string;
  password: string;
}

export type OAuthGrant = 'password' | 'client_credentials' | 'authorization_code';

export interface OAuthAuth {
  type: 'oauth';
  clientId: string;
  clientSecret: string;
  grant: OAuthGrant;
  accessToken?: string;
  refreshToken?: string;
  /** Epoch milliseconds at which the access token expires. */
  expiresAt?: number;
  /** For the password grant. */
  username?: string;
  password?: string;
}

export type ServiceNowAuth = BasicAuth | OAuthAuth;

/** Tokens from `/oauth_token.do`. */
export interface OAuthTokens {
  accessToken: string;
  /** Absent for client_credentials; the refresh_token grant returns none (kept from before). */
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  scope?: string;
}

export interface Clock {
  now(): number;
}

import type { Sleep } from '../resilience';

export type { Sleep };

/** What every HTTP call of this module needs; all injectable for tests. */
export interface HttpContext {
  baseUrl: string;
  dispatcher: OutboundAgent;
  timeoutMs: number;
  clock: Clock;
  sleep: Sleep;
  random: () => number;
  retry: RetryPolicy;
}

export interface RetryPolicy {
  /** Total attempts including the first. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the 429 goes back to the caller. */
  maxRetryAfterMs: number;
}

export type QueryValue = string | number | boolean | undefined;

export interface ServiceNowRequest {
  method: HttpMethod;
  /** Path below the instance, e.g. `/api/now/table/incident`. */
  path: string;
  query?: Record<string, QueryValue>;
  /** JSON-serialized unless a string (sent as is, with the given content-type). */
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * `binary`: a 2xx body is returned as a Buffer, untouched (attachment downloads);
   * errors are still parsed and mapped like JSON ones. Default `json`.
   */
  responseType?: 'json' | 'binary';
}

export interface ServiceNowResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

export type SnRecord = Record<string, unknown>;

export interface TableParams {
  query?: string;
  fields?: readonly string[];
  limit?: number;
  offset?: number;
  displayValue?: boolean | 'all';
  excludeReferenceLink?: boolean;
  noCount?: boolean;
  /** Any other sysparm_* parameter, passed through. */
  extra?: Record<string, QueryValue>;
}

export interface ListResult {
  records: SnRecord[];
  /** X-Total-Count (pre-ACL) when ServiceNow sent it. */
  totalCount: number | undefined;
  /** Whether the Link header has rel="next" (pages can be short or empty while next exists). */
  hasNext: boolean;
  headers: Record<string, string>;
}
