/**
 * Bulk export in parallel partitions: 400,000 simulator incidents to CSV
 * with `partitions: 4` against the same job read as one stream, both through the worker path
 * (export-process.ts, engine mode). A partitioned job's stream messages are handled at the same time, as
 * parallel Lambda invocations run them in AWS. Every simulator request waits 20 ms first, a stand-in for
 * a real instance's time per page, which is what parallel streams overlap; on a bare loopback simulator
 * the two CPU cores of this machine would be the limit instead. Runs in A B B A order; rates are totals.
 */
import { exportBothSides, PARTITION_EXPORT_FIELDS, partitionsResult } from '../bulk/export-sides';
import type { BenchCase, BenchResult } from '../types';

const ROWS = 400_000;
const PAGE = 1000;
const LATENCY_MS = 20;
const PARTITIONS = 4;

export const benchCase: BenchCase = {
  name: 'bulk: export in 4 partitions vs one stream (20 ms per request)',
  async run(): Promise<BenchResult> {
    const oneStream = { mode: 'engine', fields: PARTITION_EXPORT_FIELDS, pageSize: PAGE } as const;
    const { a: one, b: four } = await exportBothSides(
      { seed: 9, incidents: ROWS, costDelayMicrosPerUnit: 1, latencyMs: LATENCY_MS },
      oneStream,
      { ...oneStream, partitions: PARTITIONS },
    );
    return partitionsResult({
      oneStream: one,
      partitioned: four,
      partitions: PARTITIONS,
      figures: {
        rows: ROWS,
        'page size': PAGE,
        'injected latency per request (ms)': LATENCY_MS,
        'streams planned (asked for 4)': four.map((r) => r.streams ?? 1).join(', '),
        'peak RSS MB (1 stream; partitioned)': `${((one[0]?.maxRssKb ?? 0) / 1024).toFixed(0)}; ${((four[0]?.maxRssKb ?? 0) / 1024).toFixed(0)}`,
      },
    });
  },
};
