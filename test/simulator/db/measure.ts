/**
 * Exploration script (not a test): generation time/memory and query costs on a big table.
 * Run: npx tsx test/simulator/db/measure.ts [incidents=1000000]
 */
import { seedData } from '../data/generator';
import { createClock } from '../store/clock';
import { createDatabase } from '../store/database';

const incidents = Number(process.argv[2] ?? 1_000_000);
const clock = createClock(new Date('2026-01-01T00:00:00Z'));
clock.freeze();
const heapBefore = process.memoryUsage().heapUsed;
let t = performance.now();
const db = createDatabase({ clock });
const summary = seedData(db, {
  seed: 42,
  incidents,
  users: 2000,
  groups: 50,
  companies: 30,
  problems: 5000,
  changes: 5000,
});
const seconds = (performance.now() - t) / 1000;
globalThis.gc?.();
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
console.log(
  `generated ${summary.incidents} incidents + ${summary.journalEntries} journal rows in ${seconds.toFixed(1)} s, heap +${heapMb.toFixed(0)} MB, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
);

const run = (
  label: string,
  query: string,
  extra: { offset?: number; noCount?: boolean; limit?: number } = {},
) => {
  t = performance.now();
  const r = db.query('incident', {
    query,
    limit: extra.limit ?? 1000,
    offset: extra.offset ?? 0,
    noCount: extra.noCount,
  });
  console.log(
    `${label.padEnd(28)} rows=${r.rows.length} total=${r.total} cost=${r.cost} ${(performance.now() - t).toFixed(1)}ms  ${r.plan}`,
  );
  return r;
};
const first = run(
  'keyset first page',
  'sys_updated_on>=2025-06-01 00:00:00^ORDERBYsys_updated_on^ORDERBYsys_id',
  { noCount: true },
);
const last = first.rows[first.rows.length - 1]!;
run(
  'keyset next page',
  `sys_updated_on>=2025-06-01 00:00:00^sys_updated_on>${last.sys_updated_on}^NQsys_updated_on>=2025-06-01 00:00:00^sys_updated_on=${last.sys_updated_on}^sys_id>${last.sys_id}^ORDERBYsys_updated_on^ORDERBYsys_id`,
  { noCount: true },
);
run('sys_id keyset', `sys_id>8000^ORDERBYsys_id`, { noCount: true });
run('offset 500000', 'ORDERBYsys_id', { offset: 500_000, noCount: true });
run('LIKE with count', 'short_descriptionLIKEvpn^ORDERBYsys_id');
run('count only index range', 'sys_created_on>=2025-01-01 00:00:00', { limit: 1 });
run('number lookup', 'number=INC0500000');
t = performance.now();
const page = db.query('incident', { query: 'ORDERBYsys_id', limit: 10_000, offset: 0, noCount: true });
for (const row of page.rows)
  db.update(
    'incident',
    row.sys_id!,
    { state: '2', short_description: 'bulk touched' },
    { userName: 'admin' },
  );
console.log(`10,000 updates in ${(performance.now() - t).toFixed(0)} ms`);
