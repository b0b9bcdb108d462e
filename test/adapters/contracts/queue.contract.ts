import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueProducer } from '../../../shared/ports';

export interface ReceivedMessage {
  body: string;
  attributes: Record<string, string>;
}

export interface QueueHarness {
  producer: QueueProducer;
  /** Messages delivered since the last call (each once), consumed and deleted. */
  receive(): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
}

/** The queue under test must refuse messages over 256 KiB (SQS MaximumMessageSize 262144). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

async function receiveUntil(
  harness: QueueHarness,
  count: number,
  timeoutMs = 5000,
): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (received.length < count && Date.now() < deadline) {
    received.push(...(await harness.receive()));
    if (received.length < count) await sleep(50);
  }
  return received;
}

export function describeQueueContract(name: string, factory: () => Promise<QueueHarness>): void {
  describe(`Queue contract: ${name}`, () => {
    let harness: QueueHarness;
    beforeEach(async () => {
      harness = await factory();
    });
    afterEach(async () => {
      await harness.close();
    });

    it('sends more than one SQS batch worth of messages, with attributes', async () => {
      const messages = Array.from({ length: 23 }, (_, i) => ({
        id: `m${i}`,
        body: JSON.stringify({ n: i }),
        attributes: { kind: 'test', n: String(i) },
      }));
      expect(await harness.producer.sendBatch(messages)).toEqual({ failed: [] });
      const received = await receiveUntil(harness, 23);
      expect(received.map((m) => JSON.parse(m.body).n).sort((a, b) => a - b)).toEqual(
        messages.map((_, i) => i),
      );
      expect(
        received.every(
          (m) => m.attributes.kind === 'test' && m.attributes.n === JSON.parse(m.body).n.toString(),
        ),
      ).toBe(true);
    });

    it('reports an oversized message as failed and still sends the rest of its batch', async () => {
      const messages = Array.from({ length: 10 }, (_, i) => ({ id: `m${i}`, body: `small-${i}` }));
      messages[4] = { id: 'big', body: 'x'.repeat(MAX_MESSAGE_BYTES + 1) };
      const { failed } = await harness.producer.sendBatch(messages);
      expect(failed.map((f) => f.id)).toEqual(['big']);
      expect(failed[0]?.code).toMatch(/\w+/);
      const received = await receiveUntil(harness, 9);
      expect(received.map((m) => m.body).sort()).toEqual(
        messages
          .filter((m) => m.id !== 'big')
          .map((m) => m.body)
          .sort(),
      );
    });

    it('splits a batch that would exceed the request size limit instead of failing it', async () => {
      const body = 'y'.repeat(200 * 1024);
      const messages = Array.from({ length: 10 }, (_, i) => ({ id: `m${i}`, body: `${i}${body}` }));
      expect((await harness.producer.sendBatch(messages)).failed).toEqual([]);
      expect(await receiveUntil(harness, 10)).toHaveLength(10);
    });

    it('holds back a delayed message until its delay has passed', async () => {
      await harness.producer.sendBatch([
        { id: 'now', body: 'now' },
        { id: 'later', body: 'later', delaySeconds: 2 },
      ]);
      const first = await receiveUntil(harness, 1);
      expect(first.map((m) => m.body)).toEqual(['now']);
      expect((await harness.receive()).map((m) => m.body)).toEqual([]);
      expect((await receiveUntil(harness, 1, 5000)).map((m) => m.body)).toEqual(['later']);
    });

    it('treats an empty send as a no-op and rejects malformed batches', async () => {
      expect(await harness.producer.sendBatch([])).toEqual({ failed: [] });
      await expect(
        harness.producer.sendBatch([
          { id: 'same', body: 'a' },
          { id: 'same', body: 'b' },
        ]),
      ).rejects.toThrow(TypeError);
      await expect(harness.producer.sendBatch([{ id: 'bad id!', body: 'a' }])).rejects.toThrow(TypeError);
      await expect(harness.producer.sendBatch([{ id: 'a', body: 'a', delaySeconds: 901 }])).rejects.toThrow(
        TypeError,
      );
    });
  });
}
