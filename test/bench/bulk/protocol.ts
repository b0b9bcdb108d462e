/** Messages between the bulk benchmark cases and their child processes (IPC channel of `fork`). */

export interface SimulatorProcessOptions {
  seed: number;
  incidents: number;
  /** Simulator cost model: artificial delay per database work unit, in microseconds. */
  costDelayMicrosPerUnit?: number;
  /** Requests the simulator serves at once, the rest wait (default: no limit). */
  maxConcurrentRequests?: number;
}

export type SimulatorRequest =
  | {
      type: 'faults';
      /** Added to every request (network round trip stand-in). */
      latencyMs?: number;
      rateLimit?: { probability: number; retryAfterSeconds: number };
    }
  | { type: 'stats'; table: string }
  | { type: 'close' };

export type SimulatorReply =
  | { type: 'ready'; url: string; seedMs: number }
  | { type: 'ok' }
  | { type: 'stats'; rows: number; rateLimited: number };

export type ExportMode = 'engine' | 'raw';

export interface ExportProcessOptions {
  url: string;
  mode: ExportMode;
  /** Rows the table holds; the child fails when it exports a different number. */
  expectedRows: number;
  fields: readonly string[];
  pageSize: number;
  /** Engine: the job's `partitions`. Absent: one stream. */
  partitions?: number;
  /**
   * Engine: queue messages handled at once (the local queue's `concurrency`, as local mode's
   * ELEMENT_LOCAL_BULK_WORKERS sets it). Default: `partitions`, or 1.
   */
  workers?: number;
  /** Requests the ServiceNow client sends at once (the instance's cap; default the client's, 4). */
  serviceNowConcurrency?: number;
  /** Engine: the local blob store's least multipart part size (default S3's 5 MiB). */
  minPartBytes?: number;
}

export interface ExportReport {
  rows: number;
  ms: number;
  /** CPU time (user + system) of the export process during the timed part, in ms. */
  cpuMs: number;
  /** process.resourceUsage().maxRSS of the export process, in kilobytes. */
  maxRssKb: number;
  /** Bytes of the result file (engine) or of the JSON bodies read (raw). */
  bytes: number;
  /** Queue messages handled (engine) or HTTP pages read (raw). */
  steps: number;
  /** Engine: time of the `complete` message (completing the result file's multipart upload). */
  completeMs?: number;
  /** Engine: streams the job ran (its plan may take fewer than `partitions`). */
  streams?: number;
  /** Engine: SHA-256 of the result file, hex. */
  sha256?: string;
  /** process.version of the export process (BENCH_NODE chooses the binary, see children.ts). */
  node: string;
}
