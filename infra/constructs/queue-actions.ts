import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * SQS actions of the element's queue users (events, bulk), written out instead of `grantSendMessages` /
 * `grantConsumeMessages`, which would add an unused sqs:GetQueueUrl (every URL comes from the
 * environment) and a second kms:Decrypt statement duplicating each construct's own key grant.
 */

/** SendMessageBatch (shared/adapters/aws/queue-producer.ts) is authorized by sqs:SendMessage. */
export const QUEUE_SEND_ACTIONS = ['sqs:SendMessage'] as const;

/**
 * What an event source mapping polls with (Receive, Delete, GetQueueAttributes), plus the
 * ChangeMessageVisibility of the functions' backoff (functions/runtime/sqs.ts).
 */
export const QUEUE_CONSUME_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ChangeMessageVisibility',
] as const;

/**
 * An alarm as soon as one message reaches `deadLetterQueue`: every message there is work that failed every
 * retry. Messages still waiting count (visible), and so do messages a dead-letter consumer took at once
 * (received), which a visible count sampled once a minute could miss. An idle DLQ publishes no data
 * points, hence the FILL and NOT_BREACHING.
 */
export const deadLetterAlarm = (
  scope: Construct,
  deadLetterQueue: sqs.IQueue,
  alarmDescription: string,
): cloudwatch.Alarm =>
  new cloudwatch.Alarm(scope, 'DeadLetterAlarm', {
    alarmDescription,
    metric: new cloudwatch.MathExpression({
      label: 'Dead letters (visible + received)',
      expression: 'FILL(visible, 0) + FILL(received, 0)',
      period: Duration.minutes(1),
      usingMetrics: {
        visible: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        received: deadLetterQueue.metricNumberOfMessagesReceived({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.SUM,
        }),
      },
    }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
