import { InvalidInputError } from '../errors';
import { ConditionFailedError } from '../ports/errors';
import type { StateItem, StateTable, StateValue } from '../ports/state-table';
import { resolveTransformation } from './resolve';
import type { ObjectDefinition, Transformation } from './schema';

/**
 * Persistence of object definitions and transformations in the state table, and the seam
 * every other capability uses: `findCommonResource`.
 *
 * Layout:
 * - items: `pk = XFORM#ORG | XFORM#ACCOUNT#<userId> | XFORM#INSTANCE#<id>`,
 *   `sk = DEF#<objectName>` (definition) or `TRANSFORM#<elementKey>#<objectName>` (transformation);
 * - one reference index per object name: `pk = XFORM#OBJECT#<objectName>`, `sk = REFS`, listing every
 *   scope holding a definition or a transformation of that name. The hub asks on every request whether
 *   its resource name is a common resource; the index answers "no" with one get, and "yes" tells which
 *   (at most five) items to read. The index may briefly list an item that no longer exists (harmless:
 *   the item read says so) but never misses one that does: refs are added after the item is written
 *   and removed after it is deleted, under a version check that re-reads the item (see `removeRef`).
 */

export type Level = 'organization' | 'account' | 'instance';

/** Where an item lives. An instance scope carries its owner so account-level rules can reach it. */
export type Scope =
  | { level: 'organization' }
  | { level: 'account'; accountId: string }
  | { level: 'instance'; instanceId: number; accountId: string };

/** The instance fields resolution needs (InstanceRecord satisfies it). */
export interface InstanceRef {
  id: number;
  ownerUserId: string;
  elementKey: string;
}

export interface StoredDefinition {
  level: Level;
  objectName: string;
  fields: ObjectDefinition['fields'];
  startDate: string;
  updatedDate: string;
}

export interface StoredTransformation extends Omit<Transformation, 'level' | 'objectName' | 'startDate'> {
  level: Level;
  objectName: string;
  elementKey: string;
  startDate: string;
  updatedDate: string;
}

export interface CommonResource {
  /** The common resource name (hub objectName). */
  name: string;
  /** ServiceNow table. */
  vendorName: string;
  /** Effective transformation, resolved over organization -> account -> instance. */
  transformation: Transformation;
  /** The most specific object definition visible to the instance, if any. */
  definition?: ObjectDefinition;
}

/**
 * Object names become hub resource names, event objectTypes and key parts: a letter, then letters,
 * digits or `_` (the events configuration's resource-name rule).
 */
export const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export function assertObjectName(name: string | undefined): string {
  if (name === undefined || !OBJECT_NAME.test(name)) {
    throw new InvalidInputError(
      `Invalid object name '${String(name).slice(0, 80)}': a letter, then up to 63 letters, digits or '_'`,
    );
  }
  return name;
}

export const instanceScope = (instance: InstanceRef): Scope => ({
  level: 'instance',
  instanceId: instance.id,
  accountId: instance.ownerUserId,
});

const scopePk = (scope: Scope): string =>
  scope.level === 'organization'
    ? 'XFORM#ORG'
    : scope.level === 'account'
      ? `XFORM#ACCOUNT#${scope.accountId}`
      : `XFORM#INSTANCE#${scope.instanceId}`;

export const definitionKey = (scope: Scope, objectName: string) => ({
  pk: scopePk(scope),
  sk: `DEF#${objectName}`,
});

export const transformationKey = (scope: Scope, elementKey: string, objectName: string) => ({
  pk: scopePk(scope),
  sk: `TRANSFORM#${elementKey}#${objectName}`,
});

export const objectIndexKey = (objectName: string) => ({ pk: `XFORM#OBJECT#${objectName}`, sk: 'REFS' });

/** One entry of the per-name index. */
export interface ObjectRef {
  kind: 'definition' | 'transformation';
  level: Level;
  accountId?: string;
  instanceId?: number;
  elementKey?: string;
}

