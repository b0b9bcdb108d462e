import type { QueueRecord } from '../../shared/ports';

export interface QueueRecordOptions {
  /** ApproximateReceiveCount; default 1. */
  receiveCount?: number;
  /** SentTimestamp and ApproximateFirstReceiveTimestamp, epoch ms; default 0. */
  sentAt?: number;
  /** String message attributes, as the producer sent them. */
  attributes?: Record<string, string>;
  eventSourceARN?: string;
}

/** An SQS-shaped record as an event source mapping hands it to a function. */
export const queueRecord = (
  messageId: string,
  body: string,
  options: QueueRecordOptions = {},
): QueueRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}-${options.receiveCount ?? 1}`,
  body,
  attributes: {
    ApproximateReceiveCount: String(options.receiveCount ?? 1),
    SentTimestamp: String(options.sentAt ?? 0),
    SenderId: 'test',
    ApproximateFirstReceiveTimestamp: String(options.sentAt ?? 0),
  },
  messageAttributes: Object.fromEntries(
    Object.entries(options.attributes ?? {}).map(([name, value]) => [
      name,
      { stringValue: value, dataType: 'String' },
    ]),
  ),
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: options.eventSourceARN ?? 'arn:aws:sqs:eu-west-1:123456789012:test',
  awsRegion: 'eu-west-1',
});
