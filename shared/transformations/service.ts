import { ConflictError, ElementError, InvalidInputError, NotFoundError } from '../errors';
import { ConditionFailedError } from '../ports/errors';
import type { StateTable } from '../ports/state-table';
import { loadExpressionEngine } from './computed';
import { resolveTransformation } from './resolve';
import {
  checkAgainstDefinition,
  type ObjectDefinition,
  parseObjectDefinition,
  parseTransformation,
  type Transformation,
} from './schema';
import {
  assertObjectName,
  createTransformationStore,
  type ObjectRef,
  plainTransformation,
  type Scope,
  type StoredDefinition,
  type StoredTransformation,
  scopeOfRef,
} from './store';

/**
 * The rules of the definitions/transformations API over the store:
 * - create on an existing name -> 409; read/replace/delete of a missing one -> 404;
 * - a transformation needs an object definition visible from its level (its own level or above: an
 *   instance sees its own, its owner's account's and the organization's) and may only map that
 *   definition's fields with the same types (400 naming the field);
 * - a definition is "used" by every transformation for which it is the most specific visible
 *   definition: deleting it then is a 409, replacing it with fields those transformations no longer
 *   match is a 409 too;
 * - a transformation with `inherit` must resolve against the levels above it (same vendorName, 400);
 * - rename moves the definitions and transformations of that name at every level.
 */

const conflict = (message: string) => new ConflictError(message);

/** Attributes a GET answers with; a client may send a GET body back, so they are dropped, not refused. */
const VIEW_KEYS = ['level', 'objectName', 'startDate', 'updatedDate', 'elementKey'];

const withoutViewKeys = (body: unknown): unknown => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([key]) => !VIEW_KEYS.includes(key)));
};

export const describeScope = (scope: Scope): string =>
  scope.level === 'organization'
    ? 'the organization'
    : scope.level === 'account'
      ? `account ${scope.accountId}`
      : `instance ${scope.instanceId}`;

/** The scopes whose definitions a transformation at `scope` sees, most specific first. */
const definitionChain = (scope: Scope): Scope[] =>
  scope.level === 'organization'
    ? [scope]
    : scope.level === 'account'
      ? [scope, { level: 'organization' }]
      : [scope, { level: 'account', accountId: scope.accountId }, { level: 'organization' }];

const sameScope = (a: Scope, b: Scope): boolean =>
  a.level === b.level &&
  (a.level === 'organization' ||
    (a.level === 'account' && b.level === 'account' && a.accountId === b.accountId) ||
    (a.level === 'instance' && b.level === 'instance' && a.instanceId === b.instanceId));

const refScopeMatches = (ref: ObjectRef, scope: Scope) => sameScope(scopeOfRef(ref), scope);

export interface TransformationService {
  listDefinitions(scope: Scope): Promise<Record<string, StoredDefinition>>;
  getDefinition(scope: Scope, objectName: string | undefined): Promise<StoredDefinition>;
  createDefinition(scope: Scope, objectName: string | undefined, body: unknown): Promise<StoredDefinition>;
  /** `{ "<objectName>": { fields } }`: all validated first, nothing written when one is bad or taken. */
  createDefinitions(scope: Scope, body: unknown): Promise<Record<string, StoredDefinition>>;
  replaceDefinition(scope: Scope, objectName: string | undefined, body: unknown): Promise<StoredDefinition>;
  deleteDefinition(scope: Scope, objectName: string | undefined): Promise<void>;
  /** `{ "objectName": "<new name>" }`; moves every definition and transformation of that name. */
  rename(scope: Scope, objectName: string | undefined, body: unknown): Promise<StoredDefinition>;
  listTransformations(scope: Scope, elementKey: string): Promise<Record<string, StoredTransformation>>;
  getTransformation(
    scope: Scope,
    elementKey: string,
    objectName: string | undefined,
  ): Promise<StoredTransformation>;
  createTransformation(
    scope: Scope,
    elementKey: string,
    objectName: string | undefined,
    body: unknown,
  ): Promise<StoredTransformation>;
  replaceTransformation(
    scope: Scope,
    elementKey: string,
    objectName: string | undefined,
    body: unknown,
  ): Promise<StoredTransformation>;
  deleteTransformation(scope: Scope, elementKey: string, objectName: string | undefined): Promise<void>;
}

