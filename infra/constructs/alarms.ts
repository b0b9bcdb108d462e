import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRICS } from '../../shared/metrics/catalog';
import { applicationMetric } from './dashboard';
import type { ElementFunction } from './element-function';

/** What CloudWatch needs on the topic's key to publish an alarm to an SSE-KMS topic (SNS developer guide). */
export const ALARM_TOPIC_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;

/** A function error alarm: any failed invocation in a 5-minute period. */
export const FUNCTION_ERROR_ALARM_SETTINGS = {
  period: Duration.minutes(5),
  threshold: 0,
  evaluationPeriods: 1,
} as const;

/**
 * The poll lag alarm: some instance started a poll more than `maxIntervals` refresh intervals after its
 * previous one (PollLagIntervals, shared/metrics), in any 5-minute period.
 */
export const POLL_LAG_ALARM_SETTINGS = {
  maxIntervals: 2,
  period: Duration.minutes(5),
  evaluationPeriods: 1,
} as const;

/**
 * The API 5xx alarm: more than `percent` of the requests of a 5-minute period answered 5xx, counted only
 * once the period has `minRequests` requests (two failures of three requests at night are not an outage).
 */
export const API_SERVER_ERROR_ALARM_SETTINGS = {
  percent: 5,
  minRequests: 20,
  period: Duration.minutes(5),
  evaluationPeriods: 1,
} as const;

/** A plain e-mail address (what an SNS e-mail subscription accepts); the rest is SNS's to check. */
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export interface AlarmsConstructProps {
  /** The stack key: the topic is encrypted with it. */
  encryptionKey: kms.Key;
  /** Subscribed to the topic when given (SNS sends a confirmation mail first). */
  email?: string;
}

/**
 * Where the stack's alarms go: one SNS topic, encrypted with the stack key and accepting TLS requests
 * only, that every alarm notifies (in ALARM, and OK again, so a receiver sees both edges). Subscribe
 * whatever watches the stack to it (the optional e-mail subscription, a chat bot, a pager).
 *
 * A topic policy replaces SNS's default one, and CloudWatch publishes as its service principal, so the
 * policy allows exactly that for this account's alarms; the key policy lets CloudWatch use the key for
 * the encrypted messages. Without either statement alarm actions fail silently.
 */
export class AlarmsConstruct extends Construct {
  readonly topic: sns.Topic;
  private readonly action: cloudwatchActions.SnsAction;

  constructor(scope: Construct, id: string, props: AlarmsConstructProps) {
    super(scope, id);
    if (props.email !== undefined && !EMAIL_PATTERN.test(props.email)) {
      throw new Error(`The alarm e-mail "${props.email}" is not an e-mail address`);
    }
    const stack = Stack.of(this);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `${stack.stackName} alarms`,
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    const cloudwatchPrincipal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarms',
        principals: [cloudwatchPrincipal],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    props.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsTopic',
        principals: [cloudwatchPrincipal],
        actions: [...ALARM_TOPIC_KEY_ACTIONS],
        resources: ['*'],
      }),
    );
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    this.action = new cloudwatchActions.SnsAction(this.topic);
  }

  /** Sends `alarm`'s state changes (ALARM and back to OK) to the topic. */
  notify(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }

  /**
   * An alarm when some instance's poll lag passes twice its refresh interval: polls are failing to start
   * (poller errors, throttling, too many instances for the poll capacity). Idle stacks publish nothing.
   */
  pollLagAlarm(serviceName: string): cloudwatch.Alarm {
    const settings = POLL_LAG_ALARM_SETTINGS;
    return this.notify(
      new cloudwatch.Alarm(this, 'PollLagAlarm', {
        alarmDescription: `snow-element: an instance was polled more than ${settings.maxIntervals} refresh intervals after its previous poll (README "Operating it")`,
        metric: applicationMetric(METRICS.pollLagIntervals, serviceName, {
          period: settings.period,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: settings.maxIntervals,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: settings.evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** An alarm when the API answers more than API_SERVER_ERROR_ALARM_SETTINGS.percent of requests with 5xx. */
  apiServerErrorAlarm(httpApi: apigw.IHttpApi): cloudwatch.Alarm {
    const settings = API_SERVER_ERROR_ALARM_SETTINGS;
    const options = { period: settings.period, statistic: cloudwatch.Stats.SUM };
    return this.notify(
      new cloudwatch.Alarm(this, 'ApiServerErrorAlarm', {
        alarmDescription: `snow-element: more than ${settings.percent} % of API requests answered 5xx (see the access log and the functions' logs)`,
        metric: new cloudwatch.MathExpression({
          label: 'API 5xx (% of requests)',
          expression: `IF(requests >= ${settings.minRequests}, 100 * FILL(errors, 0) / requests, 0)`,
          period: settings.period,
          usingMetrics: {
            errors: httpApi.metricServerError(options),
            requests: httpApi.metricCount(options),
          },
        }),
        threshold: settings.percent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: settings.evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * An alarm on `fn`'s Errors metric (an uncaught error, a timeout, an out-of-memory exit), notifying the
   * topic. Idle functions publish no data points, hence NOT_BREACHING.
   */
  functionErrorAlarm(id: string, fn: ElementFunction, what: string): cloudwatch.Alarm {
    const settings = FUNCTION_ERROR_ALARM_SETTINGS;
    return this.notify(
      new cloudwatch.Alarm(this, `${id}ErrorsAlarm`, {
        alarmDescription: `snow-element: the ${what} failed (error, timeout or crash; see its log group)`,
        metric: fn.function.metricErrors({ period: settings.period, statistic: cloudwatch.Stats.SUM }),
        threshold: settings.threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: settings.evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
