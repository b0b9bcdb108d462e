import { tokenIndexKey } from '../auth/token-index';
import type { ElementKey } from '../elements';
import type { SecretStore } from '../ports/secret-store';
import type { StateItem, StateTable } from '../ports/state-table';
import { elementTokenHash } from './element-token';
import type { InstanceRecord, InstanceSecret } from './types';

/**
 * Persistence of instances (contract in the instances brief): the instance item, the element-token
 * index item, the id counter in the state table, and the credentials secret in the secret store.
 */

export const instanceKey = (id: number) => ({ pk: `INSTANCE#${id}`, sk: 'META' });
export const tokenKey = tokenIndexKey;
export const ownerIndexKey = (userId: string) => `OWNER#${userId}`;
export const COUNTER_KEY = { pk: 'COUNTER', sk: 'INSTANCE' } as const;
export const instanceSecretName = (id: number) => `instances/${id}/credentials`;
const paddedId = (id: number) => String(id).padStart(12, '0');

export interface TokenIndexEntry {
  instanceId: number;
  ownerUserId: string;
}

const toItem = (record: InstanceRecord): StateItem => {
  const { version: _version, invalidReason, ...rest } = record;
  return {
    ...instanceKey(record.id),
    gsi1pk: ownerIndexKey(record.ownerUserId),
    gsi1sk: `INSTANCE#${paddedId(record.id)}`,
    ...rest,
    ...(invalidReason === undefined ? {} : { invalidReason }),
  };
};

const fromItem = (item: StateItem): InstanceRecord => ({
  id: Number(item.id),
  name: String(item.name ?? ''),
  elementKey: item.elementKey as ElementKey,
  ownerUserId: String(item.ownerUserId),
  tags: Array.isArray(item.tags) ? item.tags.map(String) : [],
  configuration: Object.fromEntries(
    Object.entries((item.configuration ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
  ),
  secretName: String(item.secretName),
  valid: item.valid === true,
  disabled: item.disabled === true,
  eventsEnabled: item.eventsEnabled === true,
  ...(typeof item.eventsEnabledAt === 'string' ? { eventsEnabledAt: item.eventsEnabledAt } : {}),
  createdDate: String(item.createdDate),
  updatedDate: String(item.updatedDate),
  ...(typeof item.invalidReason === 'string' ? { invalidReason: item.invalidReason } : {}),
  ...(typeof item.version === 'number' ? { version: item.version } : {}),
});

export interface InstanceStore {
  /** Atomically allocates the next numeric instance id (the counter item's version). */
  nextId(): Promise<number>;
  get(id: number): Promise<InstanceRecord | undefined>;
  /** Creates the item; fails (ConditionFailedError) if the id is taken. */
  create(record: InstanceRecord): Promise<InstanceRecord>;
  /** Replaces the item if nobody wrote it since `record.version` was read. */
  save(record: InstanceRecord): Promise<InstanceRecord>;
  /** Sets some attributes without a version check (e.g. marking an instance invalid). */
  patch(id: number, set: Partial<Omit<InstanceRecord, 'id' | 'version'>>, remove?: string[]): Promise<void>;
  delete(id: number): Promise<void>;
  /** Every instance of a user, ordered by id. */
  listByOwner(userId: string): Promise<InstanceRecord[]>;
  putToken(token: string, entry: TokenIndexEntry): Promise<void>;
  findToken(token: string): Promise<TokenIndexEntry | undefined>;
  deleteToken(token: string): Promise<void>;
  loadSecret(record: Pick<InstanceRecord, 'secretName'>): Promise<InstanceSecret | undefined>;
  saveSecret(record: Pick<InstanceRecord, 'secretName'>, secret: InstanceSecret): Promise<void>;
  deleteSecret(record: Pick<InstanceRecord, 'secretName'>): Promise<void>;
}

export const createInstanceStore = (deps: {
  stateTable: StateTable;
  secretStore: SecretStore;
}): InstanceStore => {
  const { stateTable, secretStore } = deps;
  return {
    async nextId() {
      const counter = await stateTable.update(COUNTER_KEY, { kind: 'counter' });
      return Number(counter.version);
    },
    async get(id) {
      const item = await stateTable.get(instanceKey(id));
      return item ? fromItem(item) : undefined;
    },
    async create(record) {
      return fromItem(await stateTable.put(toItem(record), { ifNotExists: true }));
    },
    async save(record) {
      const options = record.version === undefined ? {} : { ifVersion: record.version };
      return fromItem(await stateTable.put(toItem(record), options));
    },
    async patch(id, set, remove) {
      await stateTable.update(instanceKey(id), set as Record<string, StateItem[string]>, {
        ifExists: true,
        ...(remove ? { remove } : {}),
      });
    },
    async delete(id) {
      await stateTable.delete(instanceKey(id));
    },
    async listByOwner(userId) {
      const records: InstanceRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await stateTable.query({
          pk: ownerIndexKey(userId),
          index: 'gsi1',
          sk: { beginsWith: 'INSTANCE#' },
          ...(cursor ? { cursor } : {}),
        });
        records.push(...page.items.map(fromItem));
        cursor = page.cursor;
      } while (cursor);
      return records;
    },
    async putToken(token, entry) {
      await stateTable.put({ ...tokenKey(elementTokenHash(token)), ...entry });
    },
    async findToken(token) {
      const item = await stateTable.get(tokenKey(elementTokenHash(token)));
      if (!item || typeof item.instanceId !== 'number' || typeof item.ownerUserId !== 'string')
        return undefined;
      return { instanceId: item.instanceId, ownerUserId: item.ownerUserId };
    },
    async deleteToken(token) {
      await stateTable.delete(tokenKey(elementTokenHash(token)));
    },
    async loadSecret(record) {
      const text = await secretStore.get(record.secretName);
      return text === undefined ? undefined : (JSON.parse(text) as InstanceSecret);
    },
    async saveSecret(record, secret) {
      await secretStore.put(record.secretName, JSON.stringify(secret));
    },
    async deleteSecret(record) {
      await secretStore.delete(record.secretName);
    },
  };
};
