import { describe, expect, it } from 'vitest';
import { processRecords, queueUrlFromArn } from '../../functions/runtime/sqs';
import type { EventMessage } from '../../shared/events';
import { type DispatchDeps, deliverOrRetry, eventsPartition, retryDelaySeconds } from '../../shared/events';
import { sharedOutboundAgent } from '../../shared/net';
import type { QueueRecord } from '../../shared/ports';
import { verifySignature } from '../../shared/webhooks';
import { startedForEachTest } from '../helpers/lifecycle';
import { queueRecord } from '../helpers/queue-record';
import { startReceiver, until } from '../helpers/receiver';
import { MAX_RECEIVES, startDispatchHarness } from './dispatch-harness';

const h = startedForEachTest(startDispatchHarness);

const logOf = (instanceId: number, eventId: string) => h.eventLog.get(instanceId, eventId);

describe('dispatcher delivery', () => {
  it('POSTs the queued body byte for byte, signed with the instance key, and logs DELIVERED', async () => {
    const key = 'sig-key-s3cret';
    await h.createInstance(1, {
      signatureKey: key,
      callbackUrl: `${h.receiver.url}/hooks/1?token=url-s3cret`,
    });
    const message = h.message(1, 'a');
    await h.send(message);
    await h.batchesDone(1);

    const [received] = h.receiver.on('/hooks/1');
    expect(h.receiver.requests).toHaveLength(1);
    expect(received?.body).toBe(JSON.stringify(message));
    expect(received?.headers['content-type']).toBe('application/json');
    expect(received?.headers['elements-webhook-id']).toBe(message.message.eventId);
    const signature = received?.headers['elements-webhook-signature'];
    expect(signature).toMatch(/^sha256=[A-Za-z0-9+/]+=*$/);
    expect(verifySignature(key, received?.body ?? '', String(signature))).toBe(true);
    expect(verifySignature('another-key', received?.body ?? '', String(signature))).toBe(false);

    expect(h.batches[0]?.batchItemFailures).toEqual([]);
    expect(h.queue.peek()).toEqual([]);
    const log = await logOf(1, message.message.eventId);
    expect(log).toMatchObject({ status: 'DELIVERED', attempts: 1, objectType: 'incidents', eventCount: 2 });
    expect(log?.lastStatusCode).toBe(200);

    // No secret, URL or body content in the logger output or the stored log items.
    const stored = JSON.stringify(await h.stateTable.query({ pk: eventsPartition(1) }));
    for (const text of [h.logs.join('\n'), stored]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain('url-s3cret');
      expect(text).not.toContain('INC0');
      expect(text).not.toContain(signature);
    }
    expect(h.logs.join('\n')).toContain(message.message.eventId);
  });

  it('sends no signature header when the instance has no key', async () => {
    await h.createInstance(1);
    await h.send(h.message(1, 'a'));
    await h.batchesDone(1);
    const [received] = h.receiver.on('/hooks/1');
    expect(received).toBeDefined();
    expect(received?.headers['elements-webhook-signature']).toBeUndefined();
    expect(received?.headers['elements-webhook-id']).toBeDefined();
  });

  it('retries 5xx answers after the visibility timeout until the callback recovers (no loss)', async () => {
    await h.createInstance(1);
    h.receiver.script('/hooks/1', { status: 503 }, { status: 500 });
    const message = h.message(1, 'a');
    await h.send(message);
    await h.batchesDone(1);
    expect(h.batches[0]?.batchItemFailures).toHaveLength(1);
    expect(await logOf(1, message.message.eventId)).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      lastStatusCode: 503,
      lastError: 'HTTP 503',
    });
    // Nothing happens before the visibility timeout.
    await h.clock.advance(1_000);
    expect(h.receiver.requests).toHaveLength(1);

    await h.nextVisibility();
    await h.batchesDone(2);
    await h.nextVisibility();
    await h.batchesDone(3);
    expect(h.receiver.on('/hooks/1').map((r) => r.body)).toEqual(Array(3).fill(JSON.stringify(message)));
    expect(await logOf(1, message.message.eventId)).toMatchObject({ status: 'DELIVERED', attempts: 3 });
    expect((await logOf(1, message.message.eventId))?.lastError).toBeUndefined();
    expect(h.queue.peek()).toEqual([]);
    expect(h.dlq.peek()).toEqual([]);
  });

  it('moves a permanently failing message to the DLQ and logs it DEAD with its attempts', async () => {
    await h.createInstance(1);
    h.receiver.script('/hooks/1', ...Array(10).fill({ status: 500 }));
    const message = h.message(1, 'a');
    await h.send(message);
    await h.batchesDone(1);
    for (let n = 2; n <= MAX_RECEIVES; n++) {
      await h.nextVisibility();
      await h.batchesDone(n);
    }
    expect(await logOf(1, message.message.eventId)).toMatchObject({
      status: 'DEAD',
      attempts: MAX_RECEIVES,
      lastStatusCode: 500,
    });
    await h.nextVisibility();
    await until(() => h.dlq.peek().length === 1, 'the DLQ');
    expect(h.dlq.peek()[0]?.body).toBe(JSON.stringify(message));
    expect(h.dlq.peek()[0]?.attributes.eventId).toBe(message.message.eventId);
    expect(h.queue.peek()).toEqual([]);
    expect(h.receiver.requests).toHaveLength(MAX_RECEIVES);
  });

  it('reports only the failed message of a batch, so one bad callback does not block the others', async () => {
    await h.createInstance(1);
    await h.createInstance(2);
    await h.createInstance(3);
    h.receiver.script('/hooks/2', { status: 404 });
    const [m1, m2, m3] = [h.message(1, 'a'), h.message(2, 'b'), h.message(3, 'c')];
    await h.send(m1, m2, m3);
    await h.batchesDone(1);
    expect(h.batches).toHaveLength(1);
    expect(h.batches[0]?.batchItemFailures).toHaveLength(1);
    expect(h.queue.peek().map((m) => m.attributes.eventId)).toEqual([m2.message.eventId]);
    expect((await logOf(1, m1.message.eventId))?.status).toBe('DELIVERED');
    expect((await logOf(3, m3.message.eventId))?.status).toBe('DELIVERED');
    expect(await logOf(2, m2.message.eventId)).toMatchObject({ status: 'FAILED', lastStatusCode: 404 });

    await h.nextVisibility();
    await h.batchesDone(2);
    expect((await logOf(2, m2.message.eventId))?.status).toBe('DELIVERED');
    expect(h.receiver.on('/hooks/1')).toHaveLength(1);
    expect(h.receiver.on('/hooks/3')).toHaveLength(1);
  });

  it('treats a callback that does not answer in time as failed and retries it', async () => {
    await h.createInstance(1);
    h.receiver.script('/hooks/1', { hang: true });
    const message = h.message(1, 'a');
    await h.send(message);
    await h.batchesDone(1);
    const failed = await logOf(1, message.message.eventId);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(failed?.lastError).toMatch(/timed out/);
    await h.nextVisibility();
    await h.batchesDone(2);
    expect(await logOf(1, message.message.eventId)).toMatchObject({ status: 'DELIVERED', attempts: 2 });
  });

  it('does not follow redirects', async () => {
    await h.createInstance(1);
    h.receiver.script('/hooks/1', { status: 302, location: `${h.receiver.url}/elsewhere` });
    const message = h.message(1, 'a');
    await h.send(message);
    await h.batchesDone(1);
    expect(h.receiver.on('/elsewhere')).toEqual([]);
    const log = await logOf(1, message.message.eventId);
    expect(log).toMatchObject({ status: 'FAILED', lastStatusCode: 302 });
    expect(log?.lastError).toMatch(/redirects are not followed/);
  });

  it('uses the callback URL as configured at delivery time (a PATCH applies to queued messages)', async () => {
    await h.createInstance(1);
    h.receiver.script('/hooks/1', { status: 500 });
    const message = h.message(1, 'a');
    await h.send(message);
    await h.batchesDone(1);
    await h.setCallbackUrl(1, `${h.receiver.url}/moved`);
    await h.nextVisibility();
    await h.batchesDone(2);
    expect(h.receiver.on('/hooks/1')).toHaveLength(1);
    expect(h.receiver.on('/moved').map((r) => r.body)).toEqual([JSON.stringify(message)]);
    expect(await logOf(1, message.message.eventId)).toMatchObject({ status: 'DELIVERED', attempts: 2 });
  });

  it('does not POST a message again once the log says DELIVERED', async () => {
    await h.createInstance(1);
    const message = h.message(1, 'a');
    await h.send(message);
    await h.batchesDone(1);
    await h.send(message);
    await h.batchesDone(2);
    expect(h.receiver.requests).toHaveLength(1);
    expect(h.batches[1]?.batchItemFailures).toEqual([]);
    expect(await logOf(1, message.message.eventId)).toMatchObject({ status: 'DELIVERED', attempts: 1 });
  });

  it('drops messages of missing or disabled instances and of disabled events as DEAD, without retrying', async () => {
    await h.createInstance(2, { disabled: true });
    await h.createInstance(3, { enabled: false });
    const [m1, m2, m3] = [h.message(1, 'a'), h.message(2, 'b'), h.message(3, 'c')];
    await h.send(m1, m2, m3);
    await h.batchesDone(1);
    expect(h.batches[0]?.batchItemFailures).toEqual([]);
    expect(h.queue.peek()).toEqual([]);
    expect(h.receiver.requests).toEqual([]);
    expect(await logOf(1, m1.message.eventId)).toMatchObject({
      status: 'DEAD',
      attempts: 0,
      lastError: 'instance not found',
    });
    expect(await logOf(2, m2.message.eventId)).toMatchObject({
      status: 'DEAD',
      lastError: 'instance disabled',
    });
    expect(await logOf(3, m3.message.eventId)).toMatchObject({
      status: 'DEAD',
      lastError: 'events disabled',
    });
  });
});

