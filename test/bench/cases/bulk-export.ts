/**
 * Bulk export: 1,000,000 simulator incidents exported to CSV by the real worker path (download
 * job -> chunk messages on a local queue -> processBulkMessage -> runDownloadChunk uploading parts of one
 * multipart upload per job -> completeDownload), against a tight raw keyset loop reading the same pages
 * (same page size, same fields, `sys_id>X^ORDERBYsys_id`, JSON read and discarded). Target: rows/s >= 0.9x.
 * Second result: the export process's peak RSS at 1,000,000 rows vs at 100,000 (target <= 1.2x: the
 * engine streams, so memory must not grow with the table); 300,000 rows are measured too, to show the
 * curve's shape. The Lambda functions run Node 24; on Node 20 (V8 11.3) JSON.parse interns every string
 * value of up to 10 characters, each incident number among them, into the old generation, which grows
 * by ~40 bytes a row until V8 runs a full collection: set BENCH_NODE (children.ts) to measure the
 * runtime the worker runs on.
 *
 * The simulator runs in its own process (test/bench/bulk/simulator-process.ts) and every export in a
 * fresh process of its own (export-process.ts), so each size's peak RSS is the export's alone. The
 * simulator's cost model is on (1 µs per row touched, as in the simulator keyset case) so a page costs
 * what an indexed read would. Both sides run twice in A B B A order and their rates are totals over
 * both runs, so drift on a shared machine hits both alike; each size's RSS is the highest of its runs.
 */
import { overallRate, runExportProcess, runRate, startSimulatorProcess } from '../bulk/children';
import { exportBothSides } from '../bulk/export-sides';
import type { ExportMode, ExportReport } from '../bulk/protocol';
import type { BenchCase, BenchResult } from '../types';

const ROWS = 1_000_000;
const SMALL_ROWS = 100_000;
/** A third size, for the shape of the curve: memory reaches its plateau within a few seconds. */
const MIDDLE_ROWS = 300_000;
const PAGE = 1000;
/** A realistic export: a dozen columns of an incident, references as sys_ids. */
const FIELDS = [
  'sys_id',
  'number',
  'short_description',
  'state',
  'priority',
  'impact',
  'category',
  'caller_id',
  'assigned_to',
  'assignment_group',
  'opened_at',
  'sys_updated_on',
];
const COST_MICROS = 1;

const mb = (kb: number) => kb / 1024;

const exportAll = (url: string, mode: ExportMode, rows: number) =>
  runExportProcess({ url, mode, expectedRows: rows, fields: FIELDS, pageSize: PAGE });

/** Two engine exports of a simulator holding `rows` incidents (for the memory figures). */
const engineRunsAt = async (rows: number): Promise<ExportReport[]> => {
  const sim = await startSimulatorProcess({ seed: 5, incidents: rows, costDelayMicrosPerUnit: COST_MICROS });
  const reports: ExportReport[] = [];
  try {
    for (let run = 0; run < 2; run++) reports.push(await exportAll(sim.url, 'engine', rows));
  } finally {
    await sim.close();
  }
  return reports;
};

export const benchCase: BenchCase = {
  name: 'bulk: export 1M rows vs raw keyset loop',
  async run(): Promise<BenchResult[]> {
    const smallEngine = await engineRunsAt(SMALL_ROWS);
    const middleEngine = await engineRunsAt(MIDDLE_ROWS);

    const {
      a: raw,
      b: engine,
      seedMs,
    } = await exportBothSides(
      { seed: 5, incidents: ROWS, costDelayMicrosPerUnit: COST_MICROS },
      { mode: 'raw', fields: FIELDS, pageSize: PAGE },
      { mode: 'engine', fields: FIELDS, pageSize: PAGE },
    );
    const peakOf = (reports: ExportReport[]) => Math.max(...reports.map((report) => report.maxRssKb));

    const throughput: BenchResult = {
      figures: {
        rows: ROWS,
        'page size': PAGE,
        fields: FIELDS.join(','),
        'simulator seeding ms (1M rows, separate process)': seedMs,
        'engine rows/s per run': engine.map((r) => runRate(r).toFixed(0)).join(', '),
        'raw rows/s per run': raw.map((r) => runRate(r).toFixed(0)).join(', '),
        // The export side's own work per 1,000 rows, whatever else the machine was doing.
        'engine CPU ms per 1k rows': engine.map((r) => ((r.cpuMs / r.rows) * 1000).toFixed(2)).join(', '),
        'raw CPU ms per 1k rows': raw.map((r) => ((r.cpuMs / r.rows) * 1000).toFixed(2)).join(', '),
        'engine complete ms per run (multipart upload completed)': engine
          .map((r) => (r.completeMs ?? 0).toFixed(0))
          .join(', '),
        'engine queue messages per run (chunks + complete)': engine[0]?.steps ?? 0,
        'raw requests per run': raw[0]?.steps ?? 0,
        'CSV file MB': (engine[0]?.bytes ?? 0) / 1e6,
        'raw JSON MB read per run': (raw[0]?.bytes ?? 0) / 1e6,
      },
      subject: {
        label: 'bulk export rows/s (worker path, CSV file)',
        value: overallRate(engine),
        unit: 'rows/s',
      },
      baseline: { label: 'raw keyset loop rows/s (JSON discarded)', value: overallRate(raw), unit: 'rows/s' },
      direction: 'higher-is-better',
      target: '>= 0.9',
    };
    const memory: BenchResult = {
      figures: {
        'node (export processes)': `${engine[0]?.node ?? ''}${
          Number((engine[0]?.node ?? 'v0').slice(1).split('.')[0]) < 22
            ? ' (interns values of up to 10 characters; the Lambda runtime is Node 24, see BENCH_NODE)'
            : ''
        }`,
        'export peak RSS MB at 100k rows (per run)': smallEngine
          .map((r) => mb(r.maxRssKb).toFixed(1))
          .join(', '),
        'export peak RSS MB at 300k rows (per run)': middleEngine
          .map((r) => mb(r.maxRssKb).toFixed(1))
          .join(', '),
        'export peak RSS MB at 1M rows (per run)': engine.map((r) => mb(r.maxRssKb).toFixed(1)).join(', '),
        'raw loop peak RSS MB at 1M rows': mb(peakOf(raw)),
      },
      subject: { label: 'export peak RSS at 1M rows (highest run)', value: mb(peakOf(engine)), unit: 'MB' },
      baseline: {
        label: 'export peak RSS at 100k rows (highest run)',
        value: mb(peakOf(smallEngine)),
        unit: 'MB',
      },
      direction: 'lower-is-better',
      target: '<= 1.2',
    };
    return [throughput, memory];
  },
};
