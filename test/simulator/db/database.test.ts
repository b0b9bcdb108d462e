import { beforeEach, describe, expect, it } from 'vitest';
import { SimDatabaseError } from '../store/errors';
import type { SimDatabaseStore } from '../store/types';
import { admin, freshDatabase, id } from './helpers';

let db: SimDatabaseStore;
let ctx: ReturnType<typeof admin>;

beforeEach(() => {
  db = freshDatabase();
  ctx = admin(db);
});

const all = (table: string, query = '') => db.query(table, { query, limit: 1000, offset: 0 }).rows;

describe('database writes', () => {
  it('fills sys fields, a 32-hex sys_id and the next number on insert', () => {
    const a = db.insert('incident', { short_description: 'First' }, ctx);
    const b = db.insert('incident', { short_description: 'Second' }, ctx);
    expect(a.sys_id).toMatch(/^[0-9a-f]{32}$/);
    expect([a.number, b.number]).toEqual(['INC0010001', 'INC0010002']);
    expect(a).toMatchObject({
      sys_created_on: '2024-05-01 10:00:00',
      sys_created_by: 'admin',
      sys_updated_on: '2024-05-01 10:00:00',
      sys_updated_by: 'admin',
      sys_mod_count: '0',
      sys_class_name: 'incident',
      state: '1',
      active: 'true',
      opened_at: '2024-05-01 10:00:00',
      opened_by: ctx.userSysId,
      closed_at: '',
    });
    expect(db.insert('problem', {}, ctx).number).toBe('PRB0010001');
    expect(db.insert('change_request', {}, ctx).number).toBe('CHG0010001');
  });

  it('accepts a caller sys_id on insert but never other sys_* fields, and ignores unknown fields', () => {
    const rec = db.insert(
      'incident',
      {
        sys_id: id(7),
        sys_created_on: '2000-01-01 00:00:00',
        sys_mod_count: '42',
        bogus: 'x',
        short_description: 'Hi',
      },
      ctx,
    );
    expect(rec.sys_id).toBe(id(7));
    expect(rec.sys_created_on).toBe('2024-05-01 10:00:00');
    expect(rec.sys_mod_count).toBe('0');
    expect(rec).not.toHaveProperty('bogus');
    expect(() => db.insert('incident', { sys_id: id(7) }, ctx)).toThrow(SimDatabaseError);
    expect(() => db.insert('incident', { sys_id: 'NOT-HEX' }, ctx)).toThrow(/Invalid sys_id/);
    expect(() => db.insert('no_such_table', {}, ctx)).toThrow(SimDatabaseError);
  });

  it('drops invalid choice values silently and coerces booleans', () => {
    const rec = db.insert('incident', { state: '42', impact: '1', active: '0' }, ctx);
    expect(rec.state).toBe('1');
    expect(rec.impact).toBe('1');
    expect(rec.active).toBe('false');
    const updated = db.update('incident', rec.sys_id!, { state: '99', urgency: '2' }, ctx);
    expect(updated?.state).toBe('1');
    expect(updated?.urgency).toBe('2');
  });

  it('bumps sys_mod_count and sys_updated_* per update, and skips updates that change nothing', () => {
    const rec = db.insert('incident', { short_description: 'A' }, ctx);
    db.clock.advance(5000);
    const one = db.update('incident', rec.sys_id!, { short_description: 'B' }, { userName: 'beth' });
    expect(one).toMatchObject({
      sys_mod_count: '1',
      sys_updated_on: '2024-05-01 10:00:05',
      sys_updated_by: 'beth',
    });
    expect(one?.sys_created_on).toBe('2024-05-01 10:00:00');
    const same = db.update('incident', rec.sys_id!, { short_description: 'B', sys_mod_count: '0' }, ctx);
    expect(same?.sys_mod_count).toBe('1');
    expect(db.update('incident', rec.sys_id!, { short_description: 'C' }, ctx)?.sys_mod_count).toBe('2');
    expect(db.update('incident', id(999), { short_description: 'C' }, ctx)).toBeUndefined();
  });

  it('keeps the updated-on index in step with updates', () => {
    const rec = db.insert('incident', {}, ctx);
    db.insert('incident', {}, ctx);
    db.clock.advance(60_000);
    db.update('incident', rec.sys_id!, { short_description: 'moved' }, ctx);
    const later = db.query('incident', { query: 'sys_updated_on>2024-05-01 10:00:00', limit: 10, offset: 0 });
    expect(later.rows.map((r) => r.sys_id)).toEqual([rec.sys_id]);
    expect(later.total).toBe(1);
  });

  it('turns comments and work_notes into sys_journal_field rows and shows the history newest first (C.6)', () => {
    const rec = db.insert('incident', { short_description: 'A', comments: 'hello' }, ctx);
    expect(rec.comments).toBe('');
    db.clock.advance(60_000);
    const updated = db.update('incident', rec.sys_id!, { comments: 'second', work_notes: 'internal' }, ctx)!;
    expect(updated.sys_mod_count).toBe('1');
    expect(updated.comments).toBe('');
    const entries = all('sys_journal_field', `element_id=${rec.sys_id}^ORDERBYsys_created_on^ORDERBYelement`);
    expect(entries.map((e) => [e.element, e.name, e.value, e.sys_created_on, e.sys_created_by])).toEqual([
      ['comments', 'incident', 'hello', '2024-05-01 10:00:00', 'admin'],
      ['comments', 'incident', 'second', '2024-05-01 10:01:00', 'admin'],
      ['work_notes', 'incident', 'internal', '2024-05-01 10:01:00', 'admin'],
    ]);
    expect(db.displayValue('incident', updated, 'comments')).toBe(
      '2024-05-01 10:01:00 - System Administrator (Additional comments)\nsecond\n\n' +
        '2024-05-01 10:00:00 - System Administrator (Additional comments)\nhello\n\n',
    );
    expect(db.displayValue('incident', updated, 'work_notes')).toBe(
      '2024-05-01 10:01:00 - System Administrator (Work notes)\ninternal\n\n',
    );
  });

  it('writes a sys_audit_delete row per delete, except for tables that do not audit deletes', () => {
    const rec = db.insert('incident', {}, ctx);
    db.clock.advance(1000);
    expect(db.delete('incident', rec.sys_id!, ctx)).toBe(true);
    expect(db.get('incident', rec.sys_id!)).toBeUndefined();
    expect(db.get('task', rec.sys_id!)).toBeUndefined();
    expect(db.delete('incident', rec.sys_id!, ctx)).toBe(false);
    expect(
      all('sys_audit_delete').map((r) => [r.tablename, r.documentkey, r.display_value, r.sys_created_on]),
    ).toEqual([['incident', rec.sys_id, 'INC0010001', '2024-05-01 10:00:01']]);
    const journal = all('sys_journal_field')[0];
    expect(journal).toBeUndefined();
    db.insert('incident', { comments: 'x' }, ctx);
    const entry = all('sys_journal_field')[0]!;
    db.delete('sys_journal_field', entry.sys_id!, ctx);
    expect(db.size('sys_audit_delete')).toBe(1);
  });

  it('deletes and updates child records through the parent table', () => {
    const rec = db.insert('incident', { short_description: 'via task' }, ctx);
    expect(db.classOf('task', rec.sys_id!)).toBe('incident');
    db.update('task', rec.sys_id!, { short_description: 'changed', caller_id: ctx.userSysId }, ctx);
    expect(db.get('incident', rec.sys_id!)).toMatchObject({ short_description: 'changed', caller_id: '' });
    db.delete('task', rec.sys_id!, ctx);
    expect(all('sys_audit_delete')[0]?.tablename).toBe('incident');
    expect(db.size('incident')).toBe(0);
  });
});

