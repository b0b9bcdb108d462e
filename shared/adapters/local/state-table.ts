import { join } from 'node:path';
import {
  assertValidKey,
  assertValidUpdate,
  ConditionFailedError,
  effectiveLeaseLimit,
  InvalidCursorError,
  ItemTooLargeError,
  isExpired,
  itemSize,
  LEASE_COUNT,
  LEASE_HOLDER_PREFIX,
  leaseHolders,
  leaseItemExpiry,
  leaseRefusal,
  MAX_ITEM_BYTES,
  type QueryPage,
  queryLimit,
  type SortKeyCondition,
  type StateItem,
  type StateKey,
  type StateTable,
} from '../../ports';
import { Journal } from './journal';

/**
 * The state table for local mode: an in-memory map persisted in a journal (journal.ts,
 * `<dataDir>/state/table.jsonl`, one `{"put":item}` or `{"del":key}` per write), replayed and
 * compacted on open, so state survives a restart of `npm start`. A write resolves once its line is
 * fsync'd. One process per data dir.
 *
 * Semantics follow DynamoDB, including TTL: an expired item stays stored (an unconditional update
 * still sees its attributes, as DynamoDB does until its TTL sweeper runs) but reads as absent and
 * counts as absent for `ifNotExists`. Expired items are purged when the log is compacted.
 */
export interface LocalStateTableOptions {
  dataDir: string;
  /** Clock in epoch ms (TTL), injectable for tests. */
  now?: () => number;
}

export interface LocalStateTable extends StateTable {
  /** Wait for pending writes and release the log file. */
  close(): Promise<void>;
}

type LogLine = { put: StateItem } | { del: StateKey };

