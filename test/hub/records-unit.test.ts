import { describe, expect, it } from 'vitest';
import { ElementError } from '../../shared/errors';
import { andEveryGroup, parseListParams, toHubRecord, toHubRecords } from '../../shared/hub/records';
import { resolveResource } from '../../shared/resources';

const status = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof ElementError ? error.status : -1;
  }
  return undefined;
};

describe('resolveResource', () => {
  it('maps the hub resources and passes valid table names through', () => {
    expect(resolveResource('incidents')).toEqual({ table: 'incident', resource: 'incidents' });
    expect(resolveResource('accounts').table).toBe('core_company');
    expect(resolveResource('agents')).toEqual({
      table: 'sys_user',
      resource: 'agents',
      filter: 'roles=itil',
    });
    expect(resolveResource('contacts').table).toBe('sys_user');
    expect(resolveResource('changes').table).toBe('change_request');
    expect(resolveResource('groups').table).toBe('sys_user_group');
    expect(resolveResource('u_custom_table')).toEqual({ table: 'u_custom_table' });
    for (const bad of ['Incident', '1abc', 'a-b', 'a^b', '', 'x'.repeat(81), '__proto__']) {
      expect(
        status(() => resolveResource(bad)),
        bad,
      ).toBe(404);
    }
    // Object prototype names are tables like any other, never a mapping.
    expect(resolveResource('constructor')).toEqual({ table: 'constructor' });
  });
});

describe('andEveryGroup', () => {
  it('ANDs a condition into every ^NQ group', () => {
    expect(andEveryGroup('', 'roles=itil')).toBe('roles=itil');
    expect(andEveryGroup('a=1', undefined)).toBe('a=1');
    expect(andEveryGroup('a=1^ORb=2', 'roles=itil')).toBe('a=1^ORb=2^roles=itil');
    expect(andEveryGroup('a=1^NQb=2^c=3', 'sys_id>x')).toBe('a=1^sys_id>x^NQb=2^c=3^sys_id>x');
  });
});

describe('parseListParams', () => {
  it('applies defaults and bounds', () => {
    expect(parseListParams(new URLSearchParams(''))).toEqual({
      pageSize: 200,
      page: 1,
      returnTotalCount: false,
    });
    expect(
      parseListParams(
        new URLSearchParams(
          'pageSize=5000&page=3&fields=a, b,a&returnTotalCount=true&displayValues=all&where=x=1',
        ),
      ),
    ).toEqual({
      pageSize: 5000,
      page: 3,
      fields: ['a', 'b'],
      returnTotalCount: true,
      displayValues: 'all',
      where: 'x=1',
    });
    for (const q of [
      'pageSize=5001',
      'pageSize=1.5',
      'page=0',
      'pageSize=1&pageSize=2',
      'displayValues=yes',
    ]) {
      expect(
        status(() => parseListParams(new URLSearchParams(q))),
        q,
      ).toBe(400);
    }
  });
});

describe('toHubRecord', () => {
  it('puts id first, reports "" as null and drops it when nulls are filtered', () => {
    const row = () => ({ number: 'INC1', sys_id: 'abc', assigned_to: '', id: 'spoofed' });
    const filtered = toHubRecord(row(), true);
    expect(Object.keys(JSON.parse(JSON.stringify(filtered)))).toEqual(['id', 'number', 'sys_id']);
    expect(filtered.id).toBe('abc');
    expect(JSON.parse(JSON.stringify(toHubRecord(row(), false)))).toEqual({
      id: 'abc',
      number: 'INC1',
      sys_id: 'abc',
      assigned_to: null,
    });
    const all = {
      sys_id: { display_value: 'abc', value: 'abc' },
      caller_id: { display_value: '', value: '' },
    };
    expect(JSON.parse(JSON.stringify(toHubRecord(all, true)))).toEqual({
      id: 'abc',
      sys_id: { display_value: 'abc', value: 'abc' },
    });
    expect(status(() => toHubRecord({ number: 'x' }, true))).toBe(502);
  });
});

