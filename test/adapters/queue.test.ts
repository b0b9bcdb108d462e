import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { changeMessageVisibility, createAwsQueueProducer } from '../../shared/adapters/aws';
import { createLocalQueue } from '../../shared/adapters/local';
import type { QueueEvent } from '../../shared/ports';
import { describeQueueContract, MAX_MESSAGE_BYTES, type ReceivedMessage } from './contracts/queue.contract';
import { sqsEmulatorForSuite } from './emulators';
import { ManualClock } from './fakes/manual-clock';
import { makeTempDir } from './temp-dir';

const emulator = sqsEmulatorForSuite();
let queues = 0;

describeQueueContract('SQS adapter on fauxqs', async () => {
  const { QueueUrl } = await emulator.client.send(
    new CreateQueueCommand({
      QueueName: `work-${++queues}`,
      Attributes: { MaximumMessageSize: String(MAX_MESSAGE_BYTES) },
    }),
  );
  const queueUrl = QueueUrl ?? '';
  return {
    producer: createAwsQueueProducer({ client: emulator.client, queueUrl }),
    async receive() {
      const received: ReceivedMessage[] = [];
      for (;;) {
        const { Messages = [] } = await emulator.client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
            WaitTimeSeconds: 0,
          }),
        );
        if (Messages.length === 0) return received;
        for (const m of Messages) {
          received.push({
            body: m.Body ?? '',
            attributes: Object.fromEntries(
              Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
            ),
          });
        }
        await emulator.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
      }
    },
    close: async () => {},
  };
});

describeQueueContract('local in-process queue', async () => {
  const queue = createLocalQueue({ name: 'contract', maxMessageBytes: MAX_MESSAGE_BYTES });
  let inbox: ReceivedMessage[] = [];
  queue.subscribe(async (event) => {
    inbox.push(
      ...event.Records.map((r) => ({
        body: r.body,
        attributes: Object.fromEntries(
          Object.entries(r.messageAttributes).map(([k, v]) => [k, v.stringValue ?? '']),
        ),
      })),
    );
  });
  return {
    producer: queue,
    async receive() {
      await sleep(10);
      const received = inbox;
      inbox = [];
      return received;
    },
    close: () => queue.close(),
  };
});

describe('SQS producer', () => {
  it('returns every message of a request SQS rejects as a whole as failed, without throwing', async () => {
    const producer = createAwsQueueProducer({
      client: emulator.client,
      queueUrl: `${emulator.endpoint}/000000000000/does-not-exist`,
    });
    const { failed } = await producer.sendBatch([
      { id: 'a', body: 'a' },
      { id: 'b', body: 'b' },
    ]);
    expect(failed.map((f) => f.id)).toEqual(['a', 'b']);
    expect(failed[0]?.code).toMatch(/QueueDoesNotExist|NonExistentQueue/);
  });

  it('makes a received message visible again when asked, before the queue would', async () => {
    const { QueueUrl = '' } = await emulator.client.send(
      new CreateQueueCommand({ QueueName: `backoff-${++queues}`, Attributes: { VisibilityTimeout: '300' } }),
    );
    await emulator.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'retry me' }));
    const receive = async () =>
      (
        await emulator.client.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }),
        )
      ).Messages ?? [];
    const [first] = await receive();
    expect(first?.Body).toBe('retry me');
    expect(await receive()).toEqual([]);
    await changeMessageVisibility(emulator.client, QueueUrl, first?.ReceiptHandle ?? '', 0);
    expect((await receive()).map((message) => message.Body)).toEqual(['retry me']);
  });
});

