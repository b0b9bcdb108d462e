/**
 * Application metrics through a small port: `recordMetric(METRICS.x, value, { instanceId })` wherever
 * work happens; the sink installed for the process decides where they go (aws.ts in Lambda, local.ts
 * in local mode and tests). The sink is process-wide, like the logger, so emitting is one line at the
 * place the work is done instead of a dependency threaded through every domain function.
 */
import { METRICS, type MetricDefinition } from './catalog';
import { createLocalMetrics, type LocalMetrics } from './local';
import type { MetricScope, MetricsSink } from './port';

export {
  METRICS,
  METRICS_NAMESPACE,
  type MetricDefinition,
  type MetricKey,
  type MetricUnitName,
} from './catalog';
export { createLocalMetrics, type LocalMetrics, type MetricStats, type MetricsSnapshot } from './local';
export type { MetricScope, MetricsSink } from './port';

/** Local mode's and the tests' sink, until an entry point installs another. */
export const localMetrics: LocalMetrics = createLocalMetrics();
let sink: MetricsSink = localMetrics;

/** Installs the sink every later `recordMetric` writes to (the Lambda entry points install AWS's). */
export const setMetricsSink = (next: MetricsSink): void => {
  sink = next;
};

/** Adds one data point; never throws. */
export const recordMetric = (metric: MetricDefinition, value: number, scope?: MetricScope): void => {
  try {
    sink.add(metric, value, scope);
  } catch {
    // A metric is never worth failing the work it describes.
  }
};

/** The outcome of one ServiceNow exchange, as the HTTP layer sees it. */
export interface ServiceNowExchange {
  /** HTTP status; undefined when no answer came (timeout, refused, reset). */
  status: number | undefined;
  durationMs: number;
}

/** Records ServiceNow requests, 429s, errors and latency of one instance (the client's exchange hook). */
export const serviceNowExchangeRecorder =
  (instanceId: number | undefined) =>
  (exchange: ServiceNowExchange): void => {
    const scope = instanceId === undefined ? undefined : { instanceId };
    recordMetric(METRICS.serviceNowRequests, 1, scope);
    recordMetric(METRICS.serviceNowLatency, exchange.durationMs, scope);
    if (exchange.status === 429) recordMetric(METRICS.serviceNowThrottled, 1, scope);
    if (exchange.status === undefined || exchange.status >= 500)
      recordMetric(METRICS.serviceNowErrors, 1, scope);
  };

export interface InstancePoll {
  instanceId: number;
  /** When this poll started. */
  startedAt: Date;
  /** When the instance was due (ISO): its previous poll's end plus its refresh interval. */
  dueAt: string;
  /** The instance's `event.poller.refresh_interval`. */
  refreshIntervalMinutes: number;
  /** The poll ended with an error on some stream (its checkpoint stayed where it was). */
  failed: boolean;
}

/**
 * Records one scheduled poll: its lag (now minus the moment up to which the previous poll read, i.e.
 * the due time minus the refresh interval), the lag in refresh intervals (what the alarm compares with
 * 2), and whether it failed.
 */
export const recordInstancePoll = (poll: InstancePoll): void => {
  const intervalSeconds = poll.refreshIntervalMinutes * 60;
  const dueAt = Date.parse(poll.dueAt);
  if (Number.isNaN(dueAt)) return;
  const scope = { instanceId: poll.instanceId };
  const lagSeconds = Math.max(0, (poll.startedAt.getTime() - dueAt) / 1000 + intervalSeconds);
  recordMetric(METRICS.pollLag, lagSeconds, scope);
  if (intervalSeconds > 0) recordMetric(METRICS.pollLagIntervals, lagSeconds / intervalSeconds, scope);
  if (poll.failed) recordMetric(METRICS.pollErrors, 1, scope);
};

/** The event log statuses, as the metrics that count them. */
const EVENT_STATUS_METRICS: Readonly<Record<string, MetricDefinition>> = {
  QUEUED: METRICS.eventsQueued,
  DELIVERED: METRICS.eventsDelivered,
  FAILED: METRICS.eventsFailed,
  DEAD: METRICS.eventsDead,
};

/** Counts one event log transition into `status` (QUEUED, DELIVERED, FAILED or DEAD). */
export const recordEventStatus = (status: string, count = 1): void => {
  const metric = EVENT_STATUS_METRICS[status];
  if (metric !== undefined) recordMetric(metric, count);
};

/** Counts the rows a bulk download chunk wrote; returns the chunk's result unchanged. */
export const recordDownloadedRows = <T extends { rows: number }>(chunk: T): T => {
  recordMetric(METRICS.bulkRowsDownloaded, chunk.rows);
  return chunk;
};

/** Counts the rows a bulk upload segment wrote to ServiceNow and the bytes of the file it read. */
export const recordUploadedRows = (rows: number, bytes: number): void => {
  recordMetric(METRICS.bulkRowsUploaded, rows);
  recordMetric(METRICS.bulkBytesUploaded, bytes);
};
