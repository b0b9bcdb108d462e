import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  assertValidOutgoing,
  type BatchResponse,
  messageSize,
  type QueueHandler,
  type QueueProducer,
  type QueueRecord,
  type SendFailure,
} from '../../ports';
import { isNotFound, removeOrphanTemps, writeFileAtomic } from './atomic-file';
import { type Clock, systemClock } from './clock';

/**
 * An in-process stand-in for SQS plus the Lambda event source mapping that drains it:
 * - a received message stays invisible for `visibilityTimeoutMs`, then is delivered again;
 * - after `maxReceiveCount` deliveries a message still not deleted moves to `deadLetterQueue`
 *   (like an SQS redrive policy: it moves on the receive after the last allowed one);
 * - the handler gets `{Records}` shaped like an SQS event and answers like a Lambda with
 *   ReportBatchItemFailures: listed ids are retried, the rest deleted; a throw (or an unknown
 *   itemIdentifier, as Lambda treats it) retries the whole batch.
 * With `persistPath`, messages are saved atomically and reloaded, so queued work survives a restart
 * (in-flight messages come back visible): `sendBatch` resolves only once its messages are on disk
 * (fsync'd file, rename, fsync'd directory), as an SQS send returns only once the message is stored;
 * receives and deletes are saved shortly after (losing one only means a redelivery).
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
  /** Start delivering to `handler` (one batch at a time). */
  subscribe(handler: QueueHandler): void;
  /** Resolve once no message is waiting, delayed or in flight. */
  drain(): Promise<void>;
  /** Stop delivering, wait for the running batch, persist. Messages stay queued. */
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

