import { Semaphore } from '../resilience';

export { Semaphore };

/**
 * Process-wide semaphores keyed by instance (base URL + identity), so every client object talking
 * to the same ServiceNow instance as the same user shares one cap (4-8 concurrent
 * calls per instance keeps clear of the API_INT semaphore pool).
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
