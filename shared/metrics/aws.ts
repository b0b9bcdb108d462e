import { Metrics, type MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from '../logging';
import { METRICS_NAMESPACE, type MetricDefinition } from './catalog';
import type { MetricScope, MetricsSink } from './port';

export interface AwsMetrics {
  /** What the handlers add to. */
  sink: MetricsSink;
  /** What Powertools' logMetrics middleware flushes at the end of each invocation. */
  metrics: Metrics;
}

/** An invocation that added nothing (a ping, a cached decision) is normal, not worth a warning line. */
const EMPTY_FLUSH_WARNING = 'No application metrics to publish';

/**
 * Powertools Metrics: CloudWatch Embedded Metric Format lines on stdout, which Lambda's log pipeline
 * turns into metrics (no PutMetricData call, no IAM grant, nothing on the request path).
 *
 * Service-wide values are buffered and flushed once per invocation by the logMetrics middleware.
 * Instance-scoped values are written at once, one line each, with the instance id as a property
 * (`instanceId`) rather than a dimension: the metric stays one per name, and the line still says
 * which instance it was for.
 */
export const createAwsMetrics = (options: { serviceName: string; logger?: Logger }): AwsMetrics => {
  const logger = options.logger;
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: options.serviceName,
    ...(logger === undefined
      ? {}
      : {
          logger: {
            debug: (...args: unknown[]) => logger.debug(String(args[0])),
            info: (...args: unknown[]) => logger.info(String(args[0])),
            warn: (...args: unknown[]) => {
              const message = String(args[0]);
              if (!message.startsWith(EMPTY_FLUSH_WARNING)) logger.warn(message);
            },
            error: (...args: unknown[]) => logger.error(String(args[0])),
          },
        }),
  });
  const unitOf = (metric: MetricDefinition) => metric.unit as (typeof MetricUnit)[keyof typeof MetricUnit];
  const sink: MetricsSink = {
    add(metric: MetricDefinition, value: number, scope?: MetricScope) {
      if (!Number.isFinite(value)) return;
      try {
        if (scope?.instanceId === undefined) {
          metrics.addMetric(metric.name, unitOf(metric), value);
          return;
        }
        const single = metrics.singleMetric();
        single.addMetadata('instanceId', String(scope.instanceId));
        single.addMetric(metric.name, unitOf(metric), value);
      } catch (error) {
        logger?.warn('A metric could not be recorded', { metric: metric.name, error });
      }
    },
  };
  return { sink, metrics };
};
