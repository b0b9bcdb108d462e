/** Counting semaphore with FIFO waiters. */
export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error('Semaphore limit must be a positive integer');
    this.available = limit;
  }

  async acquire(): Promise<() => void> {
    if (this.available > 0) {
      this.available -= 1;
    } else {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.available += 1;
    };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}

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