describe('local queue consumer', () => {
  const bodies = (event: QueueEvent) => event.Records.map((r) => r.body);

  it('redelivers a batch whose handler threw exactly when the visibility timeout ends', async () => {
    const clock = new ManualClock();
    const queue = createLocalQueue({ name: 'vt', visibilityTimeoutMs: 30_000, clock });
    const deliveries: { body: string; count: string }[] = [];
    queue.subscribe(async (event) => {
      for (const r of event.Records) {
        deliveries.push({ body: r.body, count: r.attributes.ApproximateReceiveCount });
      }
      if (deliveries.length === 1) throw new Error('handler crashed');
    });
    await queue.sendBatch([{ id: 'a', body: 'job' }]);
    await clock.advance(29_999);
    expect(deliveries).toEqual([{ body: 'job', count: '1' }]);
    await clock.advance(1);
    expect(deliveries).toEqual([
      { body: 'job', count: '1' },
      { body: 'job', count: '2' },
    ]);
    await queue.drain();
    expect(queue.peek()).toEqual([]);
    await queue.close();
  });

  it('retries only the items reported in batchItemFailures', async () => {
    const queue = createLocalQueue({ name: 'partial', visibilityTimeoutMs: 50 });
    const events: string[][] = [];
    queue.subscribe(async (event) => {
      events.push(bodies(event));
      if (events.length > 1) return { batchItemFailures: [] };
      return {
        batchItemFailures: event.Records.filter((r) => r.body === 'b' || r.body === 'd').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    });
    await queue.sendBatch(['a', 'b', 'c', 'd', 'e'].map((body) => ({ id: body, body })));
    await queue.drain();
    expect(events).toEqual([
      ['a', 'b', 'c', 'd', 'e'],
      ['b', 'd'],
    ]);
    await queue.close();
  });

  it('treats an unknown itemIdentifier as a failure of the whole batch, like Lambda', async () => {
    const queue = createLocalQueue({ name: 'unknown-id', visibilityTimeoutMs: 50 });
    const events: string[][] = [];
    queue.subscribe(async (event) => {
      events.push(bodies(event));
      return events.length === 1 ? { batchItemFailures: [{ itemIdentifier: 'nope' }] } : undefined;
    });
    await queue.sendBatch([
      { id: 'a', body: 'a' },
      { id: 'b', body: 'b' },
    ]);
    await queue.drain();
    expect(events).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    await queue.close();
  });

  it('moves a message to the dead-letter queue after maxReceiveCount deliveries', async () => {
    const dlq = createLocalQueue({ name: 'dlq' });
    const queue = createLocalQueue({
      name: 'main',
      visibilityTimeoutMs: 30,
      maxReceiveCount: 3,
      deadLetterQueue: dlq,
    });
    const counts: string[] = [];
    queue.subscribe(async (event) => {
      counts.push(...event.Records.map((r) => r.attributes.ApproximateReceiveCount));
      return {
        batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    });
    await queue.sendBatch([
      { id: 'p', body: 'poison', attributes: { instance: '42' } },
      { id: 'ok', body: 'fine' },
    ]);
    await queue.drain();
    expect(counts).toEqual(['1', '1', '2', '3']);
    expect(queue.peek()).toEqual([]);
    expect(dlq.peek().map((m) => ({ body: m.body, attributes: m.attributes }))).toEqual([
      { body: 'poison', attributes: { instance: '42' } },
    ]);
    await queue.close();
    await dlq.close();
  });

  it('keeps a message the dead-letter queue refuses instead of losing it', async () => {
    const refusing = {
      sendBatch: async (batch: { id: string }[]) => ({
        failed: batch.map((m) => ({ id: m.id, code: 'Full', message: 'no room' })),
      }),
    };
    const queue = createLocalQueue({
      name: 'stuck',
      visibilityTimeoutMs: 20,
      maxReceiveCount: 1,
      deadLetterQueue: refusing,
    });
    let deliveries = 0;
    queue.subscribe(async () => {
      deliveries++;
      throw new Error('always fails');
    });
    await queue.sendBatch([{ id: 'a', body: 'keep me' }]);
    await sleep(120);
    expect(deliveries).toBe(1);
    expect(queue.peek().map((m) => m.body)).toEqual(['keep me']);
    await queue.close();
  });

  it('waits for the running batch on close and refuses new messages afterwards', async () => {
    const queue = createLocalQueue({ name: 'close' });
    let finished = 0;
    let started = 0;
    queue.subscribe(async () => {
      started++;
      await sleep(50);
      finished++;
    });
    await queue.sendBatch([{ id: 'a', body: 'a' }]);
    await sleep(10);
    await queue.close();
    expect(finished).toBe(1);
    await expect(queue.sendBatch([{ id: 'b', body: 'b' }])).rejects.toThrow('closed');
    await sleep(30);
    expect(started).toBe(1);
  });

  it('runs up to `concurrency` batches at once and no more, then drains every message', async () => {
    const queue = createLocalQueue({ name: 'workers', batchSize: 1, concurrency: 3 });
    let active = 0;
    let peak = 0;
    const handled: string[] = [];
    queue.subscribe(async (event) => {
      active++;
      peak = Math.max(peak, active);
      await sleep(20);
      handled.push(...bodies(event));
      active--;
    });
    const sent = Array.from({ length: 10 }, (_, i) => ({ id: `m${i}`, body: `m${i}` }));
    await queue.sendBatch(sent);
    await queue.drain();
    expect(peak).toBe(3);
    expect(handled.sort()).toEqual(sent.map((m) => m.body).sort());
    expect(queue.peek()).toEqual([]);
    await queue.close();
  });

  it('waits for every running batch on close', async () => {
    const queue = createLocalQueue({ name: 'close-many', batchSize: 1, concurrency: 4 });
    let finished = 0;
    queue.subscribe(async () => {
      await sleep(40);
      finished++;
    });
    await queue.sendBatch(['a', 'b', 'c', 'd', 'e'].map((body) => ({ id: body, body })));
    await sleep(10);
    await queue.close();
    expect(finished).toBe(4);
    expect(queue.peek().map((m) => m.body)).toEqual(['e']);
  });

  it('refuses a concurrency that is not a positive integer', () => {
    expect(() => createLocalQueue({ name: 'bad', concurrency: 0 })).toThrow('concurrency');
  });

  it('keeps queued messages across a restart when persisted', async () => {
    const temp = await makeTempDir('queue');
    try {
      const persistPath = join(temp.dir, 'queue.json');
      const first = createLocalQueue({ name: 'persist', persistPath });
      await first.sendBatch([
        { id: 'a', body: 'survives', attributes: { k: 'v' } },
        { id: 'b', body: 'delayed', delaySeconds: 600 },
      ]);
      await first.close();
      const second = createLocalQueue({ name: 'persist', persistPath });
      expect(second.peek().map((m) => m.body)).toEqual(['survives', 'delayed']);
      const seen: string[] = [];
      second.subscribe(async (event) => {
        seen.push(...bodies(event));
      });
      await sleep(30);
      expect(seen).toEqual(['survives']);
      await second.close();
    } finally {
      await temp.cleanup();
    }
  });

  it('has the messages on disk when sendBatch resolves, without close (a kill -9 right after loses none)', async () => {
    const temp = await makeTempDir('queue');
    try {
      const persistPath = join(temp.dir, 'queue.json');
      const first = createLocalQueue({ name: 'durable', persistPath });
      const sent = Array.from({ length: 200 }, (_, i) => ({ id: `m${i}`, body: `body ${i}` }));
      // Concurrent sends share writes; each resolves only once its own messages are stored.
      await Promise.all([first.sendBatch(sent.slice(0, 100)), first.sendBatch(sent.slice(100))]);
      // What a process started after a kill at this instant would find (the first is never closed).
      const after = createLocalQueue({ name: 'durable', persistPath });
      expect(
        after
          .peek()
          .map((m) => m.body)
          .sort(),
      ).toEqual(sent.map((m) => m.body).sort());
      await after.close();
    } finally {
      await temp.cleanup();
    }
  });

  it('writes one line per send however many messages wait (a journal, not a rewrite of every message)', async () => {
    const temp = await makeTempDir('queue');
    try {
      const persistPath = join(temp.dir, 'queue.json');
      const queue = createLocalQueue({ name: 'journal', persistPath });
      const waiting = Array.from({ length: 2000 }, (_, i) => ({ id: `w${i}`, body: `waiting message ${i}` }));
      for (let i = 0; i < waiting.length; i += 10) await queue.sendBatch(waiting.slice(i, i + 10));
      const before = await stat(persistPath);
      await queue.sendBatch([{ id: 'one', body: 'one more' }]);
      const after = await stat(persistPath);
      // Appended to the same file (an atomic rewrite would rename a new one into place), one line long.
      expect(after.ino).toBe(before.ino);
      expect(after.size - before.size).toBeGreaterThan(0);
      expect(after.size - before.size).toBeLessThan(400);
      await queue.close();
    } finally {
      await temp.cleanup();
    }
  });

  it('keeps a received message and its receive count across a crash, visible again', async () => {
    const temp = await makeTempDir('queue');
    try {
      const persistPath = join(temp.dir, 'queue.json');
      const first = createLocalQueue({ name: 'inflight', persistPath, visibilityTimeoutMs: 60_000 });
      await first.sendBatch([{ id: 'a', body: 'handled when it crashed' }]);
      let received!: () => void;
      const delivered = new Promise<void>((resolve) => {
        received = resolve;
      });
      first.subscribe(async () => {
        received();
        await new Promise(() => undefined); // never answers: the process dies first
      });
      await delivered;
      // A later awaited line is on disk only after every line before it (the receive).
      await first.sendBatch([{ id: 'b', body: 'sent after the receive' }]);
      const after = createLocalQueue({ name: 'inflight', persistPath });
      expect(after.peek().map((m) => [m.body, m.receiveCount])).toEqual([
        ['handled when it crashed', 1],
        ['sent after the receive', 0],
      ]);
      const seen: string[] = [];
      after.subscribe(async (event) => {
        seen.push(...bodies(event));
      });
      await after.drain();
      expect(seen.sort()).toEqual(['handled when it crashed', 'sent after the receive']);
      await after.close();
    } finally {
      await temp.cleanup();
    }
  });

  it('forgets deleted messages after a restart, and reads the snapshot format of earlier versions', async () => {
    const temp = await makeTempDir('queue');
    try {
      const persistPath = join(temp.dir, 'queue.json');
      const earlier = [
        {
          messageId: 'm-1',
          body: 'from an earlier version',
          attributes: {},
          receiveCount: 2,
          md5OfBody: 'x',
          sentAt: 1,
          visibleAt: 1,
          receiptHandle: 'h',
        },
      ];
      await writeFile(persistPath, JSON.stringify(earlier));
      const first = createLocalQueue({ name: 'upgrade', persistPath });
      expect(first.peek()).toEqual([
        { messageId: 'm-1', body: 'from an earlier version', attributes: {}, receiveCount: 2 },
      ]);
      await first.sendBatch([{ id: 'n', body: 'new' }]);
      const seen: string[] = [];
      first.subscribe(async (event) => {
        seen.push(...bodies(event));
      });
      await first.drain();
      await first.close();
      expect(seen.sort()).toEqual(['from an earlier version', 'new']);
      const second = createLocalQueue({ name: 'upgrade', persistPath });
      expect(second.peek()).toEqual([]);
      await second.close();
      // Rewritten as journal lines when first opened for writing: no array of the old format is left.
      const lines = (await readFile(persistPath, 'utf8')).trim().split('\n');
      expect(lines.map((line) => Object.keys(JSON.parse(line))[0]).sort()).toEqual(
        expect.arrayContaining(['del', 'put']),
      );
      expect(lines.some((line) => line.startsWith('['))).toBe(false);
    } finally {
      await temp.cleanup();
    }
  });

  it('removes the temp files a crashed save left behind when it opens', async () => {
    const temp = await makeTempDir('queue');
    try {
      const persistPath = join(temp.dir, 'queue.json');
      await writeFile(join(temp.dir, '.tmp-queue.json-0123456789abcdef'), '[{"half":');
      await writeFile(join(temp.dir, 'other.json'), '[]');
      const queue = createLocalQueue({ name: 'orphans', persistPath });
      await queue.sendBatch([{ id: 'a', body: 'a' }]);
      await queue.close();
      expect((await readdir(temp.dir)).sort()).toEqual(['other.json', 'queue.json']);
    } finally {
      await temp.cleanup();
    }
  });
});
