import { describe, expect, it } from 'vitest';
import { DEMO_DATA, seedData } from '../data/generator';
import { createClock } from '../store/clock';
import { createDatabase } from '../store/database';

function seeded(seed: number) {
  const clock = createClock(new Date('2026-01-01T00:00:00Z'));
  clock.freeze();
  const db = createDatabase({ clock });
  const summary = seedData(db, { seed });
  return { db, summary };
}

describe('seeded data generator', () => {
  it('creates the DEMO_DATA sizes with references that resolve', () => {
    const { db, summary } = seeded(1);
    expect(db.size('incident')).toBe(DEMO_DATA.incidents);
    expect(db.size('problem')).toBe(DEMO_DATA.problems);
    expect(db.size('change_request')).toBe(DEMO_DATA.changes);
    expect(db.size('sys_user')).toBe(DEMO_DATA.users);
    expect(db.size('sys_user_group')).toBe(DEMO_DATA.groups);
    expect(db.size('core_company')).toBe(DEMO_DATA.companies);
    expect(db.size('task')).toBe(DEMO_DATA.incidents + DEMO_DATA.problems + DEMO_DATA.changes);
    expect(db.size('sys_journal_field')).toBe(summary.journalEntries);
    expect(summary.journalEntries).toBeGreaterThan(0);
    const incidents = db.query('incident', { query: 'ORDERBYnumber', limit: 1000, offset: 0 }).rows;
    expect(incidents[0]?.number).toBe('INC0010001');
    for (const inc of incidents) {
      if (inc.caller_id) expect(db.displayValue('incident', inc, 'caller_id')).not.toBe('');
      if (inc.assignment_group) expect(db.displayAt('incident', inc, 'assignment_group')).not.toBe('');
      expect(inc.sys_updated_on! >= inc.sys_created_on!).toBe(true);
      expect(inc.sys_created_on! <= '2026-01-01 00:00:00').toBe(true);
      expect(inc.sys_created_on! >= '2023-12-31 00:00:00').toBe(true);
    }
    const withNotes = db.query('sys_journal_field', { limit: 1, offset: 0 }).rows[0]!;
    const parent = db.get('incident', withNotes.element_id!)!;
    expect(db.displayValue('incident', parent, withNotes.element!)).toContain(withNotes.value!);
    // New inserts continue the number sequence.
    expect(db.insert('incident', {}, { userName: 'admin' }).number).toBe('INC0010201');
  });

  it('is deterministic for a seed and different across seeds', () => {
    const a = seeded(5).db.query('incident', { query: 'ORDERBYnumber', limit: 20, offset: 0 }).rows;
    const b = seeded(5).db.query('incident', { query: 'ORDERBYnumber', limit: 20, offset: 0 }).rows;
    const c = seeded(6).db.query('incident', { query: 'ORDERBYnumber', limit: 20, offset: 0 }).rows;
    expect(a).toEqual(b);
    expect(a.map((r) => r.sys_id)).not.toEqual(c.map((r) => r.sys_id));
  });

  it('makes many records share one second', () => {
    const { db } = seeded(2);
    const rows = db.query('incident', { limit: 1000, offset: 0 }).rows;
    const perSecond = new Map<string, number>();
    for (const r of rows) perSecond.set(r.sys_updated_on!, (perSecond.get(r.sys_updated_on!) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeGreaterThanOrEqual(5);
  });
});