export function createLocalStateTable(options: LocalStateTableOptions): LocalStateTable {
  const now = options.now ?? Date.now;
  const dir = join(options.dataDir, 'state');
  const logPath = join(dir, 'table.jsonl');
  const partitions = new Map<string, Map<string, StateItem>>();
  /** The GSI: items by `gsi1pk`, so an index query reads only its own items (the due-time index). */
  const indexPartitions = new Map<string, Set<StateItem>>();
  let loaded: Promise<void> | undefined;
  /** Items stored, kept as they change: the compaction check runs after every append. */
  let itemCount = 0;

  const raw = (key: StateKey) => partitions.get(key.pk)?.get(key.sk);
  const live = (key: StateKey) => {
    const item = raw(key);
    return item && !isExpired(item, now()) ? item : undefined;
  };
  const store = (item: StateItem) => {
    let partition = partitions.get(item.pk);
    if (!partition) {
      partition = new Map();
      partitions.set(item.pk, partition);
    }
    const previous = partition.get(item.sk);
    if (previous === undefined) itemCount++;
    else unindex(previous);
    partition.set(item.sk, item);
    if (typeof item.gsi1pk === 'string') {
      let members = indexPartitions.get(item.gsi1pk);
      if (!members) {
        members = new Set();
        indexPartitions.set(item.gsi1pk, members);
      }
      members.add(item);
    }
  };
  const unindex = (item: StateItem) => {
    if (typeof item.gsi1pk !== 'string') return;
    const members = indexPartitions.get(item.gsi1pk);
    members?.delete(item);
    if (members?.size === 0) indexPartitions.delete(item.gsi1pk);
  };
  const remove = (key: StateKey) => {
    const partition = partitions.get(key.pk);
    const previous = partition?.get(key.sk);
    if (previous === undefined) return;
    partition?.delete(key.sk);
    unindex(previous);
    itemCount--;
    if (partition?.size === 0) partitions.delete(key.pk);
  };

  /** Every live item, dropping the expired ones from memory as it goes (what a compaction keeps). */
  function* liveEntries(): Generator<LogLine> {
    const t = now();
    for (const [pk, partition] of partitions) {
      for (const [sk, item] of partition) {
        if (isExpired(item, t)) {
          partition.delete(sk);
          unindex(item);
          itemCount--;
        } else yield { put: item };
      }
      if (partition.size === 0) partitions.delete(pk);
    }
  }
  const journal = new Journal<LogLine>({ path: logPath, liveEntries, liveCount: () => itemCount });

  async function load(): Promise<void> {
    for (const entry of journal.read() as LogLine[]) {
      if ('put' in entry) store(entry.put);
      else remove(entry.del);
    }
    await journal.compact();
  }

  const ready = () => {
    loaded ??= load();
    return loaded;
  };

  /** Appends in call order; the returned promise settles when this line is on disk. */
  const append = (entry: LogLine): Promise<void> => journal.append(entry);

  const copy = (item: StateItem): StateItem => cloneValue(item) as StateItem;
  const versionMatches = (item: StateItem | undefined, version: number) =>
    item !== undefined && !isExpired(item, now()) && item.version === version;

  return {
    async get(key) {
      assertValidKey(key);
      await ready();
      const item = live(key);
      return item && copy(item);
    },

    async put(input, options = {}) {
      assertValidKey(input);
      await ready();
      // Check and write without an await in between: that is what makes the condition atomic here.
      if (options.ifNotExists && live(input)) throw new ConditionFailedError();
      if (options.ifVersion !== undefined && !versionMatches(raw(input), options.ifVersion)) {
        throw new ConditionFailedError();
      }
      const item = withoutUndefined({ ...copy(input), version: (options.ifVersion ?? 0) + 1 });
      if (itemSize(item) > MAX_ITEM_BYTES) throw new ItemTooLargeError();
      store(item);
      await append({ put: item });
      return copy(item);
    },

    async update(key, set, options = {}) {
      assertValidKey(key);
      assertValidUpdate(set, options.remove);
      await ready();
      const existing = raw(key);
      if (options.ifExists && !live(key)) throw new ConditionFailedError();
      if (options.ifVersion !== undefined && !versionMatches(existing, options.ifVersion)) {
        throw new ConditionFailedError();
      }
      const item: StateItem = existing ? copy(existing) : { pk: key.pk, sk: key.sk };
      for (const [name, value] of Object.entries(structuredClone(set))) {
        if (value === undefined) delete item[name];
        else item[name] = value;
      }
      for (const name of options.remove ?? []) delete item[name];
      item.version = (typeof existing?.version === 'number' ? existing.version : 0) + 1;
      if (itemSize(item) > MAX_ITEM_BYTES) throw new ItemTooLargeError();
      store(item);
      await append({ put: item });
      return copy(item);
    },

    async delete(key, options = {}) {
      assertValidKey(key);
      await ready();
      if (options.ifVersion !== undefined && !versionMatches(raw(key), options.ifVersion)) {
        throw new ConditionFailedError();
      }
      if (!raw(key)) return;
      remove(key);
      await append({ del: { pk: key.pk, sk: key.sk } });
    },

    async query(input) {
      const limit = queryLimit(input.limit);
      await ready();
      const t = now();
      const onIndex = input.index === 'gsi1';
      const rows: { sort: string; item: StateItem }[] = [];
      const consider = (item: StateItem, sort: unknown) => {
        if (typeof sort !== 'string' || isExpired(item, t)) return;
        if (input.sk && !matches(sort, input.sk)) return;
        rows.push({ sort, item });
      };
      if (onIndex) {
        for (const item of indexPartitions.get(input.pk) ?? []) consider(item, item.gsi1sk);
      } else {
        for (const item of partitions.get(input.pk)?.values() ?? []) consider(item, item.sk);
      }
      const direction = input.descending ? -1 : 1;
      const tuple = (row: { sort: string; item: StateItem }): string[] =>
        onIndex ? [row.sort, row.item.pk, row.item.sk] : [row.sort];
      rows.sort((a, b) => direction * compareTuples(tuple(a), tuple(b)));
      let start = 0;
      if (input.cursor !== undefined) {
        const after = decodeCursor(input.cursor, onIndex ? 3 : 1);
        start = rows.findIndex((row) => direction * compareTuples(tuple(row), after) > 0);
        if (start < 0) start = rows.length;
      }
      const pageRows = rows.slice(start, start + limit);
      const page: QueryPage = { items: pageRows.map((row) => copy(row.item)) };
      const last = pageRows.at(-1);
      if (last && start + limit < rows.length) page.cursor = encodeCursor(tuple(last));
      return page;
    },

    async acquireLease(key, request) {
      assertValidKey(key);
      await ready();
      // Check and write without an await in between, as put does. TTL ignored: see LeaseRequest.
      const existing = raw(key);
      const pausedUntil = existing?.pausedUntil;
      if (typeof pausedUntil === 'number' && pausedUntil > request.now) {
        return leaseRefusal(existing, request.now);
      }
      const item: StateItem = existing ? copy(existing) : { pk: key.pk, sk: key.sk };
      let holders = 0;
      for (const [holder, until] of leaseHolders(item)) {
        if (until > request.now) holders++;
        else delete item[`${LEASE_HOLDER_PREFIX}${holder}`];
      }
      if (holders >= effectiveLeaseLimit(item, request.limit, request.now)) {
        return leaseRefusal(existing, request.now);
      }
      item[`${LEASE_HOLDER_PREFIX}${request.holder}`] = request.until;
      item[LEASE_COUNT] = holders + 1;
      item.expiresAt = leaseItemExpiry(request.until);
      item.version = (typeof existing?.version === 'number' ? existing.version : 0) + 1;
      store(item);
      await append({ put: item });
      return { acquired: true };
    },

    async releaseLease(key, holder) {
      assertValidKey(key);
      await ready();
      const existing = raw(key);
      const name = `${LEASE_HOLDER_PREFIX}${holder}`;
      if (existing?.[name] === undefined) return false;
      const item = copy(existing);
      delete item[name];
      item[LEASE_COUNT] = Math.max(0, Number(item[LEASE_COUNT] ?? 1) - 1);
      item.version = (typeof existing.version === 'number' ? existing.version : 0) + 1;
      store(item);
      await append({ put: item });
      return true;
    },

    async close() {
      await ready().catch(() => undefined);
      await journal.close();
    },
  };
}