describe('schema and display values', () => {
  it('inherits task fields in incident, parent first, with incident state choices overriding', () => {
    const names = db.fields('incident').map((f) => f.name);
    expect(names.slice(0, 3)).toEqual(['sys_id', 'sys_created_on', 'sys_created_by']);
    expect(names).toContain('caller_id');
    expect(names.indexOf('number')).toBeLessThan(names.indexOf('caller_id'));
    expect(db.fields('task').map((f) => f.name)).not.toContain('caller_id');
    const state = db.fields('incident').find((f) => f.name === 'state');
    expect(state?.choices?.map((c) => c.label)).toEqual([
      'New',
      'In Progress',
      'On Hold',
      'Resolved',
      'Closed',
      'Canceled',
    ]);
  });

  it('gives display values of references and choices, and resolves dot-walked paths', () => {
    const rec = db.insert('incident', { caller_id: ctx.userSysId, state: '2' }, ctx);
    expect(db.displayValue('incident', rec, 'caller_id')).toBe('System Administrator');
    expect(db.displayValue('incident', rec, 'state')).toBe('In Progress');
    expect(db.displayValue('incident', rec, 'short_description')).toBe('');
    expect(db.valueAt('incident', rec, 'caller_id.user_name')).toBe('admin');
    expect(db.displayAt('incident', rec, 'caller_id')).toBe('System Administrator');
    expect(db.valueAt('incident', { ...rec, caller_id: '' }, 'caller_id.user_name')).toBe('');
    expect(db.field('incident', 'caller_id.email')?.type).toBe('email');
    expect(db.field('incident', 'caller_id.nope')).toBeUndefined();
    expect(db.field('incident', 'state.label')).toBeUndefined();
    expect(db.referenceDisplay('sys_user', ctx.userSysId)).toBe('System Administrator');
    expect(db.descendants('task')).toEqual(['task', 'incident', 'problem', 'change_request']);
  });

  it('generates sys_db_object rows with super_class pointing at the parent row', () => {
    const [incident] = all('sys_db_object', 'name=incident');
    const [task] = all('sys_db_object', 'name=task');
    expect(incident?.super_class).toBe(task?.sys_id);
    expect(task?.super_class).toBe('');
    expect(task?.is_extendable).toBe('true');
    expect(all('sys_db_object').map((r) => r.name)).toEqual(
      expect.arrayContaining(db.tables().map((t) => t.name)),
    );
    expect(db.displayAt('sys_db_object', incident!, 'super_class')).toBe('Task');
  });

  it('generates sys_dictionary rows per own column plus the collection row, and sys_choice rows', () => {
    const dictionary = all('sys_dictionary', 'name=incident');
    expect(dictionary.find((r) => r.element === '')).toMatchObject({
      internal_type: 'collection',
      column_label: 'Incident',
    });
    expect(dictionary.find((r) => r.element === 'caller_id')).toMatchObject({
      internal_type: 'reference',
      reference: 'sys_user',
      column_label: 'Caller',
      active: 'true',
    });
    expect(dictionary.find((r) => r.element === 'number')).toBeUndefined();
    expect(all('sys_dictionary', 'name=task^element=number')[0]?.internal_type).toBe('string');
    const choices = all('sys_choice', 'name=incident^element=state^language=en^ORDERBYsequence');
    expect(choices.map((c) => [c.value, c.label, c.inactive])).toEqual([
      ['1', 'New', 'false'],
      ['2', 'In Progress', 'false'],
      ['3', 'On Hold', 'false'],
      ['6', 'Resolved', 'false'],
      ['7', 'Closed', 'false'],
      ['8', 'Canceled', 'false'],
    ]);
  });
});
