import { describe, expect, it } from 'vitest';
import { OPERATORS } from '../query/ast';
import { parseCondition, parseEncodedQuery } from '../query/parser';

describe('encoded query parser', () => {
  it('reads every documented encoded-query operator', () => {
    const cases: [string, string, string, string][] = [
      ['state=1', 'state', '=', '1'],
      ['state!=6', 'state', '!=', '6'],
      ['priority>2', 'priority', '>', '2'],
      ['priority>=2', 'priority', '>=', '2'],
      ['priority<2', 'priority', '<', '2'],
      ['priority<=2', 'priority', '<=', '2'],
      ['short_descriptionLIKEoutage', 'short_description', 'LIKE', 'outage'],
      ['short_descriptionNOT LIKEoutage', 'short_description', 'NOT LIKE', 'outage'],
      ['short_descriptionNOTLIKEoutage', 'short_description', 'NOTLIKE', 'outage'],
      ['numberSTARTSWITHINC', 'number', 'STARTSWITH', 'INC'],
      ['numberENDSWITH001', 'number', 'ENDSWITH', '001'],
      ['stateIN1,2,3', 'state', 'IN', '1,2,3'],
      ['stateNOT IN6,7,8', 'state', 'NOT IN', '6,7,8'],
      ['assigned_toISEMPTY', 'assigned_to', 'ISEMPTY', ''],
      ['assigned_toISNOTEMPTY', 'assigned_to', 'ISNOTEMPTY', ''],
      ['short_descriptionEMPTYSTRING', 'short_description', 'EMPTYSTRING', ''],
      ['short_descriptionANYTHING', 'short_description', 'ANYTHING', ''],
      ['priorityBETWEEN1@3', 'priority', 'BETWEEN', '1@3'],
      ['caller_idSAMEASassigned_to', 'caller_id', 'SAMEAS', 'assigned_to'],
      ['caller_idNSAMEASassigned_to', 'caller_id', 'NSAMEAS', 'assigned_to'],
      [
        'opened_atONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()',
        'opened_at',
        'ON',
        'Today@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()',
      ],
      ['opened_atNOTONToday@a@b', 'opened_at', 'NOTON', 'Today@a@b'],
      ['sys_class_nameINSTANCEOFtask', 'sys_class_name', 'INSTANCEOF', 'task'],
      ['caller_id.email=a@b.c', 'caller_id.email', '=', 'a@b.c'],
    ];
    for (const [text, field, operator, value] of cases) {
      expect(parseCondition(text), text).toEqual({ field, operator, value });
    }
    const covered = new Set(cases.map((c) => c[2]));
    expect(OPERATORS.filter((o) => !covered.has(o))).toEqual([]);
  });

  it('keeps spaces and everything up to the next caret in values', () => {
    expect(parseCondition('short_descriptionLIKE outage')).toEqual({
      field: 'short_description',
      operator: 'LIKE',
      value: ' outage',
    });
    expect(parseCondition('sys_updated_on>=2024-05-01 10:00:00').value).toBe('2024-05-01 10:00:00');
  });

  it('treats an unknown operator token as part of the field name', () => {
    expect(parseCondition('stateFOO=1')).toEqual({ field: 'stateFOO', operator: '=', value: '1' });
    expect(parseCondition('active')).toEqual({ field: 'active', operator: undefined, value: '' });
  });

  it('binds ^OR tighter than ^ and splits ^NQ groups', () => {
    expect(parseEncodedQuery('a=1^b=2^ORc=3^NQd=4^ORe=5^f=6')).toEqual({
      groups: [
        {
          all: [
            { any: [{ field: 'a', operator: '=', value: '1' }] },
            {
              any: [
                { field: 'b', operator: '=', value: '2' },
                { field: 'c', operator: '=', value: '3' },
              ],
            },
          ],
        },
        {
          all: [
            {
              any: [
                { field: 'd', operator: '=', value: '4' },
                { field: 'e', operator: '=', value: '5' },
              ],
            },
            { any: [{ field: 'f', operator: '=', value: '6' }] },
          ],
        },
      ],
      orderBy: [],
    });
  });

  it('collects ORDERBY / ORDERBYDESC keys in order, wherever they appear', () => {
    const parsed = parseEncodedQuery('active=true^ORDERBYsys_updated_on^NQstate=2^ORDERBYDESCsys_id');
    expect(parsed.orderBy).toEqual([
      { field: 'sys_updated_on', descending: false },
      { field: 'sys_id', descending: true },
    ]);
    expect(parsed.groups).toHaveLength(2);
  });

  it('stops at ^EQ and accepts an empty query', () => {
    expect(parseEncodedQuery('active=true^EQ')).toEqual(parseEncodedQuery('active=true'));
    expect(parseEncodedQuery('active=true^EQ^state=2').groups[0]!.all).toHaveLength(1);
    expect(parseEncodedQuery('')).toEqual({ groups: [], orderBy: [] });
  });
});
