import type { MetricDefinition, MetricUnitName } from './catalog';
import type { MetricScope, MetricsSink } from './port';

export interface MetricStats {
  unit: MetricUnitName;
  /** Data points added. */
  samples: number;
  sum: number;
  min: number;
  max: number;
}

export interface MetricsSnapshot {
  /** Every data point, by metric name (what the CloudWatch metric aggregates). */
  metrics: Record<string, MetricStats>;
  /** Instance-scoped data points again, by instance id and metric name. */
  instances: Record<string, Record<string, MetricStats>>;
}

export interface LocalMetrics extends MetricsSink {
  snapshot(): MetricsSnapshot;
  reset(): void;
}

const addTo = (table: Record<string, MetricStats>, metric: MetricDefinition, value: number) => {
  const stats = table[metric.name];
  if (stats === undefined) {
    table[metric.name] = { unit: metric.unit, samples: 1, sum: value, min: value, max: value };
    return;
  }
  stats.samples++;
  stats.sum += value;
  stats.min = Math.min(stats.min, value);
  stats.max = Math.max(stats.max, value);
};

/** In-memory statistics per metric and per instance, since the process started (or the last reset). */
export const createLocalMetrics = (): LocalMetrics => {
  let metrics: Record<string, MetricStats> = {};
  let instances: Record<string, Record<string, MetricStats>> = {};
  return {
    add(metric, value, scope?: MetricScope) {
      if (!Number.isFinite(value)) return;
      addTo(metrics, metric, value);
      if (scope?.instanceId !== undefined) {
        const key = String(scope.instanceId);
        instances[key] ??= {};
        addTo(instances[key], metric, value);
      }
    },
    snapshot: () => structuredClone({ metrics, instances }),
    reset() {
      metrics = {};
      instances = {};
    },
  };
};
