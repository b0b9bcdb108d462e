import type { MetricDefinition } from './catalog';

/** What a data point may say about where it comes from (kept out of the metric's dimensions). */
export interface MetricScope {
  /** The element instance the value belongs to. */
  instanceId?: number;
}

/**
 * Where metric data points go: CloudWatch through EMF log lines in AWS (aws.ts), in-memory counters in
 * local mode and tests (local.ts). Adding never throws and never waits: metrics must not fail the work
 * they describe.
 */
export interface MetricsSink {
  add(metric: MetricDefinition, value: number, scope?: MetricScope): void;
}
