/**
 * Work queues: SQS in AWS, an in-process queue locally. Producers only send; in AWS the consumer is a
 * Lambda event source mapping, locally `LocalQueue.subscribe` plays that part with the same contract.
 */
export interface OutgoingMessage {
  /** Unique within one sendBatch call: letters, digits, `-`, `_`, at most 80 (SQS batch entry id). */
  id: string;
  body: string;
  /** 0-900 (SQS limit). */
  delaySeconds?: number;
  attributes?: Record<string, string>;
}

export interface SendFailure {
  id: string;
  code: string;
  message: string;
}

export interface QueueProducer {
  /**
   * Send any number of messages. Never throws for per-message problems: each message that was not
   * accepted is listed in `failed` so the caller can retry just those.
   */
  sendBatch(messages: OutgoingMessage[]): Promise<{ failed: SendFailure[] }>;
}

/**
 * Shaped like an SQS event record (aws-lambda `SQSRecord`) so a Lambda SQS handler runs unchanged in
 * local mode. Declared here because shared/ does not depend on Lambda types.
 */
export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
  };
  messageAttributes: Record<string, { stringValue?: string; dataType: string }>;
  md5OfBody: string;
  eventSource: string;
  eventSourceARN: string;
  awsRegion: string;
}

export interface QueueEvent {
  Records: QueueRecord[];
}

/** Lambda's partial batch response: listed messages are retried, the rest are deleted. */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

// A void return means "all succeeded", as with Lambda.
export type QueueHandler = (event: QueueEvent) => Promise<BatchResponse | undefined> | Promise<void>;

const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** Caller mistakes (as opposed to per-message delivery failures) throw, like SQS rejects the request. */
export function assertValidOutgoing(messages: OutgoingMessage[]): void {
  const seen = new Set<string>();
  for (const message of messages) {
    if (!BATCH_ENTRY_ID.test(message.id)) {
      throw new TypeError('Message ids must be 1-80 letters, digits, "-" or "_"');
    }
    if (seen.has(message.id)) throw new TypeError(`Duplicate message id ${message.id} in one batch`);
    seen.add(message.id);
    const delay = message.delaySeconds ?? 0;
    if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
      throw new TypeError('delaySeconds must be an integer from 0 to 900');
    }
  }
}

/** SQS counts the body plus attribute names, types and values towards the message size. */
export function messageSize(message: OutgoingMessage): number {
  let size = Buffer.byteLength(message.body);
  for (const [name, value] of Object.entries(message.attributes ?? {})) {
    size += Buffer.byteLength(name) + Buffer.byteLength('String') + Buffer.byteLength(value);
  }
  return size;
}
