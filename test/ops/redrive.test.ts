import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperationsRoute, type LocalOperationsView } from '../../functions/local/operations-route';
import { parseRedriveArgs, runRedrive } from '../../functions/redrive/main';
import { LOCAL_BULK_QUEUE_FILE } from '../../functions/runtime/dependencies';
import { createLocalQueue } from '../../shared/adapters/local/queue';
import { localMetrics, METRICS, recordMetric } from '../../shared/metrics';
import { redriveSqs } from '../../shared/operations/redrive';
import { UsageError } from '../../shared/operations/redrive-command';
import { sqsEmulatorForSuite } from '../adapters/emulators';
import { makeTempDir } from '../adapters/temp-dir';

describe('redrive against SQS (fauxqs)', () => {
  const emulator = sqsEmulatorForSuite();

  const queuePair = async (name: string) => {
    const dlq = await emulator.client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const source = await emulator.client.send(new CreateQueueCommand({ QueueName: name }));
    return { deadLetterQueueUrl: dlq.QueueUrl as string, sourceQueueUrl: source.QueueUrl as string };
  };
  const depth = async (url: string) => {
    const attributes = await emulator.client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(attributes.Attributes?.ApproximateNumberOfMessages);
  };
  const receiveAll = async (url: string) => {
    const bodies: { body: string; kind: string | undefined }[] = [];
    for (;;) {
      const received = await emulator.client.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
      );
      if (!received.Messages?.length) return bodies;
      for (const message of received.Messages) {
        bodies.push({ body: message.Body ?? '', kind: message.MessageAttributes?.kind?.StringValue });
      }
    }
  };

  it('counts on a dry run, moves at most --max, then the rest, with bodies and attributes', async () => {
    const urls = await queuePair('bulk-redrive');
    for (let i = 0; i < 13; i++) {
      await emulator.client.send(
        new SendMessageCommand({
          QueueUrl: urls.deadLetterQueueUrl,
          MessageBody: JSON.stringify({ jobId: `job-${i}` }),
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'download-chunk' } },
        }),
      );
    }
    expect(await redriveSqs(emulator.client, urls, { dryRun: true })).toEqual({
      waiting: 13,
      moved: 0,
      failed: 0,
      dryRun: true,
    });
    expect(await depth(urls.deadLetterQueueUrl)).toBe(13);

    expect(await redriveSqs(emulator.client, urls, { max: 11 })).toMatchObject({ moved: 11, failed: 0 });
    expect(await depth(urls.deadLetterQueueUrl)).toBe(2);
    expect(await redriveSqs(emulator.client, urls)).toMatchObject({ waiting: 2, moved: 2, failed: 0 });
    expect(await depth(urls.deadLetterQueueUrl)).toBe(0);

    const moved = await receiveAll(urls.sourceQueueUrl);
    expect(moved.map((m) => JSON.parse(m.body).jobId).sort()).toEqual(
      Array.from({ length: 13 }, (_, i) => `job-${i}`).sort(),
    );
    expect(new Set(moved.map((m) => m.kind))).toEqual(new Set(['download-chunk']));
  });

  it('finds the queues in a cdk outputs file', async () => {
    const urls = await queuePair('events-redrive');
    await emulator.client.send(
      new SendMessageCommand({ QueueUrl: urls.deadLetterQueueUrl, MessageBody: '{"eventId":"e1"}' }),
    );
    const temp = await makeTempDir('redrive-outputs');
    try {
      const outputs = join(temp.dir, 'cdk-outputs.json');
      await writeFile(
        outputs,
        JSON.stringify({
          SnowElement: {
            EventsDeadLetterQueueUrl: urls.deadLetterQueueUrl,
            EventsQueueUrl: urls.sourceQueueUrl,
          },
        }),
      );
      const command = parseRedriveArgs(['--queue', 'events', '--outputs', outputs], {});
      expect(await runRedrive(command, () => emulator.client)).toEqual([
        { queue: 'events', waiting: 1, moved: 1, failed: 0, dryRun: false },
      ]);
      expect((await receiveAll(urls.sourceQueueUrl)).map((m) => m.body)).toEqual(['{"eventId":"e1"}']);
      // The bulk pair is not in the file: a clear usage error, nothing moved.
      await expect(
        runRedrive(parseRedriveArgs(['--queue', 'bulk', '--outputs', outputs], {}), () => emulator.client),
      ).rejects.toThrow(/no BulkQueueUrl/);
    } finally {
      await temp.cleanup();
    }
  });
});

