/**
 * Bulk export in parallel partitions: 400,000 simulator incidents to CSV
 * with `partitions: 4` against the same job read as one stream, both through the worker path
 * (export-process.ts, engine mode). A partitioned job's stream messages are handled at the same time, as
 * parallel Lambda invocations run them in AWS. Every simulator request waits 20 ms first, a stand-in for
 * a real instance's time per page, which is what parallel streams overlap; on a bare loopback simulator
 * the two CPU cores of this machine would be the limit instead. Runs in A B B A order; rates are totals.
 */
import { overallRate, runExportProcess, runRate, startSimulatorProcess } from '../bulk/children';
import type { ExportReport } from '../bulk/protocol';
import type { BenchCase, BenchResult } from '../types';

const ROWS = 400_000;
const PAGE = 1000;
const LATENCY_MS = 20;
const PARTITIONS = 4;
const FIELDS = [
  'sys_id',
  'number',
  'short_description',
  'state',
  'priority',
  'assigned_to',
  'sys_updated_on',
];

export const benchCase: BenchCase = {
  name: 'bulk: export in 4 partitions vs one stream (20 ms per request)',
  async run(): Promise<BenchResult> {
    const sim = await startSimulatorProcess({ seed: 9, incidents: ROWS, costDelayMicrosPerUnit: 1 });
    const one: ExportReport[] = [];
    const four: ExportReport[] = [];
    try {
      await sim.setFaults({ latencyMs: LATENCY_MS });
      const exportWith = (partitions?: number) =>
        runExportProcess({
          url: sim.url,
          mode: 'engine',
          expectedRows: ROWS,
          fields: FIELDS,
          pageSize: PAGE,
          ...(partitions === undefined ? {} : { partitions }),
        });
      one.push(await exportWith());
      four.push(await exportWith(PARTITIONS));
      four.push(await exportWith(PARTITIONS));
      one.push(await exportWith());
    } finally {
      await sim.close();
    }
    return {
      figures: {
        rows: ROWS,
        'page size': PAGE,
        'injected latency per request (ms)': LATENCY_MS,
        '1 stream rows/s per run': one.map((r) => runRate(r).toFixed(0)).join(', '),
        [`${PARTITIONS} partitions rows/s per run`]: four.map((r) => runRate(r).toFixed(0)).join(', '),
        'streams planned (asked for 4)': four.map((r) => r.streams ?? 1).join(', '),
        'queue messages per run (1 stream; partitioned)': `${one[0]?.steps ?? 0}; ${four[0]?.steps ?? 0}`,
        'peak RSS MB (1 stream; partitioned)': `${((one[0]?.maxRssKb ?? 0) / 1024).toFixed(0)}; ${((four[0]?.maxRssKb ?? 0) / 1024).toFixed(0)}`,
      },
      subject: { label: `export rows/s, ${PARTITIONS} partitions`, value: overallRate(four), unit: 'rows/s' },
      baseline: { label: 'export rows/s, one stream', value: overallRate(one), unit: 'rows/s' },
      direction: 'higher-is-better',
    };
  },
};
