/**
 * The single state table (DynamoDB in AWS, a file-backed map locally). One table holds every kind of
 * state (instances, element-token lookups, checkpoints, jobs) under composite keys, e.g.
 * `pk = "instance#42"`, `sk = "meta"`. Values are plain JSON (string, number, boolean, null, arrays,
 * objects); `undefined` attributes are dropped.
 */

/**
 * The table's key schema, shared with infra so the CDK table and the local adapter agree.
 * All key attributes are strings (DynamoDB type S); the GSI projects ALL attributes.
 */
export const STATE_TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Epoch seconds; DynamoDB TTL deletes lazily, so both adapters also hide expired items on read. */
  ttlAttribute: 'expiresAt',
  /** Maintained by the store: 1 on create, +1 on every write. Used for optimistic locking. */
  versionAttribute: 'version',
} as const;

export type StateValue = string | number | boolean | null | StateValue[] | { [key: string]: StateValue };

export interface StateKey {
  pk: string;
  sk: string;
}

export interface StateItem extends StateKey {
  /** Secondary index keys; set both to make the item queryable through `index: 'gsi1'`. */
  gsi1pk?: string;
  gsi1sk?: string;
  /** Epoch seconds after which the item reads as absent. */
  expiresAt?: number;
  /** Set by the store; ignored on input. */
  version?: number;
  [attribute: string]: StateValue | undefined;
}

export interface PutOptions {
  /** Fail with ConditionFailedError if a live (unexpired) item with this key exists. */
  ifNotExists?: boolean;
  /** Fail with ConditionFailedError unless the stored item has exactly this version. */
  ifVersion?: number;
}

export interface UpdateOptions {
  /** Fail with ConditionFailedError unless the stored item has exactly this version. */
  ifVersion?: number;
  /** Fail with ConditionFailedError if the item does not exist (otherwise update creates it). */
  ifExists?: boolean;
  /** Attributes to remove. */
  remove?: string[];
}

export interface DeleteOptions {
  ifVersion?: number;
}

export type SortKeyCondition =
  | { eq: string }
  | { beginsWith: string }
  | { between: [string, string] }
  | { gt: string }
  | { gte: string }
  | { lt: string }
  | { lte: string };

export interface QueryInput {
  /** Partition key value: `pk`, or `gsi1pk` when `index` is 'gsi1'. */
  pk: string;
  index?: 'gsi1';
  /** Condition on `sk` (or `gsi1sk`). Sort keys compare as UTF-8 bytes, like DynamoDB. */
  sk?: SortKeyCondition;
  /** Page size (default and maximum 1000). */
  limit?: number;
  /** From a previous page. Opaque; a bad one throws InvalidCursorError. */
  cursor?: string;
  descending?: boolean;
}

export interface QueryPage {
  items: StateItem[];
  /** Present when there may be more items. A page can be short (even empty) and still have a cursor. */
  cursor?: string;
}

/**
 * Counted leases on one item: at most `limit` holders at once, across every process sharing the table
 * (a per-instance cap on requests in flight). Acquire and release are each ONE conditional write; a
 * holder that dies keeps its lease until `until` passes, and the next acquire that finds the limit
 * reached drops such lapsed leases (a read and a second write, only then).
 *
 * The item also honours two throttle attributes, set with `update`: `pausedUntil` (epoch ms: no lease
 * before it) and `reducedLimit` until `reducedUntil` (epoch ms: a lower limit meanwhile). Holders are
 * the attributes named `LEASE_HOLDER_PREFIX + holder` (value: `until`), counted in `LEASE_COUNT`.
 * Ignoring the item's TTL, which `acquireLease` sets an hour past the lease: an expired item only means
 * every lease in it lapsed long ago.
 */
export interface LeaseRequest {
  /** Unique per acquisition. */
  holder: string;
  /** Epoch ms at which the lease lapses unless released. */
  until: number;
  /** Most holders at once. */
  limit: number;
  /** The caller's clock (epoch ms): what `until`, `pausedUntil` and `reducedUntil` compare with. */
  now: number;
}

export type LeaseOutcome =
  | { acquired: true }
  | {
      acquired: false;
      /** Live holders when it was refused. */
      holders: number;
      /** Set when refused because the item is paused until then. */
      pausedUntil?: number;
    };

export const LEASE_COUNT = 'leaseCount';
export const LEASE_HOLDER_PREFIX = 'lease#';
/** How long a lease item outlives its last lease (its TTL): longer than any lease or throttle. */
export const LEASE_ITEM_GRACE_SECONDS = 3600;

