import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  assertValidOutgoing,
  messageSize,
  type OutgoingMessage,
  type QueueProducer,
  type SendFailure,
} from '../../ports';

/** The client the deployed functions use (the Lambda's region and credentials), built once per container. */
export const createDefaultSqsClient = (): SQSClient => new SQSClient({});

/** Makes a received message visible again after `seconds` (a retry later than the queue's own timeout). */
export const changeMessageVisibility = async (
  client: SQSClient,
  queueUrl: string,
  receiptHandle: string,
  seconds: number,
): Promise<void> => {
  await client.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: receiptHandle,
      VisibilityTimeout: seconds,
    }),
  );
};

/**
 * SQS producer. Sends in SendMessageBatch requests of at most 10 entries and `maxBatchBytes` in total
 * (a larger request is rejected as a whole with BatchRequestTooLong, which would turn one big message
 * into ten failures). SQS's per-entry failures, and whole-request errors after the SDK's own retries,
 * come back in `failed` so the caller retries only those messages.
 */
export interface AwsQueueProducerOptions {
  client: SQSClient;
  queueUrl: string;
  /** SQS's request and message size limit (1 MiB since August 2025; older queues may be set lower). */
  maxBatchBytes?: number;
  /** Batch requests in flight at once (default 4). */
  concurrency?: number;
}

export function createAwsQueueProducer(options: AwsQueueProducerOptions): QueueProducer {
  const maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
  const concurrency = options.concurrency ?? 4;

  const sendChunk = async (chunk: OutgoingMessage[]): Promise<SendFailure[]> => {
    const entries: SendMessageBatchRequestEntry[] = chunk.map((m) => ({
      Id: m.id,
      MessageBody: m.body,
      ...(m.delaySeconds !== undefined ? { DelaySeconds: m.delaySeconds } : {}),
      ...(m.attributes
        ? {
            MessageAttributes: Object.fromEntries(
              Object.entries(m.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
            ),
          }
        : {}),
    }));
    try {
      const result = await options.client.send(
        new SendMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: entries }),
      );
      const failed: SendFailure[] = (result.Failed ?? []).map((f) => ({
        id: f.Id ?? '',
        code: f.Code ?? 'Unknown',
        message: f.Message ?? '',
      }));
      const answered = new Set([...(result.Successful ?? []).map((s) => s.Id), ...failed.map((f) => f.id)]);
      for (const m of chunk) {
        if (!answered.has(m.id))
          failed.push({ id: m.id, code: 'NoResult', message: 'SQS did not report this entry' });
      }
      return failed;
    } catch (error) {
      const e = error as Error;
      return chunk.map((m) => ({ id: m.id, code: e.name || 'Error', message: e.message }));
    }
  };

  return {
    async sendBatch(messages) {
      assertValidOutgoing(messages);
      const failed: SendFailure[] = [];
      const chunks: OutgoingMessage[][] = [];
      let current: OutgoingMessage[] = [];
      let currentBytes = 0;
      for (const message of messages) {
        const size = messageSize(message);
        if (size > maxBatchBytes) {
          failed.push({
            id: message.id,
            code: 'MessageTooLong',
            message: `Message exceeds ${maxBatchBytes} bytes`,
          });
          continue;
        }
        if (current.length === 10 || currentBytes + size > maxBatchBytes) {
          chunks.push(current);
          current = [];
          currentBytes = 0;
        }
        current.push(message);
        currentBytes += size;
      }
      if (current.length) chunks.push(current);

      let next = 0;
      const worker = async () => {
        while (next < chunks.length) {
          const chunk = chunks[next++];
          if (chunk) failed.push(...(await sendChunk(chunk)));
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
      return { failed };
    },
  };
}
