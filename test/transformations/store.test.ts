/**
 * The transformations store on the local state table: findCommonResource's cost and exactness (the
 * per-name index never misses an item, even under concurrent create/delete), definition lookup order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalStateTable, type LocalStateTable } from '../../shared/adapters/local';
import type { StateTable } from '../../shared/ports';
import {
  createTransformationStore,
  findCommonResource,
  instanceScope,
  type Transformation,
} from '../../shared/transformations';
import { makeTempDir } from '../adapters/temp-dir';

let table: LocalStateTable;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await makeTempDir('xform-store');
  table = createLocalStateTable({ dataDir: temp.dir });
  cleanup = async () => {
    await table.close();
    await temp.cleanup();
  };
});
afterAll(async () => cleanup?.());

const counting = (inner: StateTable) => {
  const calls = { get: 0, query: 0 };
  const wrapped: StateTable = {
    get: (key) => {
      calls.get++;
      return inner.get(key);
    },
    put: (item, options) => inner.put(item, options),
    update: (key, set, options) => inner.update(key, set, options),
    delete: (key, options) => inner.delete(key, options),
    query: (input) => {
      calls.query++;
      return inner.query(input);
    },
    acquireLease: (key, request) => inner.acquireLease(key, request),
    releaseLease: (key, holder) => inner.releaseLease(key, holder),
  };
  return { wrapped, calls };
};

const instance = { id: 7, ownerUserId: 'alice', elementKey: 'servicenow' };
const t = (vendorName: string, path = 'title'): Transformation => ({
  vendorName,
  fields: [{ path, type: 'string', vendorPath: 'short_description' }],
});

describe('findCommonResource', () => {
  it('answers an unknown name with one get and no query', async () => {
    const { wrapped, calls } = counting(table);
    expect(await findCommonResource(wrapped, instance, 'incidents')).toBeUndefined();
    expect(calls).toEqual({ get: 1, query: 0 });
    expect(await findCommonResource(wrapped, instance, 'not a name')).toBeUndefined();
    expect(calls.get).toBe(1);
  });

  it('picks the most specific definition and resolves the levels for this instance only', async () => {
    const store = createTransformationStore({
      stateTable: table,
      now: () => new Date('2027-01-01T00:00:00Z'),
    });
    await store.putDefinition(
      { level: 'organization' },
      'cases',
      { fields: [{ path: 'title', type: 'string' }] },
      'create',
    );
    await store.putDefinition(
      instanceScope(instance),
      'cases',
      {
        fields: [
          { path: 'title', type: 'string' },
          { path: 'x', type: 'number' },
        ],
      },
      'create',
    );
    await store.putTransformation({ level: 'organization' }, 'servicenow', 'cases', t('incident'), 'create');
    const found = await findCommonResource(table, instance, 'cases');
    expect(found).toMatchObject({ name: 'cases', vendorName: 'incident' });
    expect(found?.definition?.fields).toHaveLength(2);
    // Another element, or an instance-level transformation of another instance, does not apply.
    expect(
      await findCommonResource(table, { ...instance, elementKey: 'servicenowoauth' }, 'cases'),
    ).toBeUndefined();
    await store.putTransformation(
      instanceScope({ ...instance, id: 8 }),
      'servicenow',
      'cases',
      t('problem'),
      'create',
    );
    expect((await findCommonResource(table, instance, 'cases'))?.vendorName).toBe('incident');
    expect((await findCommonResource(table, { ...instance, id: 8 }, 'cases'))?.vendorName).toBe('problem');
  });

  it('never loses an item from the index under concurrent creates and deletes', async () => {
    const store = createTransformationStore({ stateTable: table, now: () => new Date() });
    const scopes = Array.from({ length: 6 }, (_, i) => instanceScope({ ...instance, id: 100 + i }));
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        scopes.flatMap((scope, i) => [
          store.putTransformation(scope, 'servicenow', 'racy', t('incident'), 'replace'),
          ...(i % 2 === round % 2 ? [store.deleteTransformation(scope, 'servicenow', 'racy')] : []),
        ]),
      );
      for (const [i, scope] of scopes.entries()) {
        const exists = (await store.getTransformation(scope, 'servicenow', 'racy')) !== undefined;
        const found = await findCommonResource(table, { ...instance, id: 100 + i }, 'racy');
        expect(found !== undefined, `round ${round} instance ${100 + i}`).toBe(exists);
      }
    }
  });
});
