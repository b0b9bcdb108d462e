import { describe, expect, it } from 'vitest';
import { API_SERVER_ERROR_ALARM_SETTINGS, POLL_LAG_ALARM_SETTINGS } from '../../infra/constructs';
import { SERVICE_NAME } from '../../infra/stack';
import { METRICS, METRICS_NAMESPACE } from '../../shared/metrics';
import { logicalId, synthesizeForSuite } from './synthesize';

const element = synthesizeForSuite();

const topicRef = () => ({ Ref: logicalId(element.stack, element.stack.alarms.topic) });

const alarmNamed = (construct: { node: { defaultChild?: unknown } }) => {
  const alarms = element.template.findResources('AWS::CloudWatch::Alarm');
  const alarm = alarms[logicalId(element.stack, construct)];
  expect(alarm).toBeDefined();
  return alarm?.Properties as Record<string, unknown>;
};

const childAlarm = (id: string) => {
  const alarm = element.stack.alarms.node.findChild(id);
  return alarmNamed(alarm as never);
};

/** The dashboard body with its tokens left as they are (names of metrics, logical ids of resources). */
const dashboardBody = (): string => {
  const dashboards = Object.values(element.template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  return JSON.stringify(dashboards[0]?.Properties.DashboardBody);
};

describe('operations dashboard', () => {
  it('graphs every application metric, in the element namespace with its service dimension', () => {
    const body = dashboardBody();
    expect(body).toContain(`\\"${METRICS_NAMESPACE}\\"`);
    expect(body).toContain(`\\"service\\",\\"${SERVICE_NAME}\\"`);
    for (const metric of Object.values(METRICS)) expect(body, metric.name).toContain(`\\"${metric.name}\\"`);
  });

  it('graphs errors, throttles and durations of every function, and every queue and DLQ', () => {
    const body = dashboardBody();
    for (const metric of ['Errors', 'Throttles', 'Duration'])
      expect(body).toContain(`\\"AWS/Lambda\\",\\"${metric}\\"`);
    const functions = [
      ...Object.values(element.stack.api.functions),
      element.stack.authorizer.function,
      element.stack.events.poller,
      element.stack.events.dispatcher,
      element.stack.bulk.worker,
    ];
    for (const fn of functions) expect(body).toContain(`"Ref":"${logicalId(element.stack, fn.function)}"`);
    for (const queue of [
      element.stack.events.queue,
      element.stack.events.deadLetterQueue,
      element.stack.bulk.queue,
      element.stack.bulk.deadLetterQueue,
    ]) {
      expect(body).toContain(`"${logicalId(element.stack, queue)}","QueueName"`);
    }
    for (const metric of ['Count', '5xx', '4xx', 'Latency', 'IntegrationLatency']) {
      expect(body).toContain(`\\"AWS/ApiGateway\\",\\"${metric}\\"`);
    }
  });
});

describe('operations alarms', () => {
  it('fires when an instance is polled more than twice its refresh interval after its previous poll', () => {
    expect(childAlarm('PollLagAlarm')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRICS.pollLagIntervals.name,
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: POLL_LAG_ALARM_SETTINGS.maxIntervals,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef()],
      OKActions: [topicRef()],
    });
    expect(POLL_LAG_ALARM_SETTINGS.maxIntervals).toBe(2);
  });

  it('fires on the API 5xx rate, once a period has enough requests to mean something', () => {
    const alarm = childAlarm('ApiServerErrorAlarm');
    const settings = API_SERVER_ERROR_ALARM_SETTINGS;
    expect(alarm).toMatchObject({
      Threshold: settings.percent,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef()],
      OKActions: [topicRef()],
    });
    const metrics = alarm.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: Record<string, unknown>; Stat: string };
    }[];
    expect(metrics.find((m) => m.Expression !== undefined)?.Expression).toBe(
      `IF(requests >= ${settings.minRequests}, 100 * FILL(errors, 0) / requests, 0)`,
    );
    const apiRef = { Ref: logicalId(element.stack, element.stack.api.httpApi) };
    for (const [id, name] of [
      ['errors', '5xx'],
      ['requests', 'Count'],
    ] as const) {
      expect(metrics.find((m) => m.Id === id)?.MetricStat).toEqual({
        Metric: {
          Namespace: 'AWS/ApiGateway',
          MetricName: name,
          Dimensions: [{ Name: 'ApiId', Value: apiRef }],
        },
        Period: 300,
        Stat: 'Sum',
      });
    }
  });

  it('notifies the alarm topic from every alarm of the stack, in ALARM and back to OK', () => {
    const alarms = Object.values(element.template.findResources('AWS::CloudWatch::Alarm'));
    // Three DLQs (events, poll, bulk), four background functions (poller, poll worker, dispatcher, bulk
    // worker), the authorizer, poll lag, API 5xx.
    expect(alarms).toHaveLength(10);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [topicRef()], OKActions: [topicRef()] });
    }
  });

  it('outputs both source queues for npm run redrive', () => {
    element.template.hasOutput('EventsQueueUrl', {
      Value: { Ref: logicalId(element.stack, element.stack.events.queue) },
    });
    element.template.hasOutput('BulkQueueUrl', {
      Value: { Ref: logicalId(element.stack, element.stack.bulk.queue) },
    });
  });
});
