import { createHash, randomUUID } from 'node:crypto';
import {
  assertValidOutgoing,
  type BatchResponse,
  messageSize,
  type OutgoingMessage,
  type QueueHandler,
  type QueueProducer,
  type QueueRecord,
  type SendFailure,
} from '../../ports';
import { type Clock, systemClock } from './clock';
import { Journal } from './journal';

/**
 * An in-process stand-in for SQS plus the Lambda event source mapping that drains it:
 * - a received message stays invisible for `visibilityTimeoutMs`, then is delivered again;
 * - after `maxReceiveCount` deliveries a message still not deleted moves to `deadLetterQueue`
 *   (like an SQS redrive policy: it moves on the receive after the last allowed one);
 * - the handler gets `{Records}` shaped like an SQS event and answers like a Lambda with
 *   ReportBatchItemFailures: listed ids are retried, the rest deleted; a throw (or an unknown
 *   itemIdentifier, as Lambda treats it) retries the whole batch;
 * - up to `concurrency` batches are handled at once, as an event source mapping's maxConcurrency
 *   lets that many Lambda invocations run.
 * With `persistPath`, every change is a line of a journal (journal.ts) replayed on start, so queued work
 * survives a restart (in-flight messages come back visible) and a send costs its own bytes however many
 * messages wait: `sendBatch` resolves only once its messages are fsync'd, as an SQS send returns only
 * once the message is stored; receives and deletes are written without waiting (losing one only means
 * a redelivery).
 */
export interface LocalQueueOptions {
  /** Used in the records' eventSourceARN. */
  name: string;
  visibilityTimeoutMs?: number;
  maxReceiveCount?: number;
  deadLetterQueue?: QueueProducer;
  /** Per-message limit (SQS MaximumMessageSize; default 1 MiB). */
  maxMessageBytes?: number;
  /** Records per handler call (default 10). */
  batchSize?: number;
  /** Handler calls running at once (default 1). */
  concurrency?: number;
  persistPath?: string;
  clock?: Clock;
}

export interface QueuedMessage {
  messageId: string;
  body: string;
  attributes: Record<string, string>;
  receiveCount: number;
}

export interface LocalQueue extends QueueProducer {
  /** Start delivering to `handler` (up to `concurrency` batches at a time). */
  subscribe(handler: QueueHandler): void;
  /** Resolve once no message is waiting, delayed or in flight. */
  drain(): Promise<void>;
  /** Stop delivering, wait for the running batches, persist. Messages stay queued. */
  close(): Promise<void>;
  /** A snapshot of the queued messages (e.g. to inspect a dead-letter queue). */
  peek(): QueuedMessage[];
  /**
   * Removes up to `max` messages, oldest first, and resolves with them once the removal is on disk (a
   * redrive moves dead letters back to their source queue this way). A message its subscriber is
   * handling right now is taken too; the subscriber's answer about it is then ignored.
   */
  take(max?: number): Promise<QueuedMessage[]>;
}

interface StoredMessage extends QueuedMessage {
  md5OfBody: string;
  sentAt: number;
  visibleAt: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
}

/** What a delivery changes in a message (written on each receive, and when a dead letter is kept). */
type DeliveryState = Pick<
  StoredMessage,
  'messageId' | 'receiveCount' | 'visibleAt' | 'firstReceivedAt' | 'receiptHandle'
>;

/** A line of a persisted queue's journal. */
type QueueLine = { put: StoredMessage } | { state: DeliveryState } | { del: string };

const deliveryState = (message: StoredMessage): DeliveryState => ({
  messageId: message.messageId,
  receiveCount: message.receiveCount,
  visibleAt: message.visibleAt,
  ...(message.firstReceivedAt === undefined ? {} : { firstReceivedAt: message.firstReceivedAt }),
  ...(message.receiptHandle === undefined ? {} : { receiptHandle: message.receiptHandle }),
});

/**
 * The messages an earlier process left: its journal replayed (or the single JSON array earlier versions
 * saved). Whatever was in flight died with that process, so it is visible again now; delays stay.
 */
const replay = (lines: unknown[], now: number): Map<string, StoredMessage> => {
  const messages = new Map<string, StoredMessage>();
  for (const value of lines) {
    if (Array.isArray(value)) {
      for (const message of value as StoredMessage[]) messages.set(message.messageId, message);
      continue;
    }
    const line = value as QueueLine;
    if ('put' in line) messages.set(line.put.messageId, line.put);
    else if ('del' in line) messages.delete(line.del);
    else {
      const message = messages.get(line.state.messageId);
      if (message) {
        delete message.firstReceivedAt;
        delete message.receiptHandle;
        Object.assign(message, line.state);
      }
    }
  }
  for (const message of messages.values()) {
    if (message.receiptHandle !== undefined) message.visibleAt = now;
    delete message.receiptHandle;
  }
  return messages;
};

