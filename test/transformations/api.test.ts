/**
 * The definitions and transformations API through real HTTP (local mode + simulator): CRUD at the three
 * levels, the 400/404/409 rules, rename, and inherit/passThrough/remove precedence seen through the hub.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransformationStore } from '../../shared/transformations/store';
import { bobAuth, startXformHarness, type XformHarness } from './harness';

let h: XformHarness;

beforeAll(async () => {
  h = await startXformHarness();
  h.sim.db.insert(
    'incident',
    { short_description: 'Printer on fire', priority: '2', active: 'true', category: 'hardware' },
    { userName: 'admin' },
  );
});
afterAll(async () => h?.close());

const fields = (...paths: [string, string][]) => ({ fields: paths.map(([path, type]) => ({ path, type })) });
const message = (res: { json: <T>() => T }) => res.json<{ message: string }>().message;

describe('object definitions', () => {
  it('creates, reads, lists, replaces and deletes at the organization level', async () => {
    const created = await h.platform(
      'POST',
      '/organizations/objects/widgets/definitions',
      fields(['name', 'string']),
    );
    expect(created.status, created.text).toBe(200);
    expect(created.json()).toMatchObject({
      level: 'organization',
      objectName: 'widgets',
      fields: [{ path: 'name' }],
    });
    expect(created.json().startDate).toMatch(/^\d{4}-/);

    expect(
      (await h.platform('POST', '/organizations/objects/widgets/definitions', fields(['x', 'string'])))
        .status,
    ).toBe(409);
    const got = await h.platform('GET', '/organizations/objects/widgets/definitions');
    expect(got.json()).toMatchObject({ objectName: 'widgets', level: 'organization' });
    const list = await h.platform('GET', '/organizations/objects/definitions');
    expect(Object.keys(list.json())).toContain('widgets');

    // A GET body can be sent back as is (level/objectName/dates are dropped).
    const replaced = await h.platform('PUT', '/organizations/objects/widgets/definitions', {
      ...got.json<Record<string, unknown>>(),
      fields: [
        { path: 'name', type: 'string' },
        { path: 'size', type: 'number' },
      ],
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.json<{ fields: unknown[] }>().fields).toHaveLength(2);
    expect(replaced.json().startDate).toBe(created.json().startDate);

    expect((await h.platform('DELETE', '/organizations/objects/widgets/definitions')).status).toBe(200);
    expect((await h.platform('GET', '/organizations/objects/widgets/definitions')).status).toBe(404);
    expect(
      (await h.platform('PUT', '/organizations/objects/widgets/definitions', fields(['a', 'string']))).status,
    ).toBe(404);
    expect((await h.platform('DELETE', '/organizations/objects/widgets/definitions')).status).toBe(404);
  });

  it('creates many at once, all or nothing', async () => {
    const many = await h.platform('POST', '/organizations/objects/definitions', {
      gadgets: fields(['id', 'string']),
      gizmos: fields(['id', 'string']),
    });
    expect(many.status, many.text).toBe(200);
    expect(Object.keys(many.json())).toEqual(['gadgets', 'gizmos']);
    const again = await h.platform('POST', '/organizations/objects/definitions', {
      doohickeys: fields(['id', 'string']),
      gizmos: fields(['id', 'string']),
    });
    expect(again.status).toBe(409);
    expect(message(again)).toMatch(/'gizmos'/);
    expect((await h.platform('GET', '/organizations/objects/doohickeys/definitions')).status).toBe(404);
    const bad = await h.platform('POST', '/organizations/objects/definitions', {
      ok1: fields(['id', 'strang']),
    });
    expect(bad.status).toBe(400);
    expect(message(bad)).toMatch(/^ok1: Invalid object definition: fields\[0\]\.type/);
  });

  it('refuses bad definitions with the path of the problem', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /fields/],
      [{ fields: [] }, /fields/],
      [{ fields: [{ path: 'a', type: 'text' }] }, /fields\[0\]\.type/],
      [{ fields: [{ path: 'a[?(@.x==1)]', type: 'string' }] }, /filters are only allowed in vendorPath/],
      [{ fields: [{ path: 'a', type: 'string', extra: 1 }] }, /fields\[0\]/],
    ];
    for (const [body, pattern] of cases) {
      const res = await h.platform('POST', '/organizations/objects/badOne/definitions', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(message(res)).toMatch(pattern);
    }
    expect(
      (await h.platform('POST', '/organizations/objects/bad-name!/definitions', fields(['a', 'string'])))
        .status,
    ).toBe(400);
  });

  it('serves the account level to its own user only, and instances to their owner', async () => {
    const mine = await h.platform('POST', '/accounts/objects/notes/definitions', fields(['text', 'string']));
    expect(mine.status, mine.text).toBe(200);
    expect(mine.json().level).toBe('account');
    expect((await h.platform('GET', '/accounts/alice/objects/notes/definitions')).json().objectName).toBe(
      'notes',
    );
    expect((await h.platform('GET', '/accounts/bob/objects/notes/definitions')).status).toBe(404);
    expect((await h.platform('GET', '/accounts/objects/notes/definitions', undefined, bobAuth)).status).toBe(
      404,
    );
    expect(Object.keys((await h.platform('GET', '/accounts/objects/definitions')).json())).toEqual(['notes']);

    const own = await h.platform(
      'POST',
      `/instances/${h.instanceId}/objects/notes/definitions`,
      fields(['text', 'string']),
    );
    expect(own.json().level).toBe('instance');
    expect(
      (await h.platform('GET', `/instances/${h.instanceId}/objects/definitions`, undefined, bobAuth)).status,
    ).toBe(404);
    expect((await h.platform('GET', '/instances/999999/objects/definitions')).status).toBe(404);
  });
});

describe('instance delete', () => {
  it('removes the instance-level definitions and transformations with the instance', async () => {
    const { id } = await h.provision();
    const definition = await h.platform(
      'POST',
      `/instances/${id}/objects/memos/definitions`,
      fields(['text', 'string']),
    );
    expect(definition.status, definition.text).toBe(200);
    const mapping = await h.platform('POST', `/instances/${id}/transformations/memos`, {
      vendorName: 'incident',
      fields: [{ path: 'text', type: 'string', vendorPath: 'short_description' }],
    });
    expect(mapping.status, mapping.text).toBe(200);
    const pk = `XFORM#INSTANCE#${id}`;
    expect((await h.deps.stateTable.query({ pk })).items.length).toBe(2);

    expect((await h.platform('DELETE', `/instances/${id}`)).status).toBe(200);
    expect((await h.deps.stateTable.query({ pk })).items).toEqual([]);
    const refs = await createTransformationStore({
      stateTable: h.deps.stateTable,
      now: () => new Date(),
    }).refs('memos');
    expect(refs.filter((ref) => ref.instanceId === id)).toEqual([]);
  });
});

const ticketsDefinition = fields(
  ['title', 'string'],
  ['priority', 'number'],
  ['active', 'boolean'],
  ['category', 'string'],
);

describe('transformations', () => {
  it('needs a visible definition, maps only its fields, and refuses script', async () => {
    const path = '/organizations/elements/servicenow/transformations/things';
    const t = {
      vendorName: 'incident',
      fields: [{ path: 'title', type: 'string', vendorPath: 'short_description' }],
    };
    const none = await h.platform('POST', path, t);
    expect(none.status).toBe(400);
    expect(message(none)).toMatch(/No object definition 'things'.*create it first/);

    await h.platform('POST', '/organizations/objects/things/definitions', fields(['title', 'string']));
    const unknownField = await h.platform('POST', path, {
      ...t,
      fields: [...t.fields, { path: 'owner', type: 'string', vendorPath: 'assigned_to' }],
    });
    expect(unknownField.status).toBe(400);
    expect(message(unknownField)).toMatch(/fields\[1\]\.path: 'owner' is not in the object definition/);
    const wrongType = await h.platform('POST', path, { ...t, fields: [{ ...t.fields[0], type: 'number' }] });
    expect(message(wrongType)).toMatch(/definition says 'string'/);
    const script = await h.platform('POST', path, { ...t, script: { body: 'done(transformedObject)' } });
    expect(script.status).toBe(400);
    expect(message(script)).toMatch(/script.*not supported.*expression \(JSONata\)/);
    const badExpression = await h.platform('POST', path, {
      ...t,
      fields: [{ path: 'title', type: 'string', expression: '$$$(' }],
    });
    expect(badExpression.status).toBe(400);
    expect(message(badExpression)).toMatch(/fields\[0\]\.expression/);

    const created = await h.platform('POST', path, t);
    expect(created.status, created.text).toBe(200);
    expect(created.json()).toMatchObject({
      level: 'organization',
      objectName: 'things',
      elementKey: 'servicenow',
      vendorName: 'incident',
    });
    expect(created.json().startDate).toMatch(/^\d{4}-/);
    expect((await h.platform('POST', path, t)).status).toBe(409);
    expect(
      (await h.platform('GET', '/organizations/elements/145/transformations/things')).json().vendorName,
    ).toBe('incident');
    expect(
      Object.keys((await h.platform('GET', '/organizations/elements/servicenow/transformations')).json()),
    ).toContain('things');
    expect(
      (await h.platform('GET', '/organizations/elements/servicenowoauth/transformations/things')).status,
    ).toBe(404);
    expect((await h.platform('GET', '/organizations/elements/nope/transformations/things')).status).toBe(404);

    // The definition is in use: deleting it or dropping the mapped field is a 409.
    const del = await h.platform('DELETE', '/organizations/objects/things/definitions');
    expect(del.status).toBe(409);
    expect(message(del)).toMatch(/used by 1 transformation/);
    expect(
      (await h.platform('PUT', '/organizations/objects/things/definitions', fields(['other', 'string'])))
        .status,
    ).toBe(409);

    // Rename moves the transformation along.
    const renamed = await h.platform('PATCH', '/organizations/objects/things', { objectName: 'stuff' });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json().objectName).toBe('stuff');
    expect((await h.platform('GET', path)).status).toBe(404);
    expect(
      (await h.platform('GET', '/organizations/elements/servicenow/transformations/stuff')).json().fields,
    ).toEqual(t.fields);
    expect(
      (await h.platform('PATCH', '/organizations/objects/stuff', { objectName: 'gadgets' })).status,
    ).toBe(409);

    expect(
      (await h.platform('DELETE', '/organizations/elements/servicenow/transformations/stuff')).status,
    ).toBe(200);
    expect(
      (await h.platform('DELETE', '/organizations/elements/servicenow/transformations/stuff')).status,
    ).toBe(404);
    expect((await h.platform('DELETE', '/organizations/objects/stuff/definitions')).status).toBe(200);
  });

  it('resolves organization -> account -> instance with inherit, passThrough and remove', async () => {
    expect(
      (await h.platform('POST', '/organizations/objects/tickets/definitions', ticketsDefinition)).status,
    ).toBe(200);
    const org = await h.platform('POST', '/organizations/elements/servicenow/transformations/tickets', {
      vendorName: 'incident',
      fields: [
        { path: 'title', type: 'string', vendorPath: 'short_description' },
        { path: 'priority', type: 'number', vendorPath: 'priority' },
      ],
    });
    expect(org.status, org.text).toBe(200);
    const read = async () => {
      const res = await h.hub('GET', '/hubs/helpdesk/tickets');
      expect(res.status, res.text).toBe(200);
      return res.json<Record<string, unknown>[]>()[0] ?? {};
    };
    const first = await read();
    expect(first).toEqual({ id: expect.any(String), title: 'Printer on fire', priority: 2 });

    // Account level inherits the organization and adds a field.
    const account = await h.platform('POST', '/accounts/alice/elements/servicenow/transformations/tickets', {
      vendorName: 'incident',
      fields: [{ path: 'active', type: 'boolean', vendorPath: 'active' }],
      configuration: [{ type: 'inherit' }],
    });
    expect(account.status, account.text).toBe(200);
    expect(await read()).toEqual({ id: first.id, title: 'Printer on fire', priority: 2, active: true });

    // Instance level inherits both, removes priority from responses and passes unmapped fields through.
    const instancePath = `/instances/${h.instanceId}/transformations/tickets`;
    const instance = await h.platform('POST', instancePath, {
      vendorName: 'incident',
      fields: [
        {
          path: 'priority',
          type: 'number',
          vendorPath: 'priority',
          configuration: [{ type: 'remove', properties: { fromVendor: true, toVendor: false } }],
        },
      ],
      configuration: [{ type: 'inherit' }, { type: 'passThrough', properties: { fromVendor: true } }],
    });
    expect(instance.status, instance.text).toBe(200);
    const passed = await read();
    expect(passed).toMatchObject({
      id: first.id,
      title: 'Printer on fire',
      active: true,
      category: 'hardware',
    });
    expect(passed).not.toHaveProperty('priority');
    expect(passed).not.toHaveProperty('short_description');

    // Without inherit, the instance level alone applies.
    const alone = await h.platform('PUT', instancePath, {
      vendorName: 'incident',
      fields: [{ path: 'category', type: 'string', vendorPath: 'category' }],
    });
    expect(alone.status, alone.text).toBe(200);
    expect(await read()).toEqual({ id: first.id, category: 'hardware' });

    // A different table under inherit is refused when saved.
    const mixed = await h.platform('PUT', instancePath, {
      vendorName: 'problem',
      fields: [],
      configuration: [{ type: 'inherit' }],
    });
    expect(mixed.status).toBe(400);
    expect(message(mixed)).toMatch(/inherits from vendorName 'incident'/);

    // Deleting the lower levels falls back to the organization's mapping; deleting all ends the resource.
    expect((await h.platform('DELETE', instancePath)).status).toBe(200);
    expect(
      (await h.platform('DELETE', '/accounts/alice/elements/servicenow/transformations/tickets')).status,
    ).toBe(200);
    expect(await read()).toEqual({ id: first.id, title: 'Printer on fire', priority: 2 });
    expect(
      (await h.platform('DELETE', '/organizations/elements/servicenow/transformations/tickets')).status,
    ).toBe(200);
    const gone = await h.hub('GET', '/hubs/helpdesk/tickets');
    expect(gone.status).toBe(404); // `tickets` is a table name again, and no such table exists
  });
});