const refOf = (kind: ObjectRef['kind'], scope: Scope, elementKey?: string): ObjectRef => ({
  kind,
  level: scope.level,
  ...(scope.level === 'organization' ? {} : { accountId: scope.accountId }),
  ...(scope.level === 'instance' ? { instanceId: scope.instanceId } : {}),
  ...(elementKey === undefined ? {} : { elementKey }),
});

const refId = (ref: ObjectRef): string =>
  JSON.stringify([ref.kind, ref.level, ref.accountId ?? '', ref.instanceId ?? 0, ref.elementKey ?? '']);

export const scopeOfRef = (ref: ObjectRef): Scope =>
  ref.level === 'organization'
    ? { level: 'organization' }
    : ref.level === 'account'
      ? { level: 'account', accountId: ref.accountId ?? '' }
      : { level: 'instance', accountId: ref.accountId ?? '', instanceId: ref.instanceId ?? 0 };

const isRef = (value: unknown): value is ObjectRef => {
  const v = value as ObjectRef | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    (v.kind === 'definition' || v.kind === 'transformation') &&
    (v.level === 'organization' || v.level === 'account' || v.level === 'instance')
  );
};

const refsOf = (item: StateItem | undefined): ObjectRef[] =>
  Array.isArray(item?.refs) ? (item.refs as unknown[]).filter(isRef) : [];

const toState = (value: unknown): StateValue => JSON.parse(JSON.stringify(value)) as StateValue;

function definitionFromItem(item: StateItem | undefined, scope: Scope): StoredDefinition | undefined {
  if (item?.kind !== 'definition') return undefined;
  return {
    level: scope.level,
    objectName: String(item.objectName),
    fields: item.fields as ObjectDefinition['fields'],
    startDate: String(item.startDate),
    updatedDate: String(item.updatedDate),
  };
}

function transformationFromItem(item: StateItem | undefined, scope: Scope): StoredTransformation | undefined {
  if (item?.kind !== 'transformation') return undefined;
  const body = item.transformation as unknown as Transformation;
  return {
    ...body,
    level: scope.level,
    objectName: String(item.objectName),
    elementKey: String(item.elementKey),
    startDate: String(item.startDate),
    updatedDate: String(item.updatedDate),
  };
}

/** The stored body without the view-only attributes (so resolution sees a plain Transformation). */
export function plainTransformation(stored: StoredTransformation): Transformation {
  const { level: _l, objectName: _o, elementKey: _e, startDate: _s, updatedDate: _u, ...rest } = stored;
  return rest;
}

const plainDefinition = (stored: StoredDefinition): ObjectDefinition => ({ fields: stored.fields });

const MAX_INDEX_RETRIES = 20;

