import { beforeEach, describe, expect, it } from 'vitest';
import type { SimDatabaseStore, SimRecord } from '../store/types';
import { admin, freshDatabase, id, numbers } from './helpers';

let db: SimDatabaseStore;
let ctx: ReturnType<typeof admin>;
let don: string;
let beth: string;

function find(query: string, options: { strict?: boolean; table?: string } = {}): string[] {
  const result = db.query(options.table ?? 'incident', {
    query,
    limit: 100,
    offset: 0,
    strict: options.strict,
    userSysId: ctx.userSysId,
  });
  return numbers(result.rows);
}

function incident(n: number, values: SimRecord): void {
  db.insert('incident', { sys_id: id(n), ...values }, ctx);
}

beforeEach(() => {
  db = freshDatabase();
  ctx = admin(db);
  don = db.insert(
    'sys_user',
    { user_name: 'don.goodliffe', name: 'Don Goodliffe', email: 'don@example.com' },
    ctx,
  ).sys_id!;
  beth = db.insert(
    'sys_user',
    { user_name: 'beth.anglin', name: 'Beth Anglin', email: 'beth@example.com' },
    ctx,
  ).sys_id!;
  // INC0010001 .. INC0010005, inserted one second apart from 2024-05-01 10:00:00.
  incident(5, {
    short_description: 'Email server DOWN',
    state: '1',
    priority: '1',
    caller_id: don,
    assigned_to: don,
    reassignment_count: '9',
  });
  db.clock.advance(1000);
  incident(4, {
    short_description: 'VPN slow',
    state: '2',
    priority: '2',
    caller_id: beth,
    assigned_to: don,
    reassignment_count: '10',
  });
  db.clock.advance(1000);
  incident(3, {
    short_description: 'Printer jam',
    state: '6',
    priority: '3',
    caller_id: don,
    active: 'false',
    reassignment_count: '2',
  });
  db.clock.advance(1000);
  incident(2, {
    short_description: 'email quota',
    state: '7',
    priority: '4',
    caller_id: beth,
    assigned_to: beth,
    active: '',
  });
  db.clock.advance(1000);
  incident(1, { short_description: '', state: '8', priority: '5', caller_id: '' });
  db.clock.set(new Date('2024-05-03T12:00:00Z'));
});

