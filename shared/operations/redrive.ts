/**
 * Moves dead letters back to the queue they came from, once the cause of their failures is fixed: SQS
 * queues through the SQS API (receive, send, delete: at-least-once, a message is deleted from the DLQ
 * only after its copy was accepted by the source queue), local mode's queues through their `take`.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LocalQueue } from '../adapters/local/queue';
import type { QueueProducer } from '../ports';

export interface RedriveOptions {
  /** Count what is waiting, move nothing. */
  dryRun?: boolean;
  /** Messages to move at most (default: until the dead-letter queue is empty). */
  max?: number;
}

export interface RedriveResult {
  /** Messages in the dead-letter queue before the move (SQS: approximate, visible ones). */
  waiting: number;
  moved: number;
  /** Messages the source queue refused; they stay in (SQS: return to) the dead-letter queue. */
  failed: number;
  dryRun: boolean;
}

export interface SqsRedriveTarget {
  deadLetterQueueUrl: string;
  sourceQueueUrl: string;
}

/** SQS's batch limit for receive, send and delete. */
const SQS_BATCH = 10;
/** Long enough to send and delete a batch; a message whose send failed is visible again after it. */
const RECEIVE_VISIBILITY_SECONDS = 60;

const stringAttributes = (attributes: Record<string, MessageAttributeValue> | undefined) =>
  Object.fromEntries(
    Object.entries(attributes ?? {}).filter(
      ([, value]) => value.StringValue !== undefined && value.DataType?.startsWith('String') === true,
    ),
  );

export const redriveSqs = async (
  client: SQSClient,
  target: SqsRedriveTarget,
  options: RedriveOptions = {},
): Promise<RedriveResult> => {
  const attributes = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: target.deadLetterQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  const waiting = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
  const result: RedriveResult = { waiting, moved: 0, failed: 0, dryRun: options.dryRun === true };
  if (options.dryRun) return result;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  // Each message is received once: one that failed to send stays invisible until this run is over.
  while (result.moved + result.failed < max) {
    const received = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: target.deadLetterQueueUrl,
        MaxNumberOfMessages: Math.min(SQS_BATCH, max - result.moved - result.failed),
        VisibilityTimeout: RECEIVE_VISIBILITY_SECONDS,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) break;
    const sent = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: target.sourceQueueUrl,
        Entries: messages.map((message, index) => ({
          Id: String(index),
          MessageBody: message.Body ?? '',
          MessageAttributes: stringAttributes(message.MessageAttributes),
        })),
      }),
    );
    const accepted = new Set((sent.Successful ?? []).map((entry) => entry.Id));
    const toDelete = messages.flatMap((message, index) =>
      accepted.has(String(index)) && message.ReceiptHandle !== undefined
        ? [{ Id: String(index), ReceiptHandle: message.ReceiptHandle }]
        : [],
    );
    if (toDelete.length > 0) {
      const deleted = await client.send(
        new DeleteMessageBatchCommand({ QueueUrl: target.deadLetterQueueUrl, Entries: toDelete }),
      );
      // A copy that could not be deleted comes back to the DLQ: moved twice, never lost.
      result.failed += deleted.Failed?.length ?? 0;
      result.moved += deleted.Successful?.length ?? 0;
    }
    result.failed += messages.length - accepted.size;
  }
  return result;
};

/** Local mode: takes the dead letters and sends them to the source queue; refused ones go back. */
export const redriveLocal = async (
  deadLetters: LocalQueue,
  source: QueueProducer,
  options: RedriveOptions = {},
): Promise<RedriveResult> => {
  const waiting = deadLetters.peek().length;
  const result: RedriveResult = { waiting, moved: 0, failed: 0, dryRun: options.dryRun === true };
  if (options.dryRun) return result;
  const taken = await deadLetters.take(options.max);
  if (taken.length === 0) return result;
  const outgoing = taken.map((message) => ({
    id: message.messageId,
    body: message.body,
    attributes: message.attributes,
  }));
  let refused = outgoing;
  try {
    const sent = await source.sendBatch(outgoing);
    const failedIds = new Set(sent.failed.map((failure) => failure.id));
    refused = outgoing.filter((message) => failedIds.has(message.id));
  } catch {
    // Nothing accepted: all go back.
  }
  if (refused.length > 0) await deadLetters.sendBatch(refused);
  result.failed = refused.length;
  result.moved = taken.length - refused.length;
  return result;
};
