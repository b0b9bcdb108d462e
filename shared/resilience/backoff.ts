/** A source of uniform numbers in [0, 1); injectable so tests pin the jitter. */
export type RandomSource = () => number;

export type Sleep = (ms: number) => Promise<void>;

export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BackoffPolicy {
  /** Delay cap for the first retry; doubles with each retry after it. */
  baseMs: number;
  /** No delay exceeds this. */
  maxMs: number;
  /** No delay is shorter than this (a floor applied after the jitter). */
  minMs?: number;
}

/**
 * The one backoff of the project: exponential with "full jitter" (AWS architecture blog), uniform in
 * [0, min(max, base * 2^retry)), raised to `minMs`. `retry` counts from 0 for the first retry.
 */
export const backoffDelay = (
  retry: number,
  policy: BackoffPolicy,
  random: RandomSource = Math.random,
): number => {
  const exponent = Math.max(0, Math.min(30, retry));
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.max(policy.minMs ?? 0, Math.floor(random() * cap));
};
