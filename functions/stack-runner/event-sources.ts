/**
 * What invokes the stack's functions besides the HTTP API: SQS event source mappings (batch size,
 * ReportBatchItemFailures; visibility timeout and maxReceiveCount/redrive are the queue's own, kept by the
 * emulator), EventBridge schedule rules (`rate(...)`, optionally sped up for tests) and S3 event
 * notifications (to a queue or a function).
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { InvokeResult } from './invoker';

export interface QueueMappingSpec {
  id: string;
  functionName: string;
  /** The emulator's own queue URL (the runner's client talks to it directly). */
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  reportBatchItemFailures: boolean;
  /** Concurrent invocations (ScalingConfig.MaximumConcurrency), capped for one machine. */
  concurrency: number;
  region: string;
}

interface SqsMessage {
  MessageId?: string;
  ReceiptHandle?: string;
  Body?: string;
  MD5OfBody?: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: Record<string, { DataType?: string; StringValue?: string; BinaryValue?: Uint8Array }>;
}

/** The `Records` Lambda's SQS poller hands a function. */
export const sqsEventOf = (messages: SqsMessage[], queueArn: string, region: string) => ({
  Records: messages.map((message) => ({
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: message.Attributes ?? {},
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType,
          stringValue: value.StringValue,
          binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  })),
});

/** Which messages of a batch failed, from the function's answer (all of them when it failed or answered garbage). */
export const failedMessageIds = (
  result: InvokeResult,
  messageIds: string[],
  reportBatchItemFailures: boolean,
): Set<string> => {
  if (!result.ok) return new Set(messageIds);
  if (!reportBatchItemFailures) return new Set();
  let answer: unknown;
  try {
    answer = JSON.parse(result.payload);
  } catch {
    return new Set(messageIds);
  }
  const failures = (answer as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return new Set(messageIds);
  const ids = new Set<string>();
  for (const failure of failures as { itemIdentifier?: unknown }[]) {
    // An invalid identifier fails the whole batch, as Lambda does.
    if (typeof failure?.itemIdentifier !== 'string' || !messageIds.includes(failure.itemIdentifier)) {
      return new Set(messageIds);
    }
    ids.add(failure.itemIdentifier);
  }
  return ids;
};

export const startQueueMapping = (
  spec: QueueMappingSpec,
  sqs: SQSClient,
  invoke: (functionName: string, event: unknown) => Promise<InvokeResult>,
  onError: (error: unknown) => void,
) => {
  let stopped = false;
  const pollOnce = async () => {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: spec.queueUrl,
        MaxNumberOfMessages: Math.min(10, spec.batchSize),
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0 || stopped) return;
    const result = await invoke(spec.functionName, sqsEventOf(messages, spec.queueArn, spec.region));
    const ids = messages.map((message) => message.MessageId ?? '');
    const failed = failedMessageIds(result, ids, spec.reportBatchItemFailures);
    const done = messages.filter((message) => !failed.has(message.MessageId ?? ''));
    // Failed messages stay in flight until their visibility timeout ends; the queue's redrive policy
    // moves them to the DLQ after maxReceiveCount receives.
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: spec.queueUrl,
          Entries: done.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
    }
  };
  const loop = async () => {
    while (!stopped) {
      try {
        await pollOnce();
      } catch (error) {
        if (stopped) return;
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  };
  const loops = Array.from({ length: Math.max(1, spec.concurrency) }, () => loop());
  return {
    async stop() {
      stopped = true;
      await Promise.allSettled(loops);
    },
  };
};

/** `rate(5 minutes)` -> 300000; cron expressions are not emulated (undefined). */
export const rateToMs = (expression: string): number | undefined => {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = match[2]!.replace(/s$/, '');
  const factor = unit === 'minute' ? 60_000 : unit === 'hour' ? 3_600_000 : 86_400_000;
  return Number(match[1]) * factor;
};

/** The event EventBridge sends a scheduled rule's Lambda target. */
export const scheduledEvent = (ruleArn: string, region: string, accountId: string) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: accountId,
  time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  region,
  resources: [ruleArn],
  detail: {},
});

export interface NotificationTarget {
  bucket: string;
  /** `s3:ObjectCreated:*` ... */
  events: string[];
  prefix?: string;
  suffix?: string;
  id: string;
  queueUrl?: string;
  functionName?: string;
}

/** Does an `ObjectCreated:Put` on `key` match the configuration's events and key filter? */
export const notificationMatches = (target: NotificationTarget, eventName: string, key: string): boolean =>
  target.events.some((pattern) => {
    const wanted = pattern.replace(/^s3:/, '');
    return wanted.endsWith('*') ? eventName.startsWith(wanted.slice(0, -1)) : wanted === eventName;
  }) &&
  (target.prefix === undefined || key.startsWith(target.prefix)) &&
  (target.suffix === undefined || key.endsWith(target.suffix));

/** An S3 event notification record (keys are URL-encoded with `+` for spaces, as S3 sends them). */
export const s3EventOf = (input: {
  bucket: string;
  key: string;
  eventName: string;
  size: number;
  etag?: string;
  configurationId: string;
  region: string;
}) => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: input.region,
      eventTime: new Date().toISOString(),
      eventName: input.eventName,
      userIdentity: { principalId: 'AWS:STACKRUNNER' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': randomUUID(), 'x-amz-id-2': randomUUID() },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: input.configurationId,
        bucket: {
          name: input.bucket,
          ownerIdentity: { principalId: 'STACKRUNNER' },
          arn: `arn:aws:s3:::${input.bucket}`,
        },
        object: {
          key: encodeURIComponent(input.key).replace(/%20/g, '+').replace(/%2F/g, '/'),
          size: input.size,
          ...(input.etag ? { eTag: input.etag.replace(/"/g, '') } : {}),
          sequencer: Date.now().toString(16).toUpperCase(),
        },
      },
    },
  ],
});

/** The message S3 sends to a destination when a notification configuration is put on a bucket. */
export const s3TestEvent = (bucket: string) => ({
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: new Date().toISOString(),
  Bucket: bucket,
  RequestId: randomUUID(),
  HostId: randomUUID(),
});

export const sendToQueue = (sqs: SQSClient, queueUrl: string, body: unknown) =>
  sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) }));