describe('redrive arguments', () => {
  it('refuses what it cannot do, before touching anything', () => {
    expect(() => parseRedriveArgs(['--queue', 'mail'], {})).toThrow(UsageError);
    expect(() => parseRedriveArgs(['--max', '0'], {})).toThrow(/positive integer/);
    expect(() => parseRedriveArgs(['--dlq-url', 'x'], {})).toThrow(/go together/);
    expect(() => parseRedriveArgs(['--dlq-url', 'x', '--to-url', 'y'], {})).toThrow(/one --queue/);
    expect(() => parseRedriveArgs(['--bogus'], {})).toThrow(UsageError);
  });

  it('defaults to both queues and local mode’s port and data dir', () => {
    expect(parseRedriveArgs(['--local', '--dry-run'], { PORT: '4100', ELEMENT_DATA_DIR: '/data' })).toEqual({
      queues: ['events', 'bulk'],
      options: { dryRun: true },
      target: { kind: 'local', url: 'http://127.0.0.1:4100', dataDir: '/data' },
    });
  });
});

describe('redrive in local mode', () => {
  const freePortUrl = async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return `http://127.0.0.1:${port}`;
  };

  it('moves the dead letters in the queue files when no local server runs', async () => {
    const temp = await makeTempDir('redrive-files');
    try {
      const dlqPath = join(temp.dir, `dlq-${LOCAL_BULK_QUEUE_FILE}`);
      const dlq = createLocalQueue({ name: 'dlq', persistPath: dlqPath });
      await dlq.sendBatch([
        { id: 'a', body: '{"jobId":"a"}', attributes: { kind: 'upload' } },
        { id: 'b', body: '{"jobId":"b"}' },
      ]);
      await dlq.close();
      const command = parseRedriveArgs(
        ['--local', '--queue', 'bulk', '--url', await freePortUrl(), '--data-dir', temp.dir],
        {},
      );
      expect(await runRedrive(command)).toEqual([
        { queue: 'bulk', waiting: 2, moved: 2, failed: 0, dryRun: false },
      ]);

      const source = createLocalQueue({ name: 'bulk', persistPath: join(temp.dir, LOCAL_BULK_QUEUE_FILE) });
      const reopened = createLocalQueue({ name: 'dlq', persistPath: dlqPath });
      expect(source.peek().map((m) => [m.body, m.attributes])).toEqual([
        ['{"jobId":"a"}', { kind: 'upload' }],
        ['{"jobId":"b"}', {}],
      ]);
      expect(reopened.peek()).toEqual([]);
      await Promise.all([source.close(), reopened.close()]);
    } finally {
      await temp.cleanup();
    }
  });

  describe('through a running server', () => {
    let server: Server;
    let url: string;
    const events = {
      queue: createLocalQueue({ name: 'events' }),
      deadLetters: createLocalQueue({ name: 'events-dlq' }),
    };
    const bulk = {
      queue: createLocalQueue({ name: 'bulk' }),
      deadLetters: createLocalQueue({ name: 'bulk-dlq' }),
    };
    beforeAll(async () => {
      const route = createOperationsRoute({
        queues: { events, bulk },
        metrics: () => localMetrics.snapshot(),
      });
      server = createServer((request, response) => {
        void route.handle(request, response, new URL(request.url ?? '/', 'http://local'));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([events, bulk].flatMap((pair) => [pair.queue.close(), pair.deadLetters.close()]));
    });

    it('moves the running server’s dead letters, and shows metrics and queue depths', async () => {
      await events.deadLetters.sendBatch([
        { id: '1', body: 'e1' },
        { id: '2', body: 'e2' },
        { id: '3', body: 'e3' },
      ]);
      localMetrics.reset();
      recordMetric(METRICS.eventsDead, 3);

      const view = (await (await fetch(`${url}/local-ops/metrics`)).json()) as LocalOperationsView;
      expect(view.queues).toEqual({
        events: { messages: 0, deadLetters: 3 },
        bulk: { messages: 0, deadLetters: 0 },
      });
      expect(view.metrics.EventsDead).toMatchObject({ sum: 3 });

      const dryRun = parseRedriveArgs(['--local', '--queue', 'events', '--dry-run', '--url', url], {});
      expect(await runRedrive(dryRun)).toEqual([
        { queue: 'events', waiting: 3, moved: 0, failed: 0, dryRun: true },
      ]);
      const two = parseRedriveArgs(['--local', '--queue', 'events', '--max', '2', '--url', url], {});
      expect(await runRedrive(two)).toEqual([
        { queue: 'events', waiting: 3, moved: 2, failed: 0, dryRun: false },
      ]);
      expect(events.queue.peek().map((m) => m.body)).toEqual(['e1', 'e2']);
      expect(events.deadLetters.peek().map((m) => m.body)).toEqual(['e3']);
    });

    it('answers a clear 400 for an unknown queue or a bad max, and 404 elsewhere', async () => {
      const unknown = await fetch(`${url}/local-ops/redrive?queue=mail`, { method: 'POST' });
      expect(unknown.status).toBe(400);
      expect(((await unknown.json()) as { message: string }).message).toMatch(/events, bulk/);
      expect((await fetch(`${url}/local-ops/redrive?queue=bulk&max=-1`, { method: 'POST' })).status).toBe(
        400,
      );
      expect((await fetch(`${url}/local-ops/nothing`)).status).toBe(404);
    });
  });
});
