import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEY_MAX, type Row, SortedIndex } from '../store/sortedIndex';

const key = (r: Row) => `${r[1]}|${r[0]}`;

describe('sorted index', () => {
  it('stays ordered by (column, sys_id) through inserts, bulk appends and removes (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), t: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('append' as const), t: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1500, maxLength: 3000 }), (ops) => {
        const index = new SortedIndex(1);
        const model: Row[] = [];
        let n = 0;
        for (const o of ops) {
          if (o.kind === 'remove') {
            if (model.length === 0) continue;
            const [row] = model.splice(o.pick % model.length, 1);
            expect(index.remove(row!)).toBe(true);
          } else {
            const row = [(n++).toString(16).padStart(32, '0'), String(o.t).padStart(2, '0')];
            model.push(row);
            if (o.kind === 'insert') index.insert(row);
            else index.append(row);
          }
        }
        const sorted = [...model].sort((a, b) => (key(a) < key(b) ? -1 : 1));
        expect([...index.rows()]).toEqual(sorted);
        expect(index.size).toBe(model.length);
        // Range [10, 20] by position arithmetic equals a filter of the model.
        const from = index.seek('10', '', false);
        const to = index.seek('20', KEY_MAX, true);
        const inRange = sorted.filter((r) => r[1]! >= '10' && r[1]! <= '20');
        expect(index.rank(to) - index.rank(from)).toBe(inRange.length);
        const forward: Row[] = [];
        index.scan(from, to, false, (r) => forward.push(r) > 0);
        expect(forward).toEqual(inRange);
        const backward: Row[] = [];
        index.scan(from, to, true, (r) => backward.push(r) > 0);
        expect(backward).toEqual([...inRange].reverse());
      }),
      { numRuns: 20 },
    );
  });
});
