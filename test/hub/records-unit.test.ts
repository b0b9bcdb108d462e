import { describe, expect, it } from 'vitest';
import { ElementError } from '../../shared/errors';
import { andEveryGroup, parseListParams, toHubRecord } from '../../shared/hub/records';
import { resolveResource } from '../../shared/hub/resources';

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
