import type { AllowedHosts, OutboundAgent } from '../net';
import { parseAllowedHosts, sharedOutboundAgent } from '../net';
import { sleep } from '../resilience';
import { DEFAULT_RETRY } from './retry';
import type { Clock, HttpContext, RetryPolicy, Sleep } from './types';

// Just above ServiceNow's 60 s transaction quota, so the server, not us, cancels a slow page.
// Synchronous API paths (behind API Gateway's 30 s limit) should pass a lower timeoutMs.
export const DEFAULT_TIMEOUT_MS = 65_000;

export const systemClock: Clock = { now: () => Date.now() };

/** Options shared by the client and the token-endpoint functions. */
export interface HttpOptions {
  baseUrl: string;
  /**
   * Outbound agent to use (tests, or a custom agent). Default: the process-wide SSRF-checking
   * keep-alive agent for `allowedHosts`.
   */
  dispatcher?: OutboundAgent;
  /** Used only to pick the shared agent when no dispatcher is given. Default: none allowed. */
  allowedHosts?: AllowedHosts;
  timeoutMs?: number;
  maxAttempts?: number;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  sleep?: Sleep;
  random?: () => number;
}

export const buildHttpContext = (options: HttpOptions): HttpContext => ({
  baseUrl: options.baseUrl.replace(/\/+$/, ''),
  dispatcher: options.dispatcher ?? sharedOutboundAgent(options.allowedHosts ?? parseAllowedHosts('')),
  timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  clock: options.clock ?? systemClock,
  sleep: options.sleep ?? sleep,
  random: options.random ?? Math.random,
  retry: {
    ...DEFAULT_RETRY,
    ...options.retry,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  },
});
