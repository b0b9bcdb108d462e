/**
 * What the SQS-driven functions (events dispatcher, bulk worker) share: backing off a failed message
 * through ChangeMessageVisibility, and taking a queue and its dead-letter queue as two event sources.
 */
import type { BatchResponse, QueueEvent, QueueRecord } from '../../shared/ports';

type QueueHandler = (event: QueueEvent) => Promise<BatchResponse>;

/**
 * One function, two event sources: records from the dead-letter queue (`deadLetterQueueArn`) go to
 * `deadLetters`, all others to `live`; the partial-batch answer covers both.
 */
export const routeDeadLetters = async (
  records: readonly QueueRecord[],
  deadLetterQueueArn: string | undefined,
  handlers: { live: QueueHandler; deadLetters: QueueHandler },
): Promise<BatchResponse> => {
  const dead = records.filter(
    (record) => deadLetterQueueArn !== undefined && record.eventSourceARN === deadLetterQueueArn,
  );
  const live = records.filter((record) => !dead.includes(record));
  return {
    batchItemFailures: [
      ...(live.length > 0 ? (await handlers.live({ Records: live })).batchItemFailures : []),
      ...(dead.length > 0 ? (await handlers.deadLetters({ Records: dead })).batchItemFailures : []),
    ],
  };
};

/** `arn:aws:sqs:<region>:<account>:<name>` -> `https://sqs.<region>.amazonaws.com/<account>/<name>`. */
export const queueUrlFromArn = (arn: string): string | undefined => {
  const match = /^arn:aws[a-z-]*:sqs:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):([A-Za-z0-9_.-]+)$/.exec(arn);
  if (!match) return undefined;
  const [, region, account, name] = match;
  const domain = region?.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
};

/**
 * Backoff through SQS ChangeMessageVisibility: the failed message comes back after `delaySeconds`
 * instead of the queue's visibility timeout. The SDK is loaded on the first failure only; the queue URL
 * is the configured one or derived from the record's ARN.
 */
export const sqsRetryLater = (queueUrl: string | undefined) => {
  let change: Promise<(url: string, handle: string, seconds: number) => Promise<void>> | undefined;
  return async (record: QueueRecord, delaySeconds: number): Promise<void> => {
    const url = queueUrl ?? queueUrlFromArn(record.eventSourceARN);
    if (url === undefined) return;
    change ??= import('@aws-sdk/client-sqs').then(({ SQSClient, ChangeMessageVisibilityCommand }) => {
      const sqs = new SQSClient({});
      return async (QueueUrl: string, ReceiptHandle: string, VisibilityTimeout: number) => {
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle, VisibilityTimeout }));
      };
    });
    await (await change)(url, record.receiptHandle, delaySeconds);
  };
};
