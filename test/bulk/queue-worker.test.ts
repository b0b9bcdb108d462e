import { describe, expect, it } from 'vitest';
import type { NotifyJobDeps } from '../../shared/bulk/callback';
import type { ProcessBulkDeps } from '../../shared/bulk/jobs';
import { BulkMessageRetryError, BulkQueueWorker, type BulkWorkerLogger } from '../../shared/bulk/worker';
import type { QueueRecord, StateTable } from '../../shared/ports';
import { queueRecord } from '../helpers/queue-record';

const record = (body: string, receiveCount = 1) =>
  queueRecord('m-1', body, { receiveCount, eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:bulk' });

/** A state table that is down: every step fails with an infrastructure error, which is retried. */
const downTable = new Proxy({} as StateTable, {
  get: () => async () => {
    throw new Error('state table unavailable');
  },
});

const recordingLogger = () => {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const logger: BulkWorkerLogger = {
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
  };
  return { logger, lines };
};

const workerWith = (
  logger: BulkWorkerLogger,
  retryLater: (record: QueueRecord, delaySeconds: number) => Promise<void>,
) =>
  new BulkQueueWorker({
    process: { stateTable: downTable } as unknown as ProcessBulkDeps,
    callbacks: { stateTable: downTable } as unknown as NotifyJobDeps,
    logger,
    maxReceiveCount: 5,
    retryLater,
  });

const chunkMessage = JSON.stringify({ jobId: 'j1', instanceId: '7', kind: 'download-chunk' });

describe('bulk queue worker', () => {
  it('asks for a backoff on a failed step and keeps the record on the queue', async () => {
    const { logger } = recordingLogger();
    const delays: number[] = [];
    const worker = workerWith(logger, async (_record, delaySeconds) => {
      delays.push(delaySeconds);
    });
    await expect(worker.handleRecord(record(chunkMessage, 2))).rejects.toBeInstanceOf(BulkMessageRetryError);
    expect(delays).toHaveLength(1);
    // Second receive: full jitter over 60 s, at least one second.
    expect(delays[0]).toBeGreaterThanOrEqual(1);
    expect(delays[0]).toBeLessThanOrEqual(60);
  });

  it('logs a backoff that could not be set, and still keeps the record on the queue', async () => {
    const { logger, lines } = recordingLogger();
    const worker = workerWith(logger, async () => {
      throw Object.assign(new Error('ChangeMessageVisibility refused'), { name: 'ReceiptHandleIsInvalid' });
    });
    await expect(worker.handleRecord(record(chunkMessage))).rejects.toBeInstanceOf(BulkMessageRetryError);
    expect(lines).toContainEqual({
      level: 'warn',
      message: expect.stringContaining('Could not delay the retry'),
      fields: { messageId: 'm-1', error: 'ReceiptHandleIsInvalid' },
    });
  });

  it('drops an unreadable message without asking for a retry', async () => {
    const { logger, lines } = recordingLogger();
    const delays: number[] = [];
    const worker = workerWith(logger, async (_record, delaySeconds) => {
      delays.push(delaySeconds);
    });
    await expect(worker.handleRecord(record('not json'))).resolves.toBeUndefined();
    expect(delays).toEqual([]);
    expect(lines.map((line) => line.message)).toEqual(['Dropped an unreadable or unrelated bulk message']);
  });
});
