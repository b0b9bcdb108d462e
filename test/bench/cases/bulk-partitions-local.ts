/**
 * Bulk export in local mode: 8 partitions against one stream, both through the local queue drained by
 * 8 workers (local mode's ELEMENT_LOCAL_BULK_WORKERS) and processBulkMessage, against a simulator that
 * serves 8 requests at once and waits a fixed time in each (a stand-in for a real instance's worker
 * threads and time per page), and the client may send it 8 at once (the instance's concurrency cap is
 * set to what it serves). One stream can only keep one request in flight; 8 partitions keep 8.
 * Target: >= 4x the rate of one stream, and the same file byte for byte (the child hashes it; a
 * difference fails the case).
 *
 * Small pages keep the CPU cost of a page (both processes share this machine's cores) well under the
 * request's latency, which is what partitions overlap. The blob store's least part size is lowered to
 * 64 KiB (S3's is 5 MiB) so a table small enough for a quick run still plans 8 streams: a stream must
 * write twice that least part size. Runs in A B B A order; rates are totals over both runs of a side.
 */
import { exportBothSides, PARTITION_EXPORT_FIELDS, partitionsResult } from '../bulk/export-sides';
import type { BenchCase, BenchResult } from '../types';

const ROWS = 24_000;
const PAGE = 100;
const LATENCY_MS = 100;
const PARTITIONS = 8;
const SIMULATOR_SLOTS = 8;
const WORKERS = 8;
const MIN_PART_BYTES = 64 * 1024;

export const benchCase: BenchCase = {
  name: 'bulk: local mode, 8 partitions vs one stream (simulator: 8 at once, 100 ms each)',
  async run(): Promise<BenchResult> {
    const oneStream = {
      mode: 'engine',
      fields: PARTITION_EXPORT_FIELDS,
      pageSize: PAGE,
      workers: WORKERS,
      serviceNowConcurrency: SIMULATOR_SLOTS,
      minPartBytes: MIN_PART_BYTES,
    } as const;
    const { a: one, b: eight } = await exportBothSides(
      {
        seed: 11,
        incidents: ROWS,
        costDelayMicrosPerUnit: 1,
        maxConcurrentRequests: SIMULATOR_SLOTS,
        latencyMs: LATENCY_MS,
      },
      oneStream,
      { ...oneStream, partitions: PARTITIONS },
    );
    const hashes = new Set([...one, ...eight].map((report) => report.sha256));
    if (hashes.size !== 1 || hashes.has(undefined)) {
      throw new Error(`the exports wrote different files: ${[...hashes].join(', ')}`);
    }
    const streams = eight.map((report) => report.streams ?? 1);
    if (streams.some((count) => count !== PARTITIONS)) {
      throw new Error(`planned ${streams.join(', ')} streams instead of ${PARTITIONS}`);
    }
    return partitionsResult({
      oneStream: one,
      partitioned: eight,
      partitions: PARTITIONS,
      figures: {
        rows: ROWS,
        'page size': PAGE,
        'latency per request (ms)': LATENCY_MS,
        'requests the simulator serves at once': SIMULATOR_SLOTS,
        'local queue workers': WORKERS,
        'client requests at once (instance cap)': SIMULATOR_SLOTS,
        'streams planned': streams.join(', '),
        'result file (same for every run)': `${one[0]?.bytes ?? 0} bytes, sha256 ${one[0]?.sha256?.slice(0, 16) ?? ''}…`,
      },
      target: '>= 4',
    });
  },
};
