import { backoffDelay, type RandomSource } from '../resilience';
import type { HttpMethod, RetryPolicy } from './types';

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/**
 * Retry-After in milliseconds, honoured exactly: delta-seconds or an HTTP date
 * relative to `now`. Undefined when absent or unparseable.
 */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
};

export const fullJitterDelay = (retry: number, policy: RetryPolicy, random: RandomSource): number =>
  backoffDelay(retry, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs }, random);

const IDEMPOTENT = new Set<HttpMethod>(['GET', 'PUT', 'DELETE']);

export type FailureKind =
  | { kind: 'status'; status: number }
  /** Connection refused: nothing reached the server, safe for every method. */
  | { kind: 'refused' }
  /** Reset/closed/timeout: the server may have processed the request. */
  | { kind: 'broken' }
  /** GET answered 202 with no body: session queue overflow. */
  | { kind: 'emptyAccepted' }
  /** Not worth repeating (HTML page, invalid JSON, redirect, refused target). */
  | { kind: 'fatal' };

/**
 * Whether a failed attempt may be repeated. POST/PATCH are repeated only when ServiceNow cannot
 * have processed them: refused connections and 429/503 (rejected before processing).
 */
export const isRetryable = (method: HttpMethod, failure: FailureKind): boolean => {
  switch (failure.kind) {
    case 'refused':
      return true;
    case 'fatal':
      return false;
    case 'emptyAccepted':
      return method === 'GET';
    case 'broken':
      return IDEMPOTENT.has(method);
    case 'status':
      if (failure.status === 429 || failure.status === 503) return true;
      return IDEMPOTENT.has(method) && [500, 502, 504].includes(failure.status);
  }
};

export type AttemptResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      failure: FailureKind;
      /** What the caller gets if this was the last attempt. */
      error: Error;
      /** Server-requested wait (Retry-After), already converted to ms. */
      retryAfterMs?: number;
    };

export interface RetryDeps {
  policy: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or attempts run out. Waits exactly
 * Retry-After when the server gave one on 429/503, else full-jitter backoff. A Retry-After
 * longer than `maxRetryAfterMs` is returned to the caller (with the header) instead of waited for.
 */
export const withRetries = async <T>(
  method: HttpMethod,
  deps: RetryDeps,
  attempt: (attemptNumber: number) => Promise<AttemptResult<T>>,
): Promise<T> => {
  for (let n = 1; ; n++) {
    const result = await attempt(n);
    if (result.ok) return result.value;
    if (n >= deps.policy.maxAttempts || !isRetryable(method, result.failure)) throw result.error;
    const honoursRetryAfter =
      result.failure.kind === 'status' && (result.failure.status === 429 || result.failure.status === 503);
    let delay: number;
    if (honoursRetryAfter && result.retryAfterMs !== undefined) {
      if (result.retryAfterMs > deps.policy.maxRetryAfterMs) throw result.error;
      delay = result.retryAfterMs;
    } else {
      delay = fullJitterDelay(n - 1, deps.policy, deps.random);
    }
    await deps.sleep(delay);
  }
};
