import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS, METRICS_NAMESPACE, type MetricDefinition } from '../../shared/metrics/catalog';
import type { ElementFunction } from './element-function';

/** One of the element's own metrics (EMF, shared/metrics), as every function publishes it. */
export const applicationMetric = (
  metric: MetricDefinition,
  serviceName: string,
  options: { period?: Duration; statistic?: string; label?: string } = {},
): cloudwatch.Metric =>
  new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: metric.name,
    dimensionsMap: { service: serviceName },
    period: options.period ?? Duration.minutes(5),
    statistic: options.statistic ?? cloudwatch.Stats.SUM,
    ...(options.label === undefined ? {} : { label: options.label }),
  });

/** A queue and the DLQ its redrive policy sends failures to. */
export interface QueuePair {
  queue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
}

export interface DashboardConstructProps {
  /** `service` dimension of the application metrics (POWERTOOLS_SERVICE_NAME). */
  serviceName: string;
  httpApi: apigw.IHttpApi;
  /** Every function of the stack, by a readable name. */
  functions: Readonly<Record<string, ElementFunction>>;
  /** Every queue pair, by a readable name. */
  queues: Readonly<Record<string, QueuePair>>;
  /** The alarms, shown as their state at the top. */
  alarms: readonly cloudwatch.IAlarm[];
  /** The poll lag threshold, drawn on its graph. */
  pollLagAlarmIntervals: number;
}

const WIDTH = 8;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard for the whole element, top to bottom: alarm states; the API (requests,
 * errors, latency); events (queued / delivered / failed / dead, poll lag); ServiceNow (requests, 429s,
 * errors, latency); bulk (rows and bytes); queues (depth, age, DLQs); and every function's errors,
 * throttles and durations. Application metrics come from shared/metrics (namespace SnowElement).
 */
export class DashboardConstruct extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardConstructProps) {
    super(scope, id);
    const app = (metric: MetricDefinition, statistic: string = cloudwatch.Stats.SUM, label?: string) =>
      applicationMetric(metric, props.serviceName, { statistic, ...(label === undefined ? {} : { label }) });
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      extra: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, width: WIDTH, height: HEIGHT, ...extra });
    const functions = Object.entries(props.functions);
    const queues = Object.entries(props.queues);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-operations`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      graph('API requests', [props.httpApi.metricCount({ statistic: cloudwatch.Stats.SUM })]),
      graph('API errors', [
        props.httpApi.metricServerError({ statistic: cloudwatch.Stats.SUM, label: '5xx' }),
        props.httpApi.metricClientError({ statistic: cloudwatch.Stats.SUM, label: '4xx' }),
      ]),
      graph('API latency (ms)', [
        props.httpApi.metricLatency({ statistic: cloudwatch.Stats.p(50), label: 'p50' }),
        props.httpApi.metricLatency({ statistic: cloudwatch.Stats.p(99), label: 'p99' }),
        props.httpApi.metricIntegrationLatency({
          statistic: cloudwatch.Stats.p(99),
          label: 'integration p99',
        }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Events', [
        app(METRICS.eventsQueued),
        app(METRICS.eventsDelivered),
        app(METRICS.eventsFailed),
        app(METRICS.eventsDead),
      ]),
      graph(
        'Poll lag (refresh intervals, worst instance)',
        [
          app(METRICS.pollLagIntervals, cloudwatch.Stats.MAXIMUM, 'max'),
          app(METRICS.pollLagIntervals, cloudwatch.Stats.p(90), 'p90'),
        ],
        {
          leftAnnotations: [
            { value: props.pollLagAlarmIntervals, label: 'alarm', color: cloudwatch.Color.RED },
          ],
        },
      ),
      graph('Polls', [
        app(METRICS.pollLag, cloudwatch.Stats.SAMPLE_COUNT, 'instances polled'),
        app(METRICS.pollErrors, cloudwatch.Stats.SUM, 'polls with errors'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('ServiceNow requests', [
        app(METRICS.serviceNowRequests),
        app(METRICS.serviceNowThrottled, cloudwatch.Stats.SUM, '429'),
        app(METRICS.serviceNowErrors, cloudwatch.Stats.SUM, '5xx / no answer'),
      ]),
      graph('ServiceNow latency (ms)', [
        app(METRICS.serviceNowLatency, cloudwatch.Stats.p(50), 'p50'),
        app(METRICS.serviceNowLatency, cloudwatch.Stats.p(99), 'p99'),
      ]),
      graph(
        'Bulk rows',
        [
          app(METRICS.bulkRowsDownloaded, cloudwatch.Stats.SUM, 'downloaded'),
          app(METRICS.bulkRowsUploaded, cloudwatch.Stats.SUM, 'uploaded'),
        ],
        {
          right: [
            app(METRICS.bulkBytesDownloaded, cloudwatch.Stats.SUM, 'bytes downloaded'),
            app(METRICS.bulkBytesUploaded, cloudwatch.Stats.SUM, 'bytes uploaded'),
          ],
        },
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Queue depth',
        queues.map(([name, pair]) =>
          pair.queue.metricApproximateNumberOfMessagesVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            label: name,
          }),
        ),
      ),
      graph(
        'Oldest message (s)',
        queues.map(([name, pair]) =>
          pair.queue.metricApproximateAgeOfOldestMessage({
            statistic: cloudwatch.Stats.MAXIMUM,
            label: name,
          }),
        ),
      ),
      graph(
        'Dead letters',
        queues.map(([name, pair]) =>
          pair.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            label: `${name} DLQ`,
          }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Lambda errors',
        functions.map(([name, fn]) =>
          fn.function.metricErrors({ statistic: cloudwatch.Stats.SUM, label: name }),
        ),
      ),
      graph(
        'Lambda throttles',
        functions.map(([name, fn]) =>
          fn.function.metricThrottles({ statistic: cloudwatch.Stats.SUM, label: name }),
        ),
      ),
      graph(
        'Lambda duration p99 (ms)',
        functions.map(([name, fn]) =>
          fn.function.metricDuration({ statistic: cloudwatch.Stats.p(99), label: name }),
        ),
      ),
    );
  }
}