function withoutUndefined(item: StateItem): StateItem {
  for (const [name, value] of Object.entries(item)) if (value === undefined) delete item[name];
  return item;
}

/**
 * DynamoDB orders string keys by their UTF-8 bytes. JS's UTF-16 order agrees except where surrogate
 * pairs meet U+E000-U+FFFF, so only strings with such code units pay for the byte comparison.
 */
export function compareUtf8(a: string, b: string): number {
  if (!BEYOND_SURROGATES.test(a) && !BEYOND_SURROGATES.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const BEYOND_SURROGATES = /[\uD800-\uFFFF]/;

function compareTuples(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareUtf8(a[i] ?? '', b[i] ?? '');
    if (c !== 0) return c;
  }
  return 0;
}

function matches(value: string, condition: SortKeyCondition): boolean {
  if ('eq' in condition) return value === condition.eq;
  if ('beginsWith' in condition) return value.startsWith(condition.beginsWith);
  if ('between' in condition) {
    return compareUtf8(value, condition.between[0]) >= 0 && compareUtf8(value, condition.between[1]) <= 0;
  }
  if ('gt' in condition) return compareUtf8(value, condition.gt) > 0;
  if ('gte' in condition) return compareUtf8(value, condition.gte) >= 0;
  if ('lt' in condition) return compareUtf8(value, condition.lt) < 0;
  return compareUtf8(value, condition.lte) <= 0;
}

function encodeCursor(tuple: string[]): string {
  return Buffer.from(JSON.stringify(tuple)).toString('base64url');
}

function decodeCursor(cursor: string, length: number): string[] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === length && value.every((v) => typeof v === 'string')) {
      return value;
    }
  } catch (cause) {
    throw new InvalidCursorError({ cause });
  }
  throw new InvalidCursorError();
}

/**
 * A deep copy of a stored value, so no caller can alter what the table holds (reads happen on every
 * hub call). Items are JSON-shaped (StateValue), which this copies several times faster than
 * structuredClone; anything else (a Date slipped past the types) still goes through structuredClone.
 */
const cloneValue = (value: unknown): unknown => {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneValue);
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const copied = cloneValue((value as Record<string, unknown>)[key]);
    // A parsed `"__proto__"` key is an own property; plain assignment would set the prototype instead.
    if (key === '__proto__')
      Object.defineProperty(out, key, {
        value: copied,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[key] = copied;
  }
  return out;
};