export function createLocalQueue(options: LocalQueueOptions): LocalQueue {
  const clock = options.clock ?? systemClock;
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
  const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
  const batchSize = options.batchSize ?? 10;
  const arn = `arn:aws:sqs:local:000000000000:${options.name}`;
  // Like an SQS redrive policy, maxReceiveCount needs somewhere to put the messages it gives up on.
  if ((options.maxReceiveCount === undefined) !== (options.deadLetterQueue === undefined)) {
    throw new TypeError('maxReceiveCount and deadLetterQueue go together');
  }
  const messages = new Map<string, StoredMessage>();
  let handler: QueueHandler | undefined;
  let running: Promise<void> | undefined;
  let timer: unknown;
  let timerAt = Number.POSITIVE_INFINITY;
  let closed = false;
  let idleWaiters: (() => void)[] = [];
  let persistTimer: unknown;
  // Group commit: one snapshot write covers every change made before it started.
  let changes = 0;
  let savedChanges = 0;
  let saving: Promise<void> | undefined;

  if (options.persistPath) {
    removeOrphanTemps(options.persistPath);
    try {
      const saved = JSON.parse(readFileSync(options.persistPath, 'utf8')) as StoredMessage[];
      for (const message of saved) {
        // Whatever was in flight died with the previous process: make it visible again. Delays stay.
        if (message.receiptHandle !== undefined) message.visibleAt = clock.now();
        delete message.receiptHandle;
        messages.set(message.messageId, message);
      }
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  const persistSoon = () => {
    changes++;
    if (!options.persistPath || persistTimer !== undefined) return;
    persistTimer = clock.setTimeout(() => {
      persistTimer = undefined;
      // Best effort in the background; close() writes again and reports a failure.
      persist().catch(() => undefined);
    }, 50);
  };
  /** Resolves once every change made before the call is on disk. */
  const persist = async (): Promise<void> => {
    const path = options.persistPath;
    if (!path) return;
    const wanted = changes;
    while (savedChanges < wanted) {
      if (saving) {
        await saving.catch(() => undefined);
        continue;
      }
      const covers = changes;
      const snapshot = JSON.stringify([...messages.values()]);
      saving = writeFileAtomic(path, snapshot).then(
        () => {
          savedChanges = Math.max(savedChanges, covers);
          saving = undefined;
        },
        (error: unknown) => {
          saving = undefined;
          throw error;
        },
      );
      await saving;
    }
  };

  const notifyIfIdle = () => {
    if (messages.size === 0 && !running) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  const wakeAt = (at: number) => {
    if (closed || !handler || at >= timerAt) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timerAt = at;
    timer = clock.setTimeout(
      () => {
        timer = undefined;
        timerAt = Number.POSITIVE_INFINITY;
        pump();
      },
      Math.max(0, at - clock.now()),
    );
  };

  const moveToDeadLetter = async (message: StoredMessage) => {
    messages.delete(message.messageId);
    let moved = false;
    try {
      const result = await options.deadLetterQueue?.sendBatch([
        { id: 'dead', body: message.body, attributes: message.attributes },
      ]);
      moved = result !== undefined && result.failed.length === 0;
    } catch {
      // handled below
    }
    // If the dead-letter queue refuses it, keep the message rather than lose it.
    if (!moved) {
      messages.set(message.messageId, { ...message, visibleAt: clock.now() + visibilityTimeoutMs });
      wakeAt(clock.now() + visibilityTimeoutMs);
    }
  };

  const receive = (): StoredMessage[] => {
    const now = clock.now();
    const batch: StoredMessage[] = [];
    let nextVisible = Number.POSITIVE_INFINITY;
    for (const message of messages.values()) {
      if (message.visibleAt > now) {
        nextVisible = Math.min(nextVisible, message.visibleAt);
        continue;
      }
      if (batch.length === batchSize) break;
      if (options.maxReceiveCount !== undefined && message.receiveCount >= options.maxReceiveCount) {
        void moveToDeadLetter(message);
        continue;
      }
      message.receiveCount++;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + visibilityTimeoutMs;
      message.receiptHandle = randomUUID();
      batch.push(message);
    }
    if (nextVisible !== Number.POSITIVE_INFINITY) wakeAt(nextVisible);
    return batch;
  };

  const toRecord = (message: StoredMessage): QueueRecord => ({
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
    eventSourceARN: arn,
    awsRegion: 'local',
  });

  const settle = (batch: StoredMessage[], handles: Map<string, string | undefined>, response: unknown) => {
    const failures = (response as BatchResponse | undefined)?.batchItemFailures ?? [];
    const ids = new Set(batch.map((m) => m.messageId));
    // Lambda treats a missing or unknown itemIdentifier as a failure of the whole batch.
    if (failures.some((f) => !f.itemIdentifier || !ids.has(f.itemIdentifier))) return;
    const retry = new Set(failures.map((f) => f.itemIdentifier));
    for (const message of batch) {
      const current = messages.get(message.messageId);
      // Delete only if nobody re-received it meanwhile (the receipt handle still matches).
      if (
        !retry.has(message.messageId) &&
        current &&
        current.receiptHandle === handles.get(message.messageId)
      ) {
        messages.delete(message.messageId);
      }
    }
  };

  function pump(): void {
    if (closed || !handler || running) return;
    const batch = receive();
    if (batch.length === 0) {
      notifyIfIdle();
      return;
    }
    persistSoon();
    const current = handler;
    const handles = new Map(batch.map((m) => [m.messageId, m.receiptHandle]));
    running = (async () => {
      try {
        settle(batch, handles, await current({ Records: batch.map(toRecord) }));
      } catch {
        // Whole batch fails: its messages reappear when their visibility timeout ends.
      }
    })().finally(() => {
      running = undefined;
      persistSoon();
      notifyIfIdle();
      queueMicrotask(pump);
    });
  }

  return {
    async sendBatch(outgoing) {
      assertValidOutgoing(outgoing);
      // Sending after close() is a shutdown-ordering bug; failing loudly beats losing the messages.
      if (closed) throw new Error(`Queue ${options.name} is closed`);
      const failed: SendFailure[] = [];
      const accepted: { id: string; stored: StoredMessage }[] = [];
      const now = clock.now();
      for (const message of outgoing) {
        if (messageSize(message) > maxMessageBytes) {
          failed.push({
            id: message.id,
            code: 'InvalidParameterValue',
            message: `Message must be shorter than ${maxMessageBytes} bytes.`,
          });
          continue;
        }
        const stored: StoredMessage = {
          messageId: randomUUID(),
          body: message.body,
          attributes: { ...message.attributes },
          md5OfBody: createHash('md5').update(message.body).digest('hex'),
          receiveCount: 0,
          sentAt: now,
          visibleAt: now + (message.delaySeconds ?? 0) * 1000,
        };
        messages.set(stored.messageId, stored);
        accepted.push({ id: message.id, stored });
      }
      if (accepted.length > 0) {
        changes++;
        try {
          await persist();
        } catch (error) {
          // Not on disk, so not sent: the caller retries these (a poller keeps its checkpoint).
          for (const { id, stored } of accepted) {
            messages.delete(stored.messageId);
            failed.push({
              id,
              code: 'InternalError',
              message: `Could not store the message: ${String(error)}`,
            });
          }
          notifyIfIdle();
          return { failed };
        }
      }
      for (const { stored } of accepted) if (stored.visibleAt > now) wakeAt(stored.visibleAt);
      queueMicrotask(pump);
      return { failed };
    },

    subscribe(next) {
      if (handler) throw new Error(`Queue ${options.name} already has a subscriber`);
      handler = next;
      queueMicrotask(pump);
    },

    drain() {
      if (messages.size === 0 && !running) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },

    async close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      if (persistTimer !== undefined) clock.clearTimeout(persistTimer);
      persistTimer = undefined;
      await running;
      changes++;
      await persist();
    },

    peek() {
      return [...messages.values()].map(({ messageId, body, attributes, receiveCount }) => ({
        messageId,
        body,
        attributes: { ...attributes },
        receiveCount,
      }));
    },

    async take(max = Number.POSITIVE_INFINITY) {
      const taken = [...messages.values()].sort((a, b) => a.sentAt - b.sentAt).slice(0, max);
      for (const message of taken) messages.delete(message.messageId);
      if (taken.length > 0) {
        changes++;
        await persist();
        notifyIfIdle();
      }
      return taken.map(({ messageId, body, attributes, receiveCount }) => ({
        messageId,
        body,
        attributes: { ...attributes },
        receiveCount,
      }));
    },
  };
}