class LocalSqsQueue implements LocalQueue {
  private readonly clock: Clock;
  private readonly visibilityTimeoutMs: number;
  private readonly maxMessageBytes: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly arn: string;
  private readonly messages = new Map<string, StoredMessage>();
  private readonly running = new Set<Promise<void>>();
  private readonly journal: Journal<QueueLine> | undefined;
  private handler: QueueHandler | undefined;
  private timer: unknown;
  private timerAt = Number.POSITIVE_INFINITY;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: LocalQueueOptions) {
    this.clock = options.clock ?? systemClock;
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
    this.maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
    this.batchSize = options.batchSize ?? 10;
    this.concurrency = options.concurrency ?? 1;
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1) {
      throw new TypeError('concurrency must be a positive integer');
    }
    this.arn = `arn:aws:sqs:local:000000000000:${options.name}`;
    // Like an SQS redrive policy, maxReceiveCount needs somewhere to put the messages it gives up on.
    if ((options.maxReceiveCount === undefined) !== (options.deadLetterQueue === undefined)) {
      throw new TypeError('maxReceiveCount and deadLetterQueue go together');
    }
    if (options.persistPath) {
      this.journal = new Journal<QueueLine>({
        path: options.persistPath,
        liveEntries: () => [...this.messages.values()].map((message) => ({ put: message })),
        liveCount: () => this.messages.size,
      });
      for (const [id, message] of replay(this.journal.read(), this.clock.now()))
        this.messages.set(id, message);
    }
  }

  /** Writes a line without waiting: losing it in a crash only means a redelivery. */
  private record(line: QueueLine): void {
    this.journal?.append(line).catch(() => undefined);
  }

  async sendBatch(outgoing: OutgoingMessage[]): Promise<{ failed: SendFailure[] }> {
    assertValidOutgoing(outgoing);
    // Sending after close() is a shutdown-ordering bug; failing loudly beats losing the messages.
    if (this.closed) throw new Error(`Queue ${this.options.name} is closed`);
    const failed: SendFailure[] = [];
    const accepted: { id: string; stored: StoredMessage }[] = [];
    const now = this.clock.now();
    for (const message of outgoing) {
      if (messageSize(message) > this.maxMessageBytes) {
        failed.push({
          id: message.id,
          code: 'InvalidParameterValue',
          message: `Message must be shorter than ${this.maxMessageBytes} bytes.`,
        });
        continue;
      }
      const stored = this.store(message, now);
      accepted.push({ id: message.id, stored });
    }
    if (accepted.length > 0 && this.journal) {
      try {
        const journal = this.journal;
        await Promise.all(accepted.map(({ stored }) => journal.append({ put: { ...stored } })));
      } catch (error) {
        // Not on disk, so not sent: the caller retries these (a poller keeps its checkpoint).
        for (const { id, stored } of accepted) {
          this.messages.delete(stored.messageId);
          failed.push({
            id,
            code: 'InternalError',
            message: `Could not store the message: ${String(error)}`,
          });
        }
        this.notifyIfIdle();
        return { failed };
      }
    }
    for (const { stored } of accepted) if (stored.visibleAt > now) this.wakeAt(stored.visibleAt);
    queueMicrotask(() => this.pump());
    return { failed };
  }

  subscribe(handler: QueueHandler): void {
    if (this.handler) throw new Error(`Queue ${this.options.name} already has a subscriber`);
    this.handler = handler;
    queueMicrotask(() => this.pump());
  }

  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    await Promise.all(this.running);
    await this.journal?.close();
  }

  peek(): QueuedMessage[] {
    return [...this.messages.values()].map(({ messageId, body, attributes, receiveCount }) => ({
      messageId,
      body,
      attributes: { ...attributes },
      receiveCount,
    }));
  }

  async take(max = Number.POSITIVE_INFINITY): Promise<QueuedMessage[]> {
    const taken = [...this.messages.values()].sort((a, b) => a.sentAt - b.sentAt).slice(0, max);
    for (const message of taken) this.messages.delete(message.messageId);
    if (taken.length > 0) {
      const journal = this.journal;
      if (journal) await Promise.all(taken.map((message) => journal.append({ del: message.messageId })));
      this.notifyIfIdle();
    }
    return taken.map(({ messageId, body, attributes, receiveCount }) => ({
      messageId,
      body,
      attributes: { ...attributes },
      receiveCount,
    }));
  }

  private store(message: OutgoingMessage, now: number): StoredMessage {
    const stored: StoredMessage = {
      messageId: randomUUID(),
      body: message.body,
      attributes: { ...message.attributes },
      md5OfBody: createHash('md5').update(message.body).digest('hex'),
      receiveCount: 0,
      sentAt: now,
      visibleAt: now + (message.delaySeconds ?? 0) * 1000,
    };
    this.messages.set(stored.messageId, stored);
    return stored;
  }

  /** Starts handler calls while a worker is free and a message is visible. */
  private pump(): void {
    while (!this.closed && this.handler && this.running.size < this.concurrency) {
      const batch = this.receive();
      if (batch.length === 0) break;
      for (const message of batch) this.record({ state: deliveryState(message) });
      const delivery = this.deliver(this.handler, batch).finally(() => {
        this.running.delete(delivery);
        this.notifyIfIdle();
        queueMicrotask(() => this.pump());
      });
      this.running.add(delivery);
    }
    this.notifyIfIdle();
  }

  /** Makes up to `batchSize` visible messages invisible for the visibility timeout and returns them. */
  private receive(): StoredMessage[] {
    const now = this.clock.now();
    const batch: StoredMessage[] = [];
    let nextVisible = Number.POSITIVE_INFINITY;
    for (const message of this.messages.values()) {
      if (message.visibleAt > now) {
        nextVisible = Math.min(nextVisible, message.visibleAt);
        continue;
      }
      if (batch.length === this.batchSize) break;
      const max = this.options.maxReceiveCount;
      if (max !== undefined && message.receiveCount >= max) {
        void this.moveToDeadLetter(message);
        continue;
      }
      message.receiveCount++;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + this.visibilityTimeoutMs;
      message.receiptHandle = randomUUID();
      batch.push(message);
    }
    if (nextVisible !== Number.POSITIVE_INFINITY) this.wakeAt(nextVisible);
    return batch;
  }

  private async deliver(handler: QueueHandler, batch: StoredMessage[]): Promise<void> {
    const handles = new Map(batch.map((m) => [m.messageId, m.receiptHandle]));
    try {
      this.settle(batch, handles, await handler({ Records: batch.map((m) => this.toRecord(m)) }));
    } catch {
      // Whole batch fails: its messages reappear when their visibility timeout ends.
    }
  }

  /** Deletes the batch's messages the handler did not list as failed (Lambda's partial batch response). */
  private settle(batch: StoredMessage[], handles: Map<string, string | undefined>, response: unknown): void {
    const failures = (response as BatchResponse | undefined)?.batchItemFailures ?? [];
    const ids = new Set(batch.map((m) => m.messageId));
    // Lambda treats a missing or unknown itemIdentifier as a failure of the whole batch.
    if (failures.some((f) => !f.itemIdentifier || !ids.has(f.itemIdentifier))) return;
    const retry = new Set(failures.map((f) => f.itemIdentifier));
    for (const message of batch) {
      const current = this.messages.get(message.messageId);
      // Delete only if nobody re-received it meanwhile (the receipt handle still matches).
      if (
        !retry.has(message.messageId) &&
        current &&
        current.receiptHandle === handles.get(message.messageId)
      ) {
        this.messages.delete(message.messageId);
        this.record({ del: message.messageId });
      }
    }
  }

  private async moveToDeadLetter(message: StoredMessage): Promise<void> {
    this.messages.delete(message.messageId);
    this.record({ del: message.messageId });
    let moved = false;
    try {
      const result = await this.options.deadLetterQueue?.sendBatch([
        { id: 'dead', body: message.body, attributes: message.attributes },
      ]);
      moved = result !== undefined && result.failed.length === 0;
    } catch {
      // handled below
    }
    // If the dead-letter queue refuses it, keep the message rather than lose it.
    if (!moved) {
      const kept = { ...message, visibleAt: this.clock.now() + this.visibilityTimeoutMs };
      this.messages.set(kept.messageId, kept);
      this.record({ put: { ...kept } });
      this.wakeAt(kept.visibleAt);
    }
  }

  private toRecord(message: StoredMessage): QueueRecord {
    return {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle ?? '',
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.attributes).map(([k, v]) => [k, { stringValue: v, dataType: 'String' }]),
      ),
      md5OfBody: message.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: 'local',
    };
  }

  /** Pumps again at `at` (a delayed or in-flight message becoming visible), unless a sooner wake is set. */
  private wakeAt(at: number): void {
    if (this.closed || !this.handler || at >= this.timerAt) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  private isIdle(): boolean {
    return this.messages.size === 0 && this.running.size === 0;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

export function createLocalQueue(options: LocalQueueOptions): LocalQueue {
  return new LocalSqsQueue(options);
}
