/**
 * Dead letters stay recoverable through the API: a message whose receives ran out without an attempt
 * logging its end (a process killed mid-delivery, again and again) is marked DEAD with its body by the
 * dead-letter queue's consumer, and a last attempt that dies is DEAD before it starts.
 */

import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/events/dispatcher';
import { createDeadLetterHandler } from '../../functions/events/handlers';
import { type Dependencies, setDependencies } from '../../functions/runtime/dependencies';
import { createLocalQueue } from '../../shared/adapters/local';
import { redeliverEvent, toOutgoing } from '../../shared/events';
import { startedForEachTest } from '../helpers/lifecycle';
import { queueRecord } from '../helpers/queue-record';
import { until } from '../helpers/receiver';
import { MAX_RECEIVES, startDispatchHarness } from './dispatch-harness';

const h = startedForEachTest(startDispatchHarness);

const deps = (): Dependencies => ({
  mode: 'local',
  stateTable: h.stateTable,
  secretStore: { get: async () => undefined, put: async () => undefined, delete: async () => undefined },
  allowedHosts: h.allowedHosts,
  now: () => new Date(h.clock.now()),
});

/** An event of instance 1 the log says is QUEUED, its body stored (or not, `withBody` false). */
const queuedEvent = async (name: string, withBody: boolean) => {
  await h.createInstance(1);
  const message = h.message(1, name);
  const { eventId } = message.message;
  await h.eventLog.recordQueued({
    instanceId: 1,
    eventId,
    objectType: 'incidents',
    eventCount: 2,
    body: withBody ? JSON.stringify(message) : '',
  });
  return { message, eventId };
};

describe('dead letters', () => {
  it('marks a message DEAD with its body when it reaches the DLQ still QUEUED, so redeliver works', async () => {
    const { message, eventId } = await queuedEvent('killed', true);
    // A queue whose every delivery dies before the dispatcher logs anything (kill -9 mid-delivery).
    const dlq = createLocalQueue({ name: 'dlq', clock: h.clock });
    const queue = createLocalQueue({
      name: 'killed',
      clock: h.clock,
      visibilityTimeoutMs: 1000,
      maxReceiveCount: 2,
      deadLetterQueue: dlq,
    });
    queue.subscribe(async () => {
      throw new Error('killed');
    });
    await queue.sendBatch([{ ...toOutgoing(message), id: 'm' }]);
    for (let i = 0; i < 3; i++) await h.clock.advance(1000);
    await until(() => dlq.peek().length === 1, 'the dead letter');
    expect((await h.eventLog.get(1, eventId))?.status).toBe('QUEUED'); // what the log said before

    dlq.subscribe(createDeadLetterHandler(deps(), { logger: { info: () => {}, warn: () => {} } }));
    await dlq.drain();
    expect(await h.eventLog.get(1, eventId)).toMatchObject({ status: 'DEAD', attempts: 0 });
    expect(dlq.peek()).toEqual([]); // its body is in the log
    const redelivered = await redeliverEvent(h.eventLog, h.queue, 1, eventId);
    expect(redelivered).toEqual({ eventId, status: 'QUEUED' });
    await until(() => h.receiver.on('/hooks/1').length === 1, 'the redelivered POST');
    await queue.close();
    await dlq.close();
  });

  it("routes the dead-letter queue's records of the Lambda event source to the dead-letter consumer by ARN", async () => {
    const { message, eventId } = await queuedEvent('parked', false);
    const dlqArn = 'arn:aws:sqs:us-east-1:000000000000:events-dlq';
    const previous = process.env.ELEMENT_EVENTS_DEAD_LETTER_QUEUE_ARN;
    process.env.ELEMENT_EVENTS_DEAD_LETTER_QUEUE_ARN = dlqArn;
    setDependencies(deps());
    try {
      const record = queueRecord('parked-1', toOutgoing(message).body, {
        sentAt: h.clock.now(),
        eventSourceARN: dlqArn,
      });
      const answer = await handler({ Records: [record] } as unknown as SQSEvent);
      expect(answer).toEqual({ batchItemFailures: [] });
      // Marked DEAD with its body, never POSTed: the callback saw nothing.
      expect(await h.eventLog.get(1, eventId)).toMatchObject({ status: 'DEAD', attempts: 0 });
      expect(h.receiver.on('/hooks/1')).toHaveLength(0);
    } finally {
      setDependencies(undefined);
      if (previous === undefined) delete process.env.ELEMENT_EVENTS_DEAD_LETTER_QUEUE_ARN;
      else process.env.ELEMENT_EVENTS_DEAD_LETTER_QUEUE_ARN = previous;
    }
  });

  it('logs a last attempt DEAD before its POST, so a worker that dies during it leaves it recoverable', async () => {
    await h.createInstance(1);
    h.receiver.script('/hooks/1', { hang: true });
    const message = h.message(1, 'last');
    const { eventId } = message.message;
    const outgoing = toOutgoing(message);
    const record = queueRecord('last-receive', outgoing.body, {
      receiveCount: MAX_RECEIVES,
      sentAt: h.clock.now(),
      attributes: outgoing.attributes ?? {},
      eventSourceARN: 'arn:aws:sqs:local:000000000000:events',
    });
    await h.queue.close(); // deliver by hand, as one Lambda invocation
    const { createDispatcherHandler } = await import('../../functions/events/handlers');
    const dispatch = createDispatcherHandler(deps(), {
      maxReceiveCount: MAX_RECEIVES,
      timeoutMs: 5_000,
      logger: { info: () => {}, warn: () => {} },
    });
    const running = dispatch({ Records: [record] });
    await until(() => h.receiver.on('/hooks/1').length === 1, 'the last POST');
    // The process could die now: the log already says DEAD, with the body for redeliver.
    expect(await h.eventLog.get(1, eventId)).toMatchObject({ status: 'DEAD', attempts: 0 });
    await h.receiver.close();
    await running;
    expect(await h.eventLog.get(1, eventId)).toMatchObject({ status: 'DEAD', attempts: 1 });
  });
});
