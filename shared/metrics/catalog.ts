/**
 * Every application metric the element emits, in one place: the emitting code, the CloudWatch
 * dashboard and the alarms name the same entries, so a renamed metric cannot leave a graph empty.
 *
 * Dimensions stay low-cardinality: CloudWatch bills each distinct dimension set as one custom metric,
 * and 10,000 instances as a dimension would be 10,000 metrics per name. Instance-scoped values carry
 * the instance id as an EMF property instead: CloudWatch aggregates them into the service-wide metric,
 * and Logs Insights reads them per instance (README "Operating it").
 */

/** CloudWatch namespace of the element's metrics (EMF `_aws.CloudWatchMetrics[].Namespace`). */
export const METRICS_NAMESPACE = 'SnowElement';

/** The units the element uses (a subset of CloudWatch's, spelled as CloudWatch spells them). */
export type MetricUnitName = 'Count' | 'Seconds' | 'Milliseconds' | 'Bytes' | 'None';

export interface MetricDefinition {
  name: string;
  unit: MetricUnitName;
  description: string;
}

const metric = (name: string, unit: MetricUnitName, description: string): MetricDefinition => ({
  name,
  unit,
  description,
});

export const METRICS = {
  eventsQueued: metric('EventsQueued', 'Count', 'Event messages accepted by the events queue'),
  eventsDelivered: metric('EventsDelivered', 'Count', 'Event messages the callback receiver accepted (2xx)'),
  eventsFailed: metric('EventsFailed', 'Count', 'Delivery attempts that failed and will be retried'),
  eventsDead: metric('EventsDead', 'Count', 'Event messages that failed every retry (DEAD)'),
  pollLag: metric(
    'PollLag',
    'Seconds',
    'Per instance: now minus the time up to which its changes had been read when a poll started',
  ),
  pollLagIntervals: metric(
    'PollLagIntervals',
    'None',
    'Per instance: the poll lag in refresh intervals (1 = on time; the alarm fires above 2)',
  ),
  pollErrors: metric('PollErrors', 'Count', 'Per instance: polls that ended with an error on some stream'),
  bulkRowsDownloaded: metric('BulkRowsDownloaded', 'Count', 'Rows written to bulk download files'),
  bulkBytesDownloaded: metric('BulkBytesDownloaded', 'Bytes', 'Bytes written to bulk download files'),
  bulkRowsUploaded: metric('BulkRowsUploaded', 'Count', 'Rows of bulk uploads written to ServiceNow'),
  bulkBytesUploaded: metric('BulkBytesUploaded', 'Bytes', 'Bytes of bulk upload files read'),
  serviceNowRequests: metric('ServiceNowRequests', 'Count', 'Per instance: HTTP exchanges with ServiceNow'),
  serviceNowThrottled: metric('ServiceNowThrottled', 'Count', 'Per instance: ServiceNow answers 429'),
  serviceNowErrors: metric(
    'ServiceNowErrors',
    'Count',
    'Per instance: ServiceNow answers 5xx, timeouts and connection failures',
  ),
  serviceNowLatency: metric(
    'ServiceNowLatency',
    'Milliseconds',
    'Per instance: one exchange, request to last byte',
  ),
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;
