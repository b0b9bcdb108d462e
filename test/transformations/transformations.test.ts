import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldCatalog } from '../../shared/ceql';
import { ElementError } from '../../shared/errors';
import {
  checkAgainstDefinition,
  commonFieldCatalog,
  DEFAULT_EXPRESSION_LIMITS,
  formatMasked,
  loadExpressionEngine,
  parseMasked,
  parseObjectDefinition,
  parseTransformation,
  resolveTransformation,
  type Transformation,
  toCommon,
  toVendor,
  transformedCeqlToEncodedQuery,
} from '../../shared/transformations';

// Parsing checks computed-field expressions with JSONata, which loads on first use.
await loadExpressionEngine();

const incident: Transformation = parseTransformation({
  vendorName: 'incident',
  fields: [
    { path: 'id', type: 'string', vendorPath: 'sys_id' },
    { path: 'priority', type: 'number', vendorPath: 'priority' },
    { path: 'active', type: 'boolean', vendorPath: 'active' },
    { path: 'opened', type: 'date', vendorPath: 'opened_at' },
    { path: 'caller.id', type: 'string', vendorPath: 'caller_id.value' },
    { path: 'firstTag', type: 'string', vendorPath: '$.tags[0].name' },
    {
      path: 'secret',
      type: 'string',
      vendorPath: 'u_secret',
      configuration: [{ type: 'remove', properties: { fromVendor: true, toVendor: false } }],
    },
  ],
  configuration: [{ type: 'passThrough', properties: { fromVendor: false, toVendor: false } }],
});

const vendor = {
  sys_id: 'abc',
  priority: '2',
  active: 'true',
  opened_at: '2024-01-02 03:04:05',
  caller_id: { link: 'x', value: 'u1' },
  tags: [{ name: 't1' }],
  u_secret: 's',
  extra: 'e',
};

function status(fn: () => unknown): number | string {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return error instanceof ElementError ? error.status : String(error);
  }
}

describe('mapping both ways', () => {
  it('maps vendor to common with nested paths, types and remove', async () => {
    expect(await toCommon(incident, vendor)).toEqual({
      id: 'abc',
      priority: 2,
      active: true,
      opened: '2024-01-02T03:04:05.000Z',
      caller: { id: 'u1' },
      firstTag: 't1',
    });
  });

  it('maps common back to ServiceNow strings and round-trips', async () => {
    const common = await toCommon(incident, vendor);
    const back = toVendor(incident, { ...common, secret: 'kept' });
    expect(back).toEqual({
      sys_id: 'abc',
      priority: '2',
      active: 'true',
      opened_at: '2024-01-02 03:04:05',
      caller_id: { value: 'u1' },
      tags: [{ name: 't1' }],
      u_secret: 'kept',
    });
  });

  it('passThrough keeps unmapped fields', async () => {
    const t = {
      ...incident,
      configuration: [{ type: 'passThrough' as const, properties: { fromVendor: true, toVendor: true } }],
    };
    expect((await toCommon(t, vendor)).extra).toBe('e');
    expect(toVendor(t, { other: 1 }).other).toBe(1);
  });

  it('filter selectors read and write', async () => {
    const t = parseTransformation({
      vendorName: 'x',
      fields: [
        { path: 'name', type: 'string', vendorPath: 'Products[id=4].name' },
        { path: 'size', type: 'number', vendorPath: "details.Products[?(@.id=='2')].size" },
      ],
    });
    const v = {
      Products: [
        { id: 3, name: 'a' },
        { id: 4, name: 'b' },
      ],
      details: { Products: [{ id: 2, size: '7' }] },
    };
    expect(await toCommon(t, v)).toEqual({ name: 'b', size: 7 });
    expect(toVendor(t, { name: 'n', size: 1 })).toEqual({
      Products: [{ id: '4', name: 'n' }],
      details: { Products: [{ id: '2', size: '1' }] },
    });
  });
});

describe('type conversion edge cases', () => {
  const t = parseTransformation({
    vendorName: 'x',
    fields: [
      { path: 'n', type: 'number', vendorPath: 'n' },
      { path: 'b', type: 'boolean', vendorPath: 'b' },
      { path: 'd', type: 'date', vendorPath: 'd', mask: 'dd/MM/yyyy' },
    ],
  });
  it('reads "" and garbage as null', async () => {
    expect(await toCommon(t, { n: '', b: '', d: '' })).toEqual({ n: null, b: null, d: null });
    expect(await toCommon(t, { n: '1x', b: 'yes', d: '31/02/2024' })).toEqual({ n: null, b: null, d: null });
    expect(await toCommon(t, { n: '-1.5e2', b: '0', d: '29/02/2024' })).toEqual({
      n: -150,
      b: false,
      d: '2024-02-29T00:00:00.000Z',
    });
  });
  it('refuses unconvertible writes with 400 and clears with ""', () => {
    expect(status(() => toVendor(t, { n: 'abc' }))).toBe(400);
    expect(status(() => toVendor(t, { d: 'not a date' }))).toBe(400);
    expect(toVendor(t, { n: null, d: '2024-03-01T23:00:00-02:00' })).toEqual({ n: '', d: '02/03/2024' });
  });
});