describe('dispatcher SSRF guard', () => {
  const other = startedForEachTest(startReceiver);

  it('never contacts metadata or private addresses that are not allow-listed; the messages are DEAD', async () => {
    await h.createInstance(1, { callbackUrl: 'https://169.254.169.254/latest/meta-data/' });
    // Same loopback address as the allow-listed receiver, other port: not allowed.
    await h.createInstance(2, { callbackUrl: `https://127.0.0.1:${other.port}/hooks` });
    await h.createInstance(3, { callbackUrl: `http://127.0.0.1:${other.port}/hooks` });
    await h.createInstance(4, { callbackUrl: 'https://10.1.2.3/hooks' });
    const messages = [1, 2, 3, 4].map((id) => h.message(id, `x${id}`));
    await h.send(...messages);
    await h.batchesDone(1);
    expect(h.batches[0]?.batchItemFailures).toEqual([]);
    expect(h.queue.peek()).toEqual([]);
    expect(other.requests).toEqual([]);
    expect(h.receiver.requests).toEqual([]);
    for (const message of messages) {
      const log = await logOf(message.message.instanceId, message.message.eventId);
      expect(log).toMatchObject({ status: 'DEAD', attempts: 0 });
      expect(log?.lastError).toMatch(/^callback URL refused: /);
    }
    expect((await logOf(1, messages[0]?.message.eventId ?? ''))?.lastError).toMatch(/metadata/);
  });

  it('refuses a host name that resolves to a private address', async () => {
    await h.createInstance(1, { callbackUrl: 'https://hooks.example.com/in' });
    const message = h.message(1, 'a');
    const record = recordFor(message, 1, h.clock.now());
    const result = await deliverRecords([record], {
      loadInstance: async (id) => {
        const instance = await h.store.get(id);
        return instance && { instance, configuration: instance.configuration };
      },
      eventLog: h.eventLog,
      http: sharedOutboundAgent(h.allowedHosts),
      allowedHosts: h.allowedHosts,
      resolver: async () => [{ address: '192.168.1.20', family: 4 }],
      now: () => new Date(h.clock.now()),
    });
    expect(result.batchItemFailures).toEqual([]);
    const log = await logOf(1, message.message.eventId);
    expect(log).toMatchObject({ status: 'DEAD', attempts: 0 });
    expect(log?.lastError).toMatch(/non-public address/);
  });
});

