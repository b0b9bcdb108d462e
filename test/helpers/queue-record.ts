import type { QueueRecord } from '../../shared/ports';

/** An SQS-shaped record as an event source mapping hands it to a function. */
export const queueRecord = (
  messageId: string,
  body: string,
  options: { receiveCount?: number; eventSourceARN?: string } = {},
): QueueRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}-${options.receiveCount ?? 1}`,
  body,
  attributes: {
    ApproximateReceiveCount: String(options.receiveCount ?? 1),
    SentTimestamp: '0',
    SenderId: 'test',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: options.eventSourceARN ?? 'arn:aws:sqs:eu-west-1:123456789012:test',
  awsRegion: 'eu-west-1',
});
