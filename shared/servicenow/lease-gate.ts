import { randomUUID } from 'node:crypto';
import { UnavailableError } from '../errors';
import { effectiveLeaseLimit, leaseHolders, leaseItemExpiry, type StateKey, type StateTable } from '../ports';
import { backoffDelay, type RandomSource, sleep as realSleep } from '../resilience';
import type { RequestGate } from './concurrency';

/**
 * A per-instance request limit that holds across processes (Lambda containers, poll workers, bulk
 * partitions): one state-table item per instance counts the requests in flight as leases
 * (`StateTable.acquireLease`), each with its own expiry, so a holder that dies (SIGKILL, Lambda timeout)
 * frees its lease when the expiry passes instead of leaking it. Taking and giving back a lease is one
 * conditional write each, on DynamoDB as on the local table.
 *
 * A 429 from ServiceNow throttles the instance for every process: no new lease until Retry-After has
 * passed, and the limit halves (down to 1) for a cool-down period; further 429s halve it again.
 */
export interface LeaseGateOptions {
  table: StateTable;
  /** What the limit is for: the element instance id. */
  key: string;
  /** Most requests in flight at once (`servicenow.max_concurrency`). */
  limit: number;
  /**
   * How long a lease lasts unless released. Longer than the longest exchange, so only the lease of a
   * holder that died lapses.
   */
  leaseMs: number;
  /** Longest wait for a lease; then the request fails with 503 instead of waiting on. */
  maxWaitMs: number;
  /** How long the halved limit stays after a 429. Default 60 s. */
  throttleCooldownMs?: number;
  /** Pause after a 429 without Retry-After. Default 1 s. */
  defaultPauseMs?: number;
  /** Wall clock in epoch ms, shared by every process that holds leases. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: RandomSource;
}

/** The state-table key of an instance's leases. */
export const leaseKey = (key: string): StateKey => ({ pk: `SNLEASE#${key}`, sk: 'LEASE' });

/** Polling for a free lease: short first waits, never more than this between two looks. */
const WAIT_BACKOFF = { baseMs: 10, maxMs: 100 };

const numberOr = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;

export const createLeaseGate = (options: LeaseGateOptions): RequestGate & { inFlight(): Promise<number> } => {
  const { table, limit, leaseMs, maxWaitMs } = options;
  const key = leaseKey(options.key);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const cooldownMs = options.throttleCooldownMs ?? 60_000;
  const defaultPauseMs = options.defaultPauseMs ?? 1_000;

  const acquire = async (): Promise<string> => {
    const holder = randomUUID();
    const deadline = now() + maxWaitMs;
    for (let attempt = 0; ; attempt++) {
      const t = now();
      const outcome = await table.acquireLease(key, { holder, until: t + leaseMs, limit, now: t });
      if (outcome.acquired) return holder;
      const after = now();
      if (after >= deadline) {
        throw new UnavailableError(
          `ServiceNow is busy: this instance already has ${limit} requests in flight (servicenow.max_concurrency) or is throttled after a 429; try again`,
        );
      }
      const pausedUntil = outcome.pausedUntil ?? 0;
      const wait = pausedUntil > after ? pausedUntil - after : backoffDelay(attempt, WAIT_BACKOFF, random);
      await sleep(Math.max(1, Math.min(wait, deadline - after)));
    }
  };

  return {
    async run(task) {
      const holder = await acquire();
      try {
        return await task();
      } finally {
        // A release that fails (table unreachable) leaves the lease to expire on its own.
        await table.releaseLease(key, holder).catch(() => undefined);
      }
    },

    async throttled(retryAfterMs) {
      // Read, then one unconditional update: two 429s reported at the same moment may halve the limit
      // once rather than twice, which is what one burst of overload asks for anyway.
      try {
        const item = await table.get(key);
        const t = now();
        const pausedUntil = Math.max(numberOr(item?.pausedUntil, 0), t + (retryAfterMs ?? defaultPauseMs));
        const reducedUntil = t + cooldownMs;
        await table.update(key, {
          pausedUntil,
          reducedLimit: Math.max(1, Math.floor(effectiveLeaseLimit(item, limit, t) / 2)),
          reducedUntil,
          // Never earlier than what the leases in the item need (acquireLease sets it the same way).
          expiresAt: Math.max(
            numberOr(item?.expiresAt, 0),
            leaseItemExpiry(Math.max(pausedUntil, reducedUntil)),
          ),
        });
      } catch {
        // Best effort: the 429 itself is still retried by the client with its own backoff.
      }
    },

    async inFlight() {
      const t = now();
      return [...leaseHolders(await table.get(key)).values()].filter((until) => until > t).length;
    },
  };
};