describe('toHubRecords', () => {
  /** What the wire carries: JSON text, so key order and left-out fields count. */
  const wire = (value: unknown) => JSON.stringify(value);
  const one = (rows: Record<string, unknown>[], filterNulls: boolean) =>
    wire(structuredClone(rows).map((row) => toHubRecord(row, filterNulls)));

  it('shapes a page exactly as toHubRecord shapes each row, whatever the rows look like', () => {
    const rows: Record<string, unknown>[] = [
      { number: 'INC1', sys_id: 'a1', assigned_to: '', state: '1', tags: { display_value: '', value: '' } },
      { number: 'INC2', sys_id: 'a2', assigned_to: 'u1', state: '', tags: { display_value: 'x', value: '' } },
      // Other fields, other order, an own `id`, a `__proto__` key: each must still come out right.
      { sys_id: 'a3', number: 'INC3', assigned_to: '', state: '2', tags: '' },
      { number: 'INC4', sys_id: 'a4', assigned_to: '', state: '2' },
      { number: 'INC5', sys_id: 'a5', assigned_to: '', state: '2', tags: '', extra: 'e' },
      { number: 'INC6', sys_id: 'a6', assigned_to: '', state: '3', tags: '', id: 'spoofed' },
      JSON.parse('{"number":"INC7","sys_id":"a7","assigned_to":"","state":"3","__proto__":"p"}'),
      {
        number: 'INC8',
        sys_id: 'a8',
        assigned_to: null,
        state: '4',
        tags: { display_value: '', value: 'v' },
      },
    ];
    for (const filterNulls of [true, false]) {
      const shaped = toHubRecords(structuredClone(rows), filterNulls);
      expect(wire(shaped)).toBe(one(rows, filterNulls));
      expect(shaped.map((row) => Object.getPrototypeOf(row))).toEqual(rows.map(() => Object.prototype));
    }
    const page = toHubRecords(structuredClone(rows), true);
    expect(Object.keys(JSON.parse(wire(page[0])))).toEqual(['id', 'number', 'sys_id', 'state']);
    expect(JSON.parse(wire(page[1]))).toEqual({
      id: 'a2',
      number: 'INC2',
      sys_id: 'a2',
      assigned_to: 'u1',
      tags: { display_value: 'x', value: '' },
    });
    expect(JSON.parse(wire(page[5])).id).toBe('a6');
  });

  it('handles an empty page, a single row and a page whose first row carries its own id', () => {
    expect(toHubRecords([], true)).toEqual([]);
    expect(wire(toHubRecords([{ sys_id: 'x', a: '' }], false))).toBe('[{"id":"x","sys_id":"x","a":null}]');
    const rows = [
      { id: 'spoofed', sys_id: 'b1', a: '1' },
      { sys_id: 'b2', a: '' },
    ];
    expect(wire(toHubRecords(structuredClone(rows), true))).toBe(one(rows, true));
    const odd = () => [
      JSON.parse('{"sys_id":"d1","__proto__":"","a":"1"}'),
      JSON.parse('{"sys_id":"d2","__proto__":"","a":""}'),
    ];
    for (const filterNulls of [true, false]) {
      const shaped = toHubRecords(odd(), filterNulls);
      expect(wire(shaped)).toBe(wire(odd().map((row) => toHubRecord(row, filterNulls))));
      expect(shaped.map((row) => Object.getPrototypeOf(row))).toEqual([Object.prototype, Object.prototype]);
    }
  });

  it('answers 502 for a row without sys_id, like toHubRecord', () => {
    const rows = [
      { sys_id: 'c1', a: '1' },
      { sys_id: '', a: '2' },
    ];
    expect(status(() => toHubRecords(rows, true))).toBe(502);
  });
});
