/** Messages between the bulk benchmark cases and their child processes (IPC channel of `fork`). */

export interface SimulatorProcessOptions {
  seed: number;
  incidents: number;
  /** Simulator cost model: artificial delay per database work unit, in microseconds. */
  costDelayMicrosPerUnit?: number;
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
  /**
   * Engine: the job's `partitions`; that many queue messages are handled at once, as that many Lambda
   * invocations would run them. Absent: one stream, one message at a time.
   */
  partitions?: number;
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
  /** process.version of the export process (BENCH_NODE chooses the binary, see children.ts). */
  node: string;
}