/** Read-modify-write of the per-name index under a version check (concurrent writers retry). */
async function editIndex(
  stateTable: StateTable,
  objectName: string,
  edit: (refs: ObjectRef[]) => Promise<ObjectRef[]>,
): Promise<void> {
  const key = objectIndexKey(objectName);
  for (let attempt = 0; attempt < MAX_INDEX_RETRIES; attempt++) {
    const item = await stateTable.get(key);
    const before = refsOf(item);
    const after = await edit(before);
    if (after.length === before.length && after.every((r, i) => refId(r) === refId(before[i]!))) return;
    try {
      if (after.length === 0 && item) {
        await stateTable.delete(key, { ifVersion: Number(item.version) });
      } else if (item) {
        await stateTable.put({ ...key, refs: toState(after) }, { ifVersion: Number(item.version) });
      } else {
        await stateTable.put({ ...key, refs: toState(after) }, { ifNotExists: true });
      }
      return;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  throw new Error(`Could not update the index of '${objectName}' (too much contention)`);
}

const addRef = (stateTable: StateTable, objectName: string, ref: ObjectRef) =>
  editIndex(stateTable, objectName, async (refs) =>
    refs.some((r) => refId(r) === refId(ref)) ? refs : [...refs, ref],
  );

/** Drops the ref unless the item exists again (a concurrent create won): re-read inside the loop. */
const removeRef = (
  stateTable: StateTable,
  objectName: string,
  ref: ObjectRef,
  itemKey: { pk: string; sk: string },
) =>
  editIndex(stateTable, objectName, async (refs) => {
    if (!refs.some((r) => refId(r) === refId(ref))) return refs;
    if (await stateTable.get(itemKey)) return refs;
    return refs.filter((r) => refId(r) !== refId(ref));
  });

export interface TransformationStore {
  getDefinition(scope: Scope, objectName: string): Promise<StoredDefinition | undefined>;
  listDefinitions(scope: Scope): Promise<StoredDefinition[]>;
  /** `create`: ConditionFailedError when it exists. `replace`: keeps startDate, creates when absent. */
  putDefinition(
    scope: Scope,
    objectName: string,
    definition: ObjectDefinition,
    mode: 'create' | 'replace',
  ): Promise<StoredDefinition>;
  deleteDefinition(scope: Scope, objectName: string): Promise<void>;
  getTransformation(
    scope: Scope,
    elementKey: string,
    objectName: string,
  ): Promise<StoredTransformation | undefined>;
  /** Every transformation of a scope, optionally of one element. */
  listTransformations(scope: Scope, elementKey?: string): Promise<StoredTransformation[]>;
  putTransformation(
    scope: Scope,
    elementKey: string,
    objectName: string,
    transformation: Transformation,
    mode: 'create' | 'replace',
  ): Promise<StoredTransformation>;
  deleteTransformation(scope: Scope, elementKey: string, objectName: string): Promise<void>;
  /** Every scope holding a definition or transformation of this name (may list a just-deleted one). */
  refs(objectName: string): Promise<ObjectRef[]>;
}

export function createTransformationStore(deps: {
  stateTable: StateTable;
  now: () => Date;
}): TransformationStore {
  const { stateTable, now } = deps;

  async function queryAll(pk: string, prefix: string): Promise<StateItem[]> {
    const items: StateItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await stateTable.query({ pk, sk: { beginsWith: prefix }, ...(cursor ? { cursor } : {}) });
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return items;
  }

  return {
    async getDefinition(scope, objectName) {
      return definitionFromItem(await stateTable.get(definitionKey(scope, objectName)), scope);
    },
    async listDefinitions(scope) {
      const items = await queryAll(scopePk(scope), 'DEF#');
      return items.flatMap((item) => definitionFromItem(item, scope) ?? []);
    },
    async putDefinition(scope, objectName, definition, mode) {
      const key = definitionKey(scope, objectName);
      const timestamp = now().toISOString();
      const existing = mode === 'replace' ? await stateTable.get(key) : undefined;
      const item: StateItem = {
        ...key,
        kind: 'definition',
        objectName,
        fields: toState(definition.fields),
        startDate: typeof existing?.startDate === 'string' ? existing.startDate : timestamp,
        updatedDate: timestamp,
      };
      await stateTable.put(item, mode === 'create' ? { ifNotExists: true } : {});
      await addRef(stateTable, objectName, refOf('definition', scope));
      return definitionFromItem(item, scope)!;
    },
    async deleteDefinition(scope, objectName) {
      const key = definitionKey(scope, objectName);
      await stateTable.delete(key);
      await removeRef(stateTable, objectName, refOf('definition', scope), key);
    },
    async getTransformation(scope, elementKey, objectName) {
      return transformationFromItem(
        await stateTable.get(transformationKey(scope, elementKey, objectName)),
        scope,
      );
    },
    async listTransformations(scope, elementKey) {
      const items = await queryAll(
        scopePk(scope),
        `TRANSFORM#${elementKey === undefined ? '' : `${elementKey}#`}`,
      );
      return items.flatMap((item) => transformationFromItem(item, scope) ?? []);
    },
    async putTransformation(scope, elementKey, objectName, transformation, mode) {
      const key = transformationKey(scope, elementKey, objectName);
      const timestamp = now().toISOString();
      const existing = mode === 'replace' ? await stateTable.get(key) : undefined;
      const {
        level: _level,
        objectName: _objectName,
        startDate: _startDate,
        script: _script,
        ...body
      } = transformation;
      const item: StateItem = {
        ...key,
        kind: 'transformation',
        objectName,
        elementKey,
        transformation: toState(body),
        startDate: typeof existing?.startDate === 'string' ? existing.startDate : timestamp,
        updatedDate: timestamp,
      };
      await stateTable.put(item, mode === 'create' ? { ifNotExists: true } : {});
      await addRef(stateTable, objectName, refOf('transformation', scope, elementKey));
      return transformationFromItem(item, scope)!;
    },
    async deleteTransformation(scope, elementKey, objectName) {
      const key = transformationKey(scope, elementKey, objectName);
      await stateTable.delete(key);
      await removeRef(stateTable, objectName, refOf('transformation', scope, elementKey), key);
    },
    async refs(objectName) {
      return refsOf(await stateTable.get(objectIndexKey(objectName)));
    },
  };
}

/** Does `ref` apply to this instance (its own scope, its owner's account, or the organization)? */
export function refApplies(ref: ObjectRef, instance: InstanceRef): boolean {
  if (ref.kind === 'transformation' && ref.elementKey !== instance.elementKey) return false;
  if (ref.level === 'organization') return true;
  if (ref.level === 'account') return ref.accountId === instance.ownerUserId;
  return ref.instanceId === instance.id;
}

const LEVEL_ORDER: Level[] = ['instance', 'account', 'organization'];

/**
 * The instance's effective common resource called `objectName`, or undefined (then objectName is a
 * normal hub resource). One state-table get when the name is not a common resource anywhere; otherwise
 * that get plus one per level holding a transformation or definition for it (read in parallel).
 * Nothing is cached across calls, so a change is visible on the next request.
 */
export async function findCommonResource(
  stateTable: StateTable,
  instance: InstanceRef,
  objectName: string,
): Promise<CommonResource | undefined> {
  if (!OBJECT_NAME.test(objectName)) return undefined;
  const refs = refsOf(await stateTable.get(objectIndexKey(objectName))).filter((r) =>
    refApplies(r, instance),
  );
  if (!refs.some((r) => r.kind === 'transformation')) return undefined;
  const scopes: Record<Level, Scope> = {
    organization: { level: 'organization' },
    account: { level: 'account', accountId: instance.ownerUserId },
    instance: instanceScope(instance),
  };
  const has = (kind: ObjectRef['kind'], level: Level) =>
    refs.some((r) => r.kind === kind && r.level === level);
  const readTransformation = async (level: Level) =>
    has('transformation', level)
      ? transformationFromItem(
          await stateTable.get(transformationKey(scopes[level], instance.elementKey, objectName)),
          scopes[level],
        )
      : undefined;
  const readDefinition = async (level: Level) =>
    has('definition', level)
      ? definitionFromItem(await stateTable.get(definitionKey(scopes[level], objectName)), scopes[level])
      : undefined;
  const [organization, account, own, definitions] = await Promise.all([
    readTransformation('organization'),
    readTransformation('account'),
    readTransformation('instance'),
    Promise.all(LEVEL_ORDER.map(readDefinition)),
  ]);
  const transformation = resolveTransformation({
    ...(organization ? { organization: plainTransformation(organization) } : {}),
    ...(account ? { account: plainTransformation(account) } : {}),
    ...(own ? { instance: plainTransformation(own) } : {}),
  });
  if (!transformation) return undefined;
  const definition = definitions.find((d) => d !== undefined);
  return {
    name: objectName,
    vendorName: transformation.vendorName,
    transformation,
    ...(definition ? { definition: plainDefinition(definition) } : {}),
  };
}

/**
 * Removes an instance's own definitions and transformations (instance delete), through the store so the
 * per-name index stays a superset of the items.
 */
export async function forgetInstanceTransformations(
  stateTable: StateTable,
  instance: InstanceRef,
  now: () => Date = () => new Date(),
): Promise<void> {
  const store = createTransformationStore({ stateTable, now });
  const scope = instanceScope(instance);
  for (const transformation of await store.listTransformations(scope)) {
    await store.deleteTransformation(scope, transformation.elementKey, transformation.objectName);
  }
  for (const definition of await store.listDefinitions(scope)) {
    await store.deleteDefinition(scope, definition.objectName);
  }
}