/** A batch through the dispatcher's SQS loop. */
const deliverRecords = (records: QueueRecord[], deps: DispatchDeps) =>
  processRecords(records, (record) => deliverOrRetry(record, deps));

const recordFor = (message: EventMessage, receiveCount: number, sentAt: number): QueueRecord =>
  queueRecord(`r-${message.message.eventId}-${receiveCount}`, JSON.stringify(message), {
    receiveCount,
    sentAt,
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:element-events',
  });

describe('dispatcher backoff', () => {
  it('asks the queue to hold a failed message for an exponentially growing, jittered delay', async () => {
    await h.createInstance(1);
    await h.createInstance(2);
    h.receiver.script('/hooks/1', ...Array(5).fill({ status: 500 }));
    const failing = h.message(1, 'a');
    const fine = h.message(2, 'b');
    const delays: [string, number][] = [];
    const deps = {
      loadInstance: async (id: number) => {
        const instance = await h.store.get(id);
        return instance && { instance, configuration: instance.configuration };
      },
      eventLog: h.eventLog,
      http: sharedOutboundAgent(h.allowedHosts),
      allowedHosts: h.allowedHosts,
      now: () => new Date(h.clock.now()),
      maxReceiveCount: 5,
      retryDelay: { baseSeconds: 10, maxSeconds: 60 },
      retryLater: async (record: QueueRecord, seconds: number) => {
        delays.push([record.attributes.ApproximateReceiveCount, seconds]);
      },
    };
    for (let receive = 1; receive <= 5; receive++) {
      const result = await deliverRecords([recordFor(failing, receive, h.clock.now())], deps);
      expect(result.batchItemFailures).toHaveLength(1);
    }
    await deliverRecords([recordFor(fine, 1, h.clock.now())], deps);
    // Receives 1-4 are held (the 5th is the last: the queue moves it to the DLQ, no delay needed).
    expect(delays.map(([receive]) => receive)).toEqual(['1', '2', '3', '4']);
    const caps = [10, 20, 40, 60];
    delays.forEach(([, seconds], i) => {
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(caps[i] ?? 0);
    });
    expect(retryDelaySeconds(3, { baseSeconds: 10, maxSeconds: 60 }, () => 1)).toBe(40);
    expect(retryDelaySeconds(9, { baseSeconds: 10, maxSeconds: 60 }, () => 1)).toBe(60);
    expect((await h.eventLog.get(1, failing.message.eventId))?.status).toBe('DEAD');
  });

  it('derives the SQS queue URL from the event source ARN', () => {
    expect(queueUrlFromArn('arn:aws:sqs:eu-west-1:123456789012:element-events')).toBe(
      'https://sqs.eu-west-1.amazonaws.com/123456789012/element-events',
    );
    expect(queueUrlFromArn('arn:aws:sqs:local:000000000000:events')).toBeUndefined();
  });
});