describe('levels', () => {
  const org = parseTransformation({
    vendorName: 'incident',
    fields: [
      { path: 'id', type: 'string', vendorPath: 'sys_id' },
      { path: 'title', type: 'string', vendorPath: 'short_description' },
    ],
    configuration: [
      { type: 'passThrough', properties: { fromVendor: true } },
      { type: 'addToDocumentation' },
    ],
  });
  const account = parseTransformation({
    vendorName: 'incident',
    fields: [{ path: 'title', type: 'string', vendorPath: 'description' }],
    configuration: [{ type: 'inherit' }],
  });
  const instance = parseTransformation({
    vendorName: 'incident',
    fields: [
      { path: 'id', type: 'string', vendorPath: 'sys_id', configuration: [{ type: 'remove' }] },
      { path: 'n', type: 'number', vendorPath: 'number' },
    ],
    configuration: [{ type: 'inherit' }, { type: 'passThrough', properties: { fromVendor: false } }],
  });
  it('instance over account over organization with inherit', async () => {
    const r = resolveTransformation({ organization: org, account, instance })!;
    expect(r.fields.map((f) => `${f.path}:${f.vendorPath}`)).toEqual([
      'id:sys_id',
      'title:description',
      'n:number',
    ]);
    expect(
      await toCommon(r, { sys_id: '1', description: 'd', short_description: 's', number: '5', z: 1 }),
    ).toEqual({ title: 'd', n: 5 });
    expect(r.configuration?.map((c) => c.type)).toEqual(['passThrough', 'addToDocumentation']);
  });
  it('without inherit only the most specific level counts', () => {
    const plain = { ...instance, configuration: [] };
    expect(resolveTransformation({ organization: org, instance: plain })!.fields.map((f) => f.path)).toEqual([
      'id',
      'n',
    ]);
    expect(resolveTransformation({})).toBeUndefined();
  });
  it('refuses inheriting a different table', () => {
    expect(
      status(() =>
        resolveTransformation({ organization: org, instance: { ...account, vendorName: 'problem' } }),
      ),
    ).toBe(400);
  });
});

describe('CEQL on mapped names', () => {
  const catalog = fieldCatalog('incident', {
    sys_id: 'GUID',
    priority: 'integer',
    opened_at: 'glide_date_time',
    active: 'boolean',
    'caller_id.value': 'string',
  });
  it('translates where and orderBy to vendor fields', () => {
    expect(
      transformedCeqlToEncodedQuery(
        { where: "priority < 3 AND opened >= '2024-01-01T00:00:00Z'", orderBy: 'opened desc' },
        incident,
        { fields: catalog },
      ),
    ).toBe('priority<3^opened_at>=2024-01-01 00:00:00^ORDERBYDESCopened_at');
  });
  it('refuses unknown, removed and array-path fields', () => {
    expect(
      status(() => transformedCeqlToEncodedQuery({ where: "nope = 'x'" }, incident, { fields: catalog })),
    ).toBe(400);
    expect(
      status(() => transformedCeqlToEncodedQuery({ where: "secret = 'x'" }, incident, { fields: catalog })),
    ).toBe(400);
    expect(
      status(() => transformedCeqlToEncodedQuery({ orderBy: 'firstTag' }, incident, { fields: catalog })),
    ).toBe(400);
  });
});

describe('computed fields (JSONata)', () => {
  const t = parseTransformation({
    vendorName: 'incident',
    fields: [{ path: 'label', type: 'string', expression: 'number & " - " & short_description' }],
  });
  it('evaluates an expression', async () => {
    expect(await toCommon(t, { number: 'INC1', short_description: 'down' })).toEqual({
      label: 'INC1 - down',
    });
  });
  it('stops runaway expressions and large outputs with 422', async () => {
    const loop = parseTransformation({
      vendorName: 'x',
      fields: [{ path: 'x', type: 'string', expression: '($f := function($n){ $f($n+1) }; $f(0))' }],
    });
    await expect(toCommon(loop, {})).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/recursion too deep|timed out/),
    });
    const big = parseTransformation({
      vendorName: 'x',
      fields: [{ path: 'x', type: 'string', expression: '$pad("", 200000, "x")' }],
    });
    await expect(toCommon(big, {})).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/result larger than/),
    });
    const slow = parseTransformation({
      vendorName: 'x',
      fields: [{ path: 'x', type: 'number', expression: '$count([1..1000].([1..1000]))' }],
    });
    await expect(toCommon(slow, {}, { ...DEFAULT_EXPRESSION_LIMITS, timeoutMs: 1 })).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/timed out after 1 ms/),
    });
  });
});

