import { randomUUID } from 'node:crypto';
import { UnavailableError } from '../errors';
import { ConditionFailedError, type StateItem, type StateKey, type StateTable } from '../ports';
import { backoffDelay, type RandomSource, sleep as realSleep } from '../resilience';
import type { RequestGate } from './concurrency';

/**
 * A per-instance request limit that holds across processes (Lambda containers, poll workers, bulk
 * partitions): one state-table item per instance counts the requests in flight as leases, each with its
 * own expiry, so a holder that dies (SIGKILL, Lambda timeout) frees its lease when the expiry passes
 * instead of leaking it. Every change is a read followed by a write conditioned on the version read
 * (optimistic locking), so it works the same on DynamoDB and on the local table.
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

interface LeaseState {
  /** Holder id -> epoch ms at which its lease lapses. */
  holders: Record<string, number>;
  pausedUntil: number;
  reducedLimit: number;
  reducedUntil: number;
}

/** The state-table key of an instance's leases. */
export const leaseKey = (key: string): StateKey => ({ pk: `SNLEASE#${key}`, sk: 'LEASE' });

/** Polling for a free lease: short first waits, never more than this between two looks. */
const WAIT_BACKOFF = { baseMs: 10, maxMs: 100 };
/** Conflicting writes in a row before giving up (each one means another holder's change succeeded). */
const MAX_CONFLICTS = 100;

const numberOr = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;

const stateOf = (item: StateItem | undefined, now: number): LeaseState => {
  const holders: Record<string, number> = {};
  const stored = item?.holders;
  if (typeof stored === 'object' && stored !== null && !Array.isArray(stored)) {
    for (const [id, expiry] of Object.entries(stored)) {
      if (typeof expiry === 'number' && expiry > now) holders[id] = expiry;
    }
  }
  return {
    holders,
    pausedUntil: numberOr(item?.pausedUntil, 0),
    reducedLimit: numberOr(item?.reducedLimit, 0),
    reducedUntil: numberOr(item?.reducedUntil, 0),
  };
};

export const createLeaseGate = (options: LeaseGateOptions): RequestGate & { inFlight(): Promise<number> } => {
  const { table, limit, leaseMs, maxWaitMs } = options;
  const key = leaseKey(options.key);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const cooldownMs = options.throttleCooldownMs ?? 60_000;
  const defaultPauseMs = options.defaultPauseMs ?? 1_000;

  const effectiveLimit = (state: LeaseState, t: number): number =>
    state.reducedUntil > t ? Math.max(1, Math.min(limit, state.reducedLimit)) : limit;

  const itemOf = (state: LeaseState): StateItem => {
    const lastUse = Math.max(state.pausedUntil, state.reducedUntil, ...Object.values(state.holders), now());
    return {
      ...key,
      holders: state.holders,
      pausedUntil: state.pausedUntil,
      reducedLimit: state.reducedLimit,
      reducedUntil: state.reducedUntil,
      // The item disappears a minute after its last lease or throttle ends.
      expiresAt: Math.ceil(lastUse / 1000) + 60,
    };
  };

  /** Applies `change` to the current state; false when `change` declines (returns undefined). */
  const mutate = async (
    change: (state: LeaseState, t: number) => LeaseState | undefined,
  ): Promise<boolean> => {
    for (let conflict = 0; conflict < MAX_CONFLICTS; conflict++) {
      const item = await table.get(key);
      const t = now();
      const next = change(stateOf(item, t), t);
      if (next === undefined) return false;
      try {
        if (item === undefined) await table.put(itemOf(next), { ifNotExists: true });
        else await table.put(itemOf(next), { ifVersion: numberOr(item.version, 0) });
        return true;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        // Another holder changed the item between our read and write: read again after a short jitter.
        await sleep(random() * 5);
      }
    }
    throw new UnavailableError('ServiceNow request slots of this instance are too contended; try again');
  };

  const acquire = async (): Promise<string> => {
    const id = randomUUID();
    const deadline = now() + maxWaitMs;
    for (let attempt = 0; ; attempt++) {
      let pausedUntil = 0;
      const acquired = await mutate((state, t) => {
        if (state.pausedUntil > t) {
          pausedUntil = state.pausedUntil;
          return undefined;
        }
        if (Object.keys(state.holders).length >= effectiveLimit(state, t)) return undefined;
        return { ...state, holders: { ...state.holders, [id]: t + leaseMs } };
      });
      if (acquired) return id;
      const t = now();
      if (t >= deadline) {
        throw new UnavailableError(
          `ServiceNow is busy: this instance already has ${limit} requests in flight (servicenow.max_concurrency) or is throttled after a 429; try again`,
        );
      }
      const wait = pausedUntil > t ? pausedUntil - t : backoffDelay(attempt, WAIT_BACKOFF, random);
      await sleep(Math.max(1, Math.min(wait, deadline - t)));
    }
  };

  const release = (id: string): Promise<boolean> =>
    mutate((state) => {
      if (!(id in state.holders)) return undefined;
      const holders = { ...state.holders };
      delete holders[id];
      return { ...state, holders };
    });

  return {
    async run(task) {
      const id = await acquire();
      try {
        return await task();
      } finally {
        // A release that fails (table unreachable) leaves the lease to expire on its own.
        await release(id).catch(() => undefined);
      }
    },

    async throttled(retryAfterMs) {
      await mutate((state, t) => ({
        ...state,
        pausedUntil: Math.max(state.pausedUntil, t + (retryAfterMs ?? defaultPauseMs)),
        reducedLimit: Math.max(1, Math.floor(effectiveLimit(state, t) / 2)),
        reducedUntil: t + cooldownMs,
      })).catch(() => undefined);
    },

    async inFlight() {
      return Object.keys(stateOf(await table.get(key), now()).holders).length;
    },
  };
};
