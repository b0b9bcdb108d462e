import type { StateTable } from '../ports/state-table';

/**
 * The element-token index of the state table: item
 * `pk = 'TOKEN#<sha256 hex of the token>'`, `sk = 'TOKEN'`, attributes `instanceId` (number) and
 * `ownerUserId`. The token itself is never stored; a leaked table does not leak working tokens.
 */
export interface TokenIndexEntry {
  instanceId: number;
  ownerUserId: string;
}

export type TokenLookup = (tokenHash: string) => Promise<TokenIndexEntry | undefined>;

/**
 * sha256 hex of an element token: the key of its index item and of the lookup cache. node:crypto is
 * loaded on the first hash, not with the module: the authorizer hashes only calls with an Element part,
 * and those load the DynamoDB client (which loads node:crypto to sign the lookup) at the same moment.
 */
export const hashElementToken = (token: string): string =>
  process.getBuiltinModule('node:crypto').createHash('sha256').update(token, 'utf8').digest('hex');

export const tokenIndexKey = (tokenHash: string) => ({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' });

/** How long a lookup (hit or miss) is reused in this process. Short: delete/disable elsewhere wins soon. */
export const TOKEN_CACHE_TTL_MS = 10_000;
/** Entries kept at most; misses are cached too, so garbage tokens cannot grow memory without bound. */
const TOKEN_CACHE_MAX_ENTRIES = 5_000;

interface CacheEntry {
  value: TokenIndexEntry | undefined;
  expiresAt: number;
}

// Module-level on purpose: one cache per process (Lambda container or local mode), so the instances
// function can invalidate what the authorizer cached when both run in the same process.
const cache = new Map<string, CacheEntry>();

/**
 * Forgets a token at once in this process. The instances code calls it on delete, disable and token
 * rotation. Other processes (other Lambda containers) forget it within TOKEN_CACHE_TTL_MS; API Gateway's
 * authorizer cache may keep an allow for AUTHORIZER_CACHE_SECONDS, which is why the functions re-check
 * the instance itself (disabled -> 403, deleted -> 401).
 */
export const invalidateToken = (tokenHash: string): void => {
  cache.delete(tokenHash);
};

/** Test seam: empties the cache. */
export const clearTokenCache = (): void => {
  cache.clear();
};

const parseEntry = (item: Record<string, unknown> | undefined): TokenIndexEntry | undefined => {
  if (!item) return undefined;
  const { instanceId, ownerUserId } = item;
  if (typeof instanceId !== 'number' || !Number.isSafeInteger(instanceId) || instanceId < 1) return undefined;
  if (typeof ownerUserId !== 'string' || ownerUserId === '') return undefined;
  return { instanceId, ownerUserId };
};

/** A TokenLookup reading the index item from the state table, through the process-wide TTL cache. */
export const stateTableTokenLookup =
  (stateTable: Pick<StateTable, 'get'>, options: { now?: () => number; ttlMs?: number } = {}): TokenLookup =>
  async (tokenHash) => {
    const now = options.now ?? Date.now;
    const ttlMs = options.ttlMs ?? TOKEN_CACHE_TTL_MS;
    const cached = cache.get(tokenHash);
    if (cached && cached.expiresAt > now()) return cached.value;
    const value = parseEntry(await stateTable.get(tokenIndexKey(tokenHash)));
    if (cache.size >= TOKEN_CACHE_MAX_ENTRIES) {
      // Map iteration is insertion order: drop the oldest entry.
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.delete(tokenHash);
    cache.set(tokenHash, { value, expiresAt: now() + ttlMs });
    return value;
  };