const numberAttribute = (item: StateItem | undefined, name: string): number | undefined => {
  const value = item?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

/** Holder -> until of the leases in `item`, lapsed ones included. */
export function leaseHolders(item: StateItem | undefined): Map<string, number> {
  const holders = new Map<string, number>();
  for (const [name, value] of Object.entries(item ?? {})) {
    if (name.startsWith(LEASE_HOLDER_PREFIX) && typeof value === 'number') {
      holders.set(name.slice(LEASE_HOLDER_PREFIX.length), value);
    }
  }
  return holders;
}

/** The limit in force at `now`: `limit`, or the throttle's lower one while it lasts. */
export function effectiveLeaseLimit(item: StateItem | undefined, limit: number, now: number): number {
  const reducedUntil = numberAttribute(item, 'reducedUntil') ?? 0;
  const reduced = numberAttribute(item, 'reducedLimit') ?? limit;
  return reducedUntil > now ? Math.max(1, Math.min(limit, reduced)) : limit;
}

/** Why `acquireLease` refused, from the item it could not change. */
export function leaseRefusal(item: StateItem | undefined, now: number): LeaseOutcome {
  const live = [...leaseHolders(item).values()].filter((until) => until > now).length;
  const pausedUntil = numberAttribute(item, 'pausedUntil') ?? 0;
  return { acquired: false, holders: live, ...(pausedUntil > now ? { pausedUntil } : {}) };
}

/** The lease item's TTL (epoch seconds) after a lease until `until`. */
export const leaseItemExpiry = (until: number): number => Math.ceil(until / 1000) + LEASE_ITEM_GRACE_SECONDS;

export interface StateTable {
  get(key: StateKey): Promise<StateItem | undefined>;
  /**
   * Replace the whole item. Returns what was stored: version `ifVersion + 1`, else 1 (a plain put cannot
   * read the old version atomically, so use `ifVersion` or `update` for items others lock on).
   */
  put(item: StateItem, options?: PutOptions): Promise<StateItem>;
  /**
   * Set some attributes (and remove others) and bump the version, creating the item unless a condition
   * says otherwise. Returns the whole item after the update.
   */
  update(
    key: StateKey,
    set: Record<string, StateValue | undefined>,
    options?: UpdateOptions,
  ): Promise<StateItem>;
  /** Idempotent unless `ifVersion` is given (then a missing item fails the condition). */
  delete(key: StateKey, options?: DeleteOptions): Promise<void>;
  query(input: QueryInput): Promise<QueryPage>;
  /** Takes one of `limit` leases on `key` (see LeaseRequest); creates the item when absent. */
  acquireLease(key: StateKey, request: LeaseRequest): Promise<LeaseOutcome>;
  /** Gives the lease back; false when `holder` held none (already released, or dropped as lapsed). */
  releaseLease(key: StateKey, holder: string): Promise<boolean>;
}

export const MAX_QUERY_LIMIT = 1000;

const KEY_ATTRIBUTES = new Set<string>([STATE_TABLE_SCHEMA.partitionKey, STATE_TABLE_SCHEMA.sortKey]);

/** Shared input checks so both adapters reject the same things. */
export function assertValidKey(key: StateKey): void {
  if (typeof key.pk !== 'string' || key.pk === '' || typeof key.sk !== 'string' || key.sk === '') {
    throw new TypeError('State table keys pk and sk must be non-empty strings');
  }
}

export function assertValidUpdate(set: Record<string, unknown>, remove: string[] = []): void {
  for (const name of [...Object.keys(set), ...remove]) {
    if (KEY_ATTRIBUTES.has(name) || name === STATE_TABLE_SCHEMA.versionAttribute) {
      throw new TypeError(`Attribute ${name} cannot be updated`);
    }
  }
}

export function queryLimit(limit: number | undefined): number {
  if (limit === undefined) return MAX_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError('Query limit must be a positive integer');
  return Math.min(limit, MAX_QUERY_LIMIT);
}

/** True when the item carries a TTL in the past (DynamoDB may not have deleted it yet). */
export function isExpired(item: { expiresAt?: unknown }, nowMs: number): boolean {
  return typeof item.expiresAt === 'number' && item.expiresAt <= epochSeconds(nowMs);
}

export const epochSeconds = (nowMs: number): number => Math.floor(nowMs / 1000);

export const MAX_ITEM_BYTES = 400 * 1024;

/** DynamoDB's item size rule (attribute names + values, UTF-8), close enough to enforce the limit locally. */
export function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) size += Buffer.byteLength(name) + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') {
    const digits = String(Math.abs(value)).replace(/e.*$/, '').replace('.', '').replace(/^0+/, '');
    return Math.ceil(digits.length / 2) + 1;
  }
  if (value === null || typeof value === 'boolean') return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  if (typeof value === 'object') {
    return (
      3 + Object.entries(value).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueSize(v), 0)
    );
  }
  return 0;
}
