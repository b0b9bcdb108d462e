import { describe, expect, it } from 'vitest';
import { processRecords } from '../../functions/runtime/sqs';
import { queueRecord } from '../helpers/queue-record';

const record = (messageId: string) => queueRecord(messageId, JSON.stringify({ id: messageId }));

describe('processRecords (the SQS partial-batch loop)', () => {
  it('lists exactly the records whose handler threw', async () => {
    const records = ['a', 'b', 'c', 'd'].map(record);
    const result = await processRecords(records, async (r) => {
      if (r.messageId === 'b' || r.messageId === 'd') throw new Error('retry me');
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'b' }, { itemIdentifier: 'd' }]);
  });

  it('answers a batch that failed entirely instead of throwing', async () => {
    const result = await processRecords([record('x'), record('y')], async () => {
      throw new Error('down');
    });
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['x', 'y']);
  });

  it('runs at most `concurrency` handlers at once, and every record once', async () => {
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    const records = Array.from({ length: 12 }, (_, i) => record(`m${i}`));
    const result = await processRecords(
      records,
      async (r) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        seen.push(r.messageId);
        running--;
      },
      { concurrency: 3 },
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(peak).toBe(3);
    expect(seen.sort()).toEqual(records.map((r) => r.messageId).sort());
  });

  it('starts the records in batch order and keeps going past a failure, one lane at a time', async () => {
    const started: string[] = [];
    const result = await processRecords(
      ['a', 'b', 'c'].map(record),
      async (r) => {
        started.push(r.messageId);
        if (r.messageId === 'a') throw new Error('retry me');
      },
      { concurrency: 1 },
    );
    expect(started).toEqual(['a', 'b', 'c']);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
  });

  it('answers an empty batch with no failures', async () => {
    expect(await processRecords([], async () => undefined)).toEqual({ batchItemFailures: [] });
  });
});
