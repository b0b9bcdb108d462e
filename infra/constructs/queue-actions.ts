import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { ElementFunction } from './element-function';

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

/** What a capability decides for its queue (its `*_QUEUE_SETTINGS`). */
export interface WorkQueueSettings {
  /** What the queue keeps. */
  retention: Duration;
  /** Receives before a message is parked in the DLQ. */
  maxReceiveCount: number;
  /** What the DLQ keeps. */
  dlqRetention: Duration;
}

export interface WorkQueueProps {
  /** Encrypts both queues. */
  key: kms.IKey;
  settings: WorkQueueSettings;
  visibilityTimeout: Duration;
  /**
   * A function consumes the DLQ too: Lambda then needs a visibility timeout of at least the function's
   * timeout, and the DLQ is retained so parked messages outlive a stack delete.
   */
  deadLettersConsumed: boolean;
  /** What the DLQ alarm tells the operator. */
  alarmDescription: string;
}

/**
 * A queue and its DLQ, both KMS-encrypted and TLS-only, with the alarm of the DLQ (construct ids `Queue`,
 * `DeadLetterQueue` and `DeadLetterAlarm` under `scope`).
 */
export const workQueue = (
  scope: Construct,
  props: WorkQueueProps,
): { queue: sqs.Queue; deadLetterQueue: sqs.Queue; alarm: cloudwatch.Alarm } => {
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    retentionPeriod: props.settings.dlqRetention,
    ...(props.deadLettersConsumed
      ? { removalPolicy: RemovalPolicy.RETAIN, visibilityTimeout: props.visibilityTimeout }
      : {}),
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    retentionPeriod: props.settings.retention,
    visibilityTimeout: props.visibilityTimeout,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.settings.maxReceiveCount },
  });
  const alarm = deadLetterAlarm(scope, deadLetterQueue, props.alarmDescription);
  return { queue, deadLetterQueue, alarm };
};

/** Statement `sid` of `fn`'s role: sqs:SendMessage on `queue`. */
export const allowSend = (fn: ElementFunction, sid: string, queue: sqs.IQueue): void => {
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid, actions: [...QUEUE_SEND_ACTIONS], resources: [queue.queueArn] }),
  );
};

/** Statement `sid` of `fn`'s role: the consume actions on `queue`. */
export const allowConsume = (fn: ElementFunction, sid: string, queue: sqs.IQueue): void => {
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid, actions: [...QUEUE_CONSUME_ACTIONS], resources: [queue.queueArn] }),
  );
};

export interface QueueSource {
  /** Construct id of the event source mapping. */
  id: string;
  queue: sqs.IQueue;
  batchSize: number;
  maxConcurrency?: number;
}

/**
 * Event source mappings feeding `fn` from `sources` with partial batch failures, each created after the
 * role's policy: Lambda checks the queue permissions when it creates a mapping, so grant first.
 */
export const consumeQueues = (fn: ElementFunction, sources: QueueSource[]): lambda.EventSourceMapping[] => {
  const mappings = sources.map((source) =>
    fn.function.addEventSourceMapping(source.id, {
      eventSourceArn: source.queue.queueArn,
      batchSize: source.batchSize,
      reportBatchItemFailures: true,
      ...(source.maxConcurrency === undefined ? {} : { maxConcurrency: source.maxConcurrency }),
    }),
  );
  const policy = fn.role.node.tryFindChild('DefaultPolicy');
  if (policy) for (const mapping of mappings) mapping.node.addDependency(policy);
  return mappings;
};
