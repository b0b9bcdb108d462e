import type { OutgoingMessage, QueueProducer, SendFailure } from '../ports';
import { backoffDelay, mapBounded, sleep } from '../resilience';

/**
 * Sends messages in SendMessageBatch-sized groups (10, the SQS limit) and retries only the entries the
 * queue refused, with exponential backoff and full jitter, a bounded number of times. Never throws for
 * refused messages: the caller decides how far its checkpoint may move from `accepted`.
 */
export interface SendRetryPolicy {
  /** Total attempts per message, including the first. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_SEND_RETRY: SendRetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };
export const SQS_BATCH_SIZE = 10;

export interface SendDeps {
  queue: QueueProducer;
  retry?: SendRetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /**
   * SendMessageBatch calls in flight at once (default 1, which keeps the messages in order). Poll
   * messages, where order does not matter, go out many at a time.
   */
  concurrency?: number;
}

export interface SendOutcome {
  accepted: boolean[];
  /** SendMessageBatch calls made. */
  calls: number;
  lastFailure?: SendFailure;
}

export const sendWithRetry = async (
  deps: SendDeps,
  messages: readonly Omit<OutgoingMessage, 'id'>[],
): Promise<SendOutcome> => {
  const retry = deps.retry ?? DEFAULT_SEND_RETRY;
  const wait = deps.sleep ?? sleep;
  const random = deps.random ?? Math.random;
  const accepted = messages.map(() => false);
  let pending = messages.map((_, index) => index);
  let calls = 0;
  let lastFailure: SendFailure | undefined;
  for (let attempt = 1; pending.length > 0 && attempt <= retry.maxAttempts; attempt++) {
    if (attempt > 1) {
      await wait(backoffDelay(attempt - 2, { baseMs: retry.baseDelayMs, maxMs: retry.maxDelayMs }, random));
    }
    const refused: number[] = [];
    const chunks: number[][] = [];
    for (let start = 0; start < pending.length; start += SQS_BATCH_SIZE) {
      chunks.push(pending.slice(start, start + SQS_BATCH_SIZE));
    }
    await mapBounded(chunks, deps.concurrency ?? 1, async (chunk) => {
      calls++;
      try {
        const { failed } = await deps.queue.sendBatch(
          chunk.map((index) => ({ ...(messages[index] as Omit<OutgoingMessage, 'id'>), id: `m${index}` })),
        );
        const failedIds = new Map(failed.map((failure) => [failure.id, failure]));
        for (const index of chunk) {
          const failure = failedIds.get(`m${index}`);
          if (failure) {
            refused.push(index);
            lastFailure = failure;
          } else accepted[index] = true;
        }
      } catch (error) {
        // A whole-request failure (network, throttling after the SDK's retries): retry the chunk.
        refused.push(...chunk);
        lastFailure = { id: '', code: (error as Error).name || 'Error', message: (error as Error).message };
      }
    });
    // Concurrent chunks finish in any order; retries go out in the original order.
    pending = refused.sort((a, b) => a - b);
  }
  return { accepted, calls, ...(lastFailure === undefined ? {} : { lastFailure }) };
};