describe('bad definitions', () => {
  const message = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as ElementError).status === 400 ? (error as Error).message : 'wrong status';
    }
    return 'accepted';
  };
  it('names the path of the problem', () => {
    expect(
      message(() =>
        parseTransformation({
          vendorName: 'incident',
          fields: [{ path: 'a', type: 'text', vendorPath: 'a' }],
        }),
      ),
    ).toMatch(/fields\[0\]\.type/);
    expect(
      message(() =>
        parseTransformation({
          vendorName: 'incident',
          fields: [{ path: 'a', type: 'string', vendorPath: 'a[*].size()' }],
        }),
      ),
    ).toMatch(/fields\[0\]\.vendorPath: unsupported path/);
    expect(
      message(() => parseTransformation({ vendorName: 'incident', fields: [{ path: 'a', type: 'string' }] })),
    ).toMatch(/fields\[0\]\.vendorPath/);
    expect(
      message(() => parseTransformation({ vendorName: 'incident', fields: [], script: { body: 'x' } })),
    ).toMatch(/script: JavaScript/);
    expect(message(() => parseObjectDefinition({ fields: [] }))).toMatch(/fields/);
    expect(message(() => parseObjectDefinition({ fields: [{ path: 'id', type: 'string' }] }))).toBe(
      'accepted',
    );
  });
});

describe('definition rules', () => {
  const bad = (input: unknown) => {
    try {
      parseTransformation(input);
      return 'accepted';
    } catch (error) {
      return (error as Error).message;
    }
  };
  it('refuses bad expressions, prototype keys and filters on common paths', () => {
    expect(bad({ vendorName: 'x', fields: [{ path: 'a', type: 'string', expression: '$$$(' }] })).toMatch(
      /fields\[0\]\.expression: Invalid expression/,
    );
    expect(
      bad({ vendorName: 'x', fields: [{ path: '__proto__.polluted', type: 'string', vendorPath: 'a' }] }),
    ).toMatch(/fields\[0\]\.path: forbidden key/);
    expect(bad({ vendorName: 'x', fields: [{ path: 'a[id=1]', type: 'string', vendorPath: 'a' }] })).toMatch(
      /fields\[0\]\.path: filters/,
    );
    expect(
      bad({
        vendorName: 'x',
        fields: [
          { path: 'a', type: 'string', vendorPath: 'a' },
          { path: 'a', type: 'string', vendorPath: 'b' },
        ],
      }),
    ).toMatch(/fields\[1\]\.path: duplicate/);
    expect(bad({ vendorName: 'Bad Table', fields: [] })).toMatch(/vendorName/);
  });
  it('checks a transformation against its object definition', () => {
    const definition = parseObjectDefinition({ fields: [{ path: 'id', type: 'string' }] });
    const ok = parseTransformation({
      vendorName: 'x',
      fields: [{ path: 'id', type: 'string', vendorPath: 'sys_id' }],
    });
    expect(() => checkAgainstDefinition(definition, ok)).not.toThrow();
    const wrongType = parseTransformation({
      vendorName: 'x',
      fields: [{ path: 'id', type: 'number', vendorPath: 'sys_id' }],
    });
    expect(() => checkAgainstDefinition(definition, wrongType)).toThrow(/fields\[0\]\.type/);
    const unknown = parseTransformation({
      vendorName: 'x',
      fields: [{ path: 'other', type: 'string', vendorPath: 'a' }],
    });
    expect(() => checkAgainstDefinition(definition, unknown)).toThrow(/not in the object definition/);
  });
});

describe('date masks', () => {
  it('round-trips any instant through a mask with milliseconds', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (date) => {
          const mask = 'yyyy-MM-dd HH:mm:ss.SSS';
          expect(parseMasked(formatMasked(date, mask), mask)?.toISOString()).toBe(date.toISOString());
        },
      ),
    );
  });
});

describe('common field catalog', () => {
  it('answers for common names with vendor types', () => {
    const catalog = commonFieldCatalog(
      incident,
      fieldCatalog('incident', { priority: 'integer', sys_id: 'GUID' }),
    );
    expect(catalog.has('priority')).toBe(true);
    expect(catalog.type('priority')).toBe('integer');
    expect(catalog.has('firstTag')).toBe(false);
    expect(catalog.has('active')).toBe(false);
  });
});
