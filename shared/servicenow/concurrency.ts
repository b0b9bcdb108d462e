import { Semaphore } from '../resilience';

export { Semaphore };

/**
 * Process-wide semaphores keyed by instance (base URL + identity), so every client object talking
 * to the same ServiceNow instance as the same user shares one cap (4-8 concurrent
 * calls per instance keeps clear of the API_INT semaphore pool). The first gate of every request: a
 * process never asks a cross-process RequestGate for more than the limit, so waiting in one process
 * costs no state-table traffic.
 */
export class SemaphoreRegistry {
  private readonly semaphores = new Map<string, Semaphore>();

  get(key: string, limit: number): Semaphore {
    let semaphore = this.semaphores.get(key);
    if (semaphore === undefined || semaphore.limit !== limit) {
      semaphore = new Semaphore(limit);
      this.semaphores.set(key, semaphore);
    }
    return semaphore;
  }
}

export const defaultSemaphores = new SemaphoreRegistry();

export const DEFAULT_CONCURRENCY = 4;

/**
 * Where a request waits after the process-wide semaphore, before it is sent: the limit across processes
 * (lease-gate.ts). `throttled` is told about every 429 so every sender of the instance slows down.
 */
export interface RequestGate {
  run<T>(task: () => Promise<T>): Promise<T>;
  throttled(retryAfterMs: number | undefined): Promise<void>;
}
