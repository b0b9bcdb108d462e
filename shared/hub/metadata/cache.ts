/**
 * A small in-process cache with a time to live and a size bound (oldest entry evicted first).
 * Metadata changes rarely (a new column needs an admin), so minutes of staleness are acceptable,
 * and a warm Lambda then spends no ServiceNow call on validation (every call counts
 * against the instance's semaphores).
 */
export interface TtlCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export const DEFAULT_METADATA_TTL_MS = 5 * 60_000;
export const DEFAULT_METADATA_MAX_ENTRIES = 500;

export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: TtlCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? DEFAULT_METADATA_TTL_MS;
    this.#maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_METADATA_MAX_ENTRIES);
    this.#now = options.now ?? Date.now;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    // Refresh recency (Map keeps insertion order: re-insert = most recent).
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * Holds promises, so concurrent callers share one ServiceNow round trip (single flight); a failed
 * load is dropped at once and never cached.
 */
export class MetadataCache {
  readonly #entries: TtlCache<Promise<unknown>>;

  constructor(options: TtlCacheOptions = {}) {
    this.#entries = new TtlCache(options);
  }

  async getOrLoad<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) return hit as Promise<T>;
    const pending = load();
    this.#entries.set(key, pending);
    try {
      return await pending;
    } catch (err) {
      if (this.#entries.get(key) === pending) this.#entries.delete(key);
      throw err;
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** Process-wide default (one per warm Lambda / local-mode process). */
export const sharedMetadataCache = new MetadataCache();