export function createTransformationService(deps: {
  stateTable: StateTable;
  now: () => Date;
}): TransformationService {
  const store = createTransformationStore(deps);

  const mustGetDefinition = async (scope: Scope, name: string) => {
    const found = await store.getDefinition(scope, name);
    if (!found)
      throw new NotFoundError(`No object definition '${name}' at the level of ${describeScope(scope)}`);
    return found;
  };

  const mustGetTransformation = async (scope: Scope, elementKey: string, name: string) => {
    const found = await store.getTransformation(scope, elementKey, name);
    if (!found) {
      throw new NotFoundError(
        `No transformation '${name}' for ${elementKey} at the level of ${describeScope(scope)}`,
      );
    }
    return found;
  };

  /** The most specific definition a transformation at `scope` sees (undefined when none). */
  const visibleDefinition = async (scope: Scope, name: string) => {
    for (const candidate of definitionChain(scope)) {
      const found = await store.getDefinition(candidate, name);
      if (found) return found;
    }
    return undefined;
  };

  /** Existing transformations whose most specific visible definition is the one at `scope`. */
  const transformationsUsing = async (scope: Scope, name: string): Promise<StoredTransformation[]> => {
    const refs = await store.refs(name);
    const users: StoredTransformation[] = [];
    for (const ref of refs.filter((r) => r.kind === 'transformation')) {
      const refScope = scopeOfRef(ref);
      const chain = definitionChain(refScope);
      const position = chain.findIndex((s) => sameScope(s, scope));
      if (position < 0) continue;
      // A more specific definition in between takes the transformation away from this one.
      const closer = chain
        .slice(0, position)
        .some((s) => refs.some((r) => r.kind === 'definition' && refScopeMatches(r, s)));
      if (closer) continue;
      const stored = await store.getTransformation(refScope, ref.elementKey ?? '', name);
      if (stored) users.push(stored);
    }
    return users;
  };

  const parseDefinitionBody = (body: unknown): ObjectDefinition => {
    const { level: _level, ...definition } = parseObjectDefinition(withoutViewKeys(body));
    return definition;
  };

  const parseTransformationBody = (body: unknown): Transformation => {
    const {
      level: _l,
      objectName: _o,
      startDate: _s,
      ...transformation
    } = parseTransformation(withoutViewKeys(body));
    return transformation;
  };

  /** Definition present and matching, and (with inherit) resolvable against the levels above. */
  const validateTransformation = async (
    scope: Scope,
    elementKey: string,
    name: string,
    transformation: Transformation,
  ) => {
    const definition = await visibleDefinition(scope, name);
    if (!definition) {
      throw new InvalidInputError(
        `No object definition '${name}' is visible from ${describeScope(scope)}; create it first (POST .../objects/${name}/definitions)`,
      );
    }
    checkAgainstDefinition({ fields: definition.fields }, transformation);
    if (scope.level === 'organization') return;
    const above = async (s: Scope) => {
      const found = await store.getTransformation(s, elementKey, name);
      return found ? plainTransformation(found) : undefined;
    };
    const organization = await above({ level: 'organization' });
    const account =
      scope.level === 'instance' ? await above({ level: 'account', accountId: scope.accountId }) : undefined;
    resolveTransformation({
      ...(organization ? { organization } : {}),
      ...(account ? { account } : {}),
      [scope.level]: transformation,
    });
  };

  const createOne = async (scope: Scope, name: string, definition: ObjectDefinition) => {
    try {
      return await store.putDefinition(scope, name, definition, 'create');
    } catch (error) {
      if (error instanceof ConditionFailedError) {
        throw conflict(`Object definition '${name}' already exists at the level of ${describeScope(scope)}`);
      }
      throw error;
    }
  };

  return {
    async listDefinitions(scope) {
      const all = await store.listDefinitions(scope);
      return Object.fromEntries(all.map((d) => [d.objectName, d]));
    },
    async getDefinition(scope, objectName) {
      return mustGetDefinition(scope, assertObjectName(objectName));
    },
    async createDefinition(scope, objectName, body) {
      const name = assertObjectName(objectName);
      return createOne(scope, name, parseDefinitionBody(body));
    },
    async createDefinitions(scope, body) {
      if (
        typeof body !== 'object' ||
        body === null ||
        Array.isArray(body) ||
        Object.keys(body).length === 0
      ) {
        throw new InvalidInputError(
          'Expected an object { "<objectName>": { "fields": [...] } } with at least one entry',
        );
      }
      const parsed = Object.entries(body).map(([name, definition]) => {
        assertObjectName(name);
        try {
          return [name, parseDefinitionBody(definition)] as const;
        } catch (error) {
          if (error instanceof ElementError) throw new InvalidInputError(`${name}: ${error.message}`);
          throw error;
        }
      });
      const existing = await Promise.all(parsed.map(([name]) => store.getDefinition(scope, name)));
      const taken = parsed.filter((_, i) => existing[i] !== undefined).map(([name]) => name);
      if (taken.length > 0) {
        throw conflict(
          `Object definition(s) ${taken.map((n) => `'${n}'`).join(', ')} already exist at the level of ${describeScope(scope)}`,
        );
      }
      const created: Record<string, StoredDefinition> = {};
      for (const [name, definition] of parsed) created[name] = await createOne(scope, name, definition);
      return created;
    },
    async replaceDefinition(scope, objectName, body) {
      const name = assertObjectName(objectName);
      const definition = parseDefinitionBody(body);
      await mustGetDefinition(scope, name);
      for (const user of await transformationsUsing(scope, name)) {
        try {
          checkAgainstDefinition(definition, plainTransformation(user));
        } catch (error) {
          throw conflict(
            `Object definition '${name}' is used by the ${user.level} transformation for ${user.elementKey}, which the new fields no longer match (${(error as Error).message})`,
          );
        }
      }
      return store.putDefinition(scope, name, definition, 'replace');
    },
    async deleteDefinition(scope, objectName) {
      const name = assertObjectName(objectName);
      await mustGetDefinition(scope, name);
      const users = await transformationsUsing(scope, name);
      if (users.length > 0) {
        const first = users[0]!;
        throw conflict(
          `Object definition '${name}' is used by ${users.length} transformation(s) (e.g. the ${first.level} transformation for ${first.elementKey}); delete them first`,
        );
      }
      await store.deleteDefinition(scope, name);
    },
    async rename(scope, objectName, body) {
      const name = assertObjectName(objectName);
      const target = (body as { objectName?: unknown } | undefined)?.objectName;
      if (typeof target !== 'string')
        throw new InvalidInputError('Expected a body { "objectName": "<new name>" }');
      const newName = assertObjectName(target);
      await mustGetDefinition(scope, name);
      if (newName === name) return mustGetDefinition(scope, name);
      const taken = await store.refs(newName);
      for (const ref of taken) {
        const refScope = scopeOfRef(ref);
        const exists =
          ref.kind === 'definition'
            ? await store.getDefinition(refScope, newName)
            : await store.getTransformation(refScope, ref.elementKey ?? '', newName);
        if (exists) {
          throw conflict(
            `'${newName}' is already used by a ${ref.kind} at the level of ${describeScope(refScope)}`,
          );
        }
      }
      // Copy everything under the new name first, then delete the old items: a failure half-way leaves
      // both names defined (retrying the rename finishes it), never a transformation without definition.
      const refs = await store.refs(name);
      const moved: (() => Promise<void>)[] = [];
      for (const ref of refs) {
        const refScope = scopeOfRef(ref);
        if (ref.kind === 'definition') {
          const old = await store.getDefinition(refScope, name);
          if (!old) continue;
          await store.putDefinition(refScope, newName, { fields: old.fields }, 'replace');
          moved.push(() => store.deleteDefinition(refScope, name));
        }
      }
      for (const ref of refs) {
        const refScope = scopeOfRef(ref);
        if (ref.kind === 'transformation') {
          const elementKey = ref.elementKey ?? '';
          const old = await store.getTransformation(refScope, elementKey, name);
          if (!old) continue;
          await store.putTransformation(refScope, elementKey, newName, plainTransformation(old), 'replace');
          moved.unshift(() => store.deleteTransformation(refScope, elementKey, name));
        }
      }
      for (const remove of moved) await remove();
      return mustGetDefinition(scope, newName);
    },
    async listTransformations(scope, elementKey) {
      const all = await store.listTransformations(scope, elementKey);
      return Object.fromEntries(all.map((t) => [t.objectName, t]));
    },
    async getTransformation(scope, elementKey, objectName) {
      return mustGetTransformation(scope, elementKey, assertObjectName(objectName));
    },
    async createTransformation(scope, elementKey, objectName, body) {
      const name = assertObjectName(objectName);
      await loadExpressionEngine();
      const transformation = parseTransformationBody(body);
      if (await store.getTransformation(scope, elementKey, name)) {
        throw conflict(
          `Transformation '${name}' for ${elementKey} already exists at the level of ${describeScope(scope)}`,
        );
      }
      await validateTransformation(scope, elementKey, name, transformation);
      try {
        return await store.putTransformation(scope, elementKey, name, transformation, 'create');
      } catch (error) {
        if (error instanceof ConditionFailedError) {
          throw conflict(
            `Transformation '${name}' for ${elementKey} already exists at the level of ${describeScope(scope)}`,
          );
        }
        throw error;
      }
    },
    async replaceTransformation(scope, elementKey, objectName, body) {
      const name = assertObjectName(objectName);
      await loadExpressionEngine();
      const transformation = parseTransformationBody(body);
      await mustGetTransformation(scope, elementKey, name);
      await validateTransformation(scope, elementKey, name, transformation);
      return store.putTransformation(scope, elementKey, name, transformation, 'replace');
    },
    async deleteTransformation(scope, elementKey, objectName) {
      const name = assertObjectName(objectName);
      await mustGetTransformation(scope, elementKey, name);
      await store.deleteTransformation(scope, elementKey, name);
    },
  };
}