describe('encoded query evaluation', () => {
  it('applies ^ as AND, ^OR to its neighbours and ^NQ as OR of groups', () => {
    expect(find('state=1^ORstate=2^priority=2^ORDERBYnumber')).toEqual(['INC0010002']);
    expect(find('state=1^NQstate=6^ORstate=7^ORDERBYnumber')).toEqual([
      'INC0010001',
      'INC0010003',
      'INC0010004',
    ]);
    expect(find('priority=1^state=2^NQpriority=5^ORDERBYnumber')).toEqual(['INC0010005']);
  });

  it('!= also matches empty values, = with no value tests emptiness', () => {
    expect(find('active!=true^ORDERBYnumber')).toEqual(['INC0010003', 'INC0010004']);
    expect(find('assigned_to=^ORDERBYnumber')).toEqual(['INC0010003', 'INC0010005']);
    expect(find('assigned_to!=^ORDERBYnumber')).toEqual(['INC0010001', 'INC0010002', 'INC0010004']);
  });

  it('compares numbers numerically and strings lexically', () => {
    expect(find('reassignment_count>9^ORDERBYnumber')).toEqual(['INC0010002']);
    // Lexical by code unit: 'VPN slow' and 'email quota' sort after 'VPN', 'Printer jam' before it.
    expect(find('short_description>VPN^ORDERBYnumber')).toEqual(['INC0010002', 'INC0010004']);
    expect(find('priority<=2^ORDERBYnumber')).toEqual(['INC0010001', 'INC0010002']);
    expect(find('priorityBETWEEN2@4^ORDERBYnumber')).toEqual(['INC0010002', 'INC0010003', 'INC0010004']);
  });

  it('matches text case-insensitively with LIKE, NOT LIKE, STARTSWITH, ENDSWITH', () => {
    expect(find('short_descriptionLIKEemail^ORDERBYnumber')).toEqual(['INC0010001', 'INC0010004']);
    expect(find('short_descriptionNOT LIKEemail^ORDERBYnumber')).toEqual([
      'INC0010002',
      'INC0010003',
      'INC0010005',
    ]);
    expect(find('short_descriptionNOTLIKEemail^ORDERBYnumber')).toEqual(
      find('short_descriptionNOT LIKEemail^ORDERBYnumber'),
    );
    expect(find('short_descriptionSTARTSWITHEMAIL^ORDERBYnumber')).toEqual(['INC0010001', 'INC0010004']);
    expect(find('numberENDSWITH03')).toEqual(['INC0010003']);
  });

  it('handles IN, NOT IN, ISEMPTY, ISNOTEMPTY, EMPTYSTRING and ANYTHING', () => {
    expect(find('stateIN1,6^ORDERBYnumber')).toEqual(['INC0010001', 'INC0010003']);
    expect(find('stateNOT IN1,6,7,8^ORDERBYnumber')).toEqual(['INC0010002']);
    expect(find('caller_idISEMPTY')).toEqual(['INC0010005']);
    expect(find('short_descriptionEMPTYSTRING')).toEqual(['INC0010005']);
    expect(find('caller_idISNOTEMPTY^ORDERBYnumber')).toHaveLength(4);
    expect(find('short_descriptionANYTHING')).toHaveLength(5);
  });

  it('compares two fields with SAMEAS / NSAMEAS', () => {
    // Two empty values are the same.
    expect(find('caller_idSAMEASassigned_to^ORDERBYnumber')).toEqual([
      'INC0010001',
      'INC0010004',
      'INC0010005',
    ]);
    expect(find('caller_idNSAMEASassigned_to^ORDERBYnumber')).toEqual(['INC0010002', 'INC0010003']);
  });

  it('dot-walks one reference level and matches references by display value with LIKE/STARTSWITH', () => {
    expect(find('caller_id.email=don@example.com^ORDERBYnumber')).toEqual(['INC0010001', 'INC0010003']);
    expect(find('caller_idSTARTSWITHDon^ORDERBYnumber')).toEqual(['INC0010001', 'INC0010003']);
    expect(find('caller_idLIKEanglin^ORDERBYnumber')).toEqual(['INC0010002', 'INC0010004']);
    expect(find(`caller_id=${beth}^ORDERBYnumber`)).toEqual(['INC0010002', 'INC0010004']);
  });

  it('compares date literals, widening date-only values to the whole day', () => {
    expect(find('sys_created_on>=2024-05-01 10:00:02^ORDERBYnumber')).toEqual([
      'INC0010003',
      'INC0010004',
      'INC0010005',
    ]);
    expect(find('sys_created_on<2024-05-01 10:00:01')).toEqual(['INC0010001']);
    expect(find('sys_created_on<=2024-05-01')).toHaveLength(5);
    expect(find('sys_created_on>2024-05-01')).toEqual([]);
    expect(find('sys_created_onBETWEEN2024-05-01 10:00:01@2024-05-01 10:00:03^ORDERBYnumber')).toEqual([
      'INC0010002',
      'INC0010003',
      'INC0010004',
    ]);
  });

  it('evaluates whitelisted javascript: values with the set clock and the querying user', () => {
    expect(find(`caller_id=javascript:gs.getUserID()`)).toEqual([]);
    expect(
      db.query('incident', {
        query: 'caller_id=javascript:gs.getUserID()',
        limit: 10,
        offset: 0,
        userSysId: don,
      }).rows,
    ).toHaveLength(2);
    // Clock is 2024-05-03 12:00:00: the records were opened two days ago.
    expect(
      find('opened_at>=javascript:gs.daysAgoStart(2)^opened_at<=javascript:gs.daysAgoEnd(2)'),
    ).toHaveLength(5);
    expect(find('opened_at>=javascript:gs.daysAgoStart(1)')).toEqual([]);
    expect(find('opened_at>javascript:gs.hoursAgo(51)')).toHaveLength(5);
    expect(find('opened_at>javascript:gs.minutesAgo(60)')).toEqual([]);
    expect(
      find(
        "opened_atBETWEENjavascript:gs.dateGenerate('2024-05-01','10:00:01')@javascript:gs.dateGenerate('2024-05-01','10:00:02')^ORDERBYnumber",
      ),
    ).toEqual(['INC0010002', 'INC0010003']);
    expect(find('opened_atONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()')).toEqual([]);
    db.clock.set(new Date('2024-05-01T23:00:00Z'));
    expect(find('opened_atONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()')).toHaveLength(
      5,
    );
    expect(find('opened_atNOTONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()')).toEqual(
      [],
    );
    expect(find('opened_atONToday')).toHaveLength(5);
    expect(find('opened_at<javascript:gs.daysAgo(1)')).toEqual([]);
  });

  it('ignores unknown fields, operators and scripts by default and returns nothing in strict mode', () => {
    expect(find('nonexistent=1^state=1')).toEqual(['INC0010001']);
    expect(find('stateFOO=1^state=1')).toEqual(['INC0010001']);
    expect(find('opened_at>javascript:gs.eval("x")^state=1')).toEqual(['INC0010001']);
    expect(find('caller_id.nonexistent=1^state=1')).toEqual(['INC0010001']);
    expect(find('nonexistent=1^state=1', { strict: true })).toEqual([]);
    expect(find('state=1', { strict: true })).toEqual(['INC0010001']);
    const result = db.query('incident', { query: 'nonexistent=1', limit: 10, offset: 0 });
    expect(result.ignored).toEqual(['nonexistent=1']);
    expect(result.total).toBe(5);
  });

  it('orders by several keys, descending too, ties broken by sys_id', () => {
    // priority desc, then the tie on caller_id (display value) ordered by sys_id.
    expect(find('ORDERBYDESCpriority')).toEqual([
      'INC0010005',
      'INC0010004',
      'INC0010003',
      'INC0010002',
      'INC0010001',
    ]);
    expect(find('ORDERBYcaller_id^ORDERBYDESCnumber')).toEqual([
      'INC0010005', // empty caller first
      'INC0010004', // Beth Anglin
      'INC0010002',
      'INC0010003', // Don Goodliffe
      'INC0010001',
    ]);
    db.clock.freeze();
    expect(find('ORDERBYsys_updated_on')).toEqual([
      'INC0010001',
      'INC0010002',
      'INC0010003',
      'INC0010004',
      'INC0010005',
    ]);
  });

  it('reads child rows through the parent table and supports INSTANCEOF', () => {
    db.insert('problem', { short_description: 'Email root cause' }, ctx);
    const tasks = db.query('task', {
      query: 'short_descriptionLIKEemail^ORDERBYnumber',
      limit: 10,
      offset: 0,
    });
    expect(tasks.rows.map((r) => [r.number, r.sys_class_name])).toEqual([
      ['INC0010001', 'incident'],
      ['INC0010004', 'incident'],
      ['PRB0010001', 'problem'],
    ]);
    expect(tasks.rows[0]).not.toHaveProperty('caller_id');
    expect(find('sys_class_nameINSTANCEOFtask', { table: 'task' })).toHaveLength(6);
    expect(find('sys_class_name=problem', { table: 'task' })).toEqual(['PRB0010001']);
    expect(find('short_descriptionLIKEroot')).toEqual([]);
  });
});
