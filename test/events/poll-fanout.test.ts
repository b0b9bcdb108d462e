/**
 * The poll fan-out: the schedule claims due instances and queues one poll message each; the poll worker
 * (the handler the Lambda and local mode run) polls them through the local queue. Duplicated and stale
 * messages poll nothing, a poll whose state-table write fails comes back and resumes from its
 * checkpoint without losing or reordering events, and a refused poll message makes its instance due
 * again at once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPollWorkerHandler } from '../../functions/events/handlers';
import { createLocalQueue, type LocalQueue } from '../../shared/adapters/local';
import {
  type EventsInstanceAccess,
  type PollerDeps,
  pollClaimed,
  pollRequestBody,
  scheduleDuePolls,
} from '../../shared/events';
import { markDue, scheduleKey } from '../../shared/events/schedule';
import type { QueueProducer, StateTable } from '../../shared/ports';
import { queueRecord } from '../helpers/queue-record';
import { type EventsHarness, eventsOf, insert, startEventsHarness, tick } from './harness';

const SILENT = { info: () => {}, warn: () => {}, error: () => {} };
const CONFIGURATION = {
  'event.notification.enabled': 'true',
  'event.notification.callback.url': 'https://consumer.example/events',
  'event.poller.refresh_interval': '5',
  'event.poller.configuration': JSON.stringify({ incidents: {} }),
};

let h: EventsHarness;
let pollQueue: LocalQueue;
let listed: number;

beforeEach(async () => {
  h = await startEventsHarness();
  pollQueue = createLocalQueue({ name: 'poll-test', batchSize: 4 });
  listed = 0;
});

afterEach(async () => {
  await pollQueue.close();
  await h.close();
});

const access = (): EventsInstanceAccess => ({
  get: async (id) => ({
    id,
    elementKey: 'servicenow',
    ownerUserId: 'u',
    eventsEnabled: id !== 99,
    eventsEnabledAt: h.enabledAt.toISOString(),
    updatedDate: h.enabledAt.toISOString(),
  }),
  configuration: async () => CONFIGURATION,
  serviceNowClient: async () => ({
    ...h.client,
    list: (table, params) => {
      listed += 1;
      return h.client.list(table, params);
    },
  }),
});

/** A poll queue that keeps the bodies it is sent. */
const capturing = (sent: string[]): QueueProducer => ({
  sendBatch: async (messages) => {
    sent.push(...messages.map((m) => m.body));
    return { failed: [] };
  },
});

const poller = (stateTable: StateTable = h.stateTable): PollerDeps => ({
  stateTable,
  now: () => h.sim.clock.now(),
  eventsQueue: h.queue,
  instances: access(),
});

describe('events poll fan-out', () => {
  it('queues one poll message per due instance and the workers poll each once', async () => {
    for (const id of [1, 2, 3, 4, 5]) await markDue(h.stateTable, id, h.enabledAt);
    pollQueue.subscribe(createPollWorkerHandler(poller(), { concurrency: 4, logger: SILENT }));
    const run = await scheduleDuePolls({ ...poller(), pollQueue });
    expect(run).toEqual({ queued: 5, skipped: 0, refused: 0 });
    await pollQueue.drain();
    // One incident request and one deletes request per instance.
    expect(listed).toBe(10);
    for (const id of [1, 2, 3, 4, 5]) {
      const schedule = await h.stateTable.get(scheduleKey(id));
      expect(schedule?.dueAt).toBe(new Date(h.sim.clock.now().getTime() + 5 * 60_000).toISOString());
    }
    // Nothing is due any more: a second run queues nothing.
    expect(await scheduleDuePolls({ ...poller(), pollQueue })).toEqual({ queued: 0, skipped: 0, refused: 0 });
  });

  it('polls a duplicated message once and skips a stale claim and a disabled instance', async () => {
    await markDue(h.stateTable, 1, h.enabledAt);
    await markDue(h.stateTable, 99, h.enabledAt);
    const sent: string[] = [];
    await scheduleDuePolls({ ...poller(), pollQueue: capturing(sent) });
    const [first, disabled] = sent.map((body) => JSON.parse(body));
    expect((await pollClaimed(poller(), first)).kind).toBe('polled');
    // SQS delivered it again: the schedule moved on, so nothing is polled.
    expect(await pollClaimed(poller(), first)).toMatchObject({ kind: 'skipped', reason: 'stale claim' });
    expect(await pollClaimed(poller(), { ...first, claim: '2000-01-01T00:00:00.000Z' })).toMatchObject({
      kind: 'skipped',
    });
    expect(await pollClaimed(poller(), disabled)).toMatchObject({
      kind: 'skipped',
      reason: 'events disabled',
    });
    expect(await h.stateTable.get(scheduleKey(99))).toBeUndefined();
    expect(listed).toBe(2);
  });

  it('brings a poll whose checkpoint write failed back, and the retry loses and reorders nothing', async () => {
    await markDue(h.stateTable, 7, h.enabledAt);
    tick(h.sim);
    const ids = Array.from(
      { length: 30 },
      (_, i) => insert(h.sim, 'incident', { short_description: `n${i}` }).sys_id,
    );
    tick(h.sim);
    let failCheckpointWrites = true;
    const table = h.stateTable;
    const flaky: StateTable = {
      get: (key) => table.get(key),
      put: (item, options) => table.put(item, options),
      update: (key, set, options) => {
        if (failCheckpointWrites && key.sk.startsWith('CHECKPOINT#incidents')) {
          return Promise.reject(new Error('state table unavailable'));
        }
        return table.update(key, set, options);
      },
      delete: (key, options) => table.delete(key, options),
      query: (input) => table.query(input),
      acquireLease: (key, request) => table.acquireLease(key, request),
      releaseLease: (key, holder) => table.releaseLease(key, holder),
    };
    const worker = createPollWorkerHandler(poller(flaky), { logger: SILENT });
    const sent: string[] = [];
    await scheduleDuePolls({ ...poller(), pollQueue: capturing(sent) });
    const record = (receive: number) => queueRecord('poll-7', sent[0] ?? '', { receiveCount: receive });
    const firstTry = await worker({ Records: [record(1)] });
    // The poll itself records ServiceNow-side trouble in STATUS; a failed checkpoint write is such trouble
    // or a thrown error: either way nothing moved past what was queued.
    failCheckpointWrites = false;
    const secondTry =
      firstTry.batchItemFailures.length > 0 ? await worker({ Records: [record(2)] }) : firstTry;
    expect(secondTry.batchItemFailures).toEqual([]);
    if (firstTry.batchItemFailures.length === 0) {
      // The instance was rescheduled after the failed poll; a later run picks the incidents up.
      h.sim.clock.advance(5 * 60_000);
      const again: string[] = [];
      await scheduleDuePolls({ ...poller(), pollQueue: capturing(again) });
      expect(again).toHaveLength(1);
      expect((await pollClaimed(poller(), JSON.parse(again[0] ?? '{}'))).kind).toBe('polled');
    }
    const delivered = eventsOf(h.messages())
      .filter((e) => e.eventType === 'CREATED')
      .map((e) => e.objectId);
    expect(new Set(delivered)).toEqual(new Set(ids));
    // First deliveries in keyset order, (sys_updated_on, sys_id): one second here, so by sys_id.
    const firstSeen = delivered.filter((id, i) => delivered.indexOf(id) === i);
    expect(firstSeen).toEqual([...ids].sort());
  });

  it('makes an instance due again at once when the queue refuses its poll message', async () => {
    await markDue(h.stateTable, 3, h.enabledAt);
    const refusing: QueueProducer = {
      sendBatch: async (messages) => ({
        failed: messages.map((m) => ({ id: m.id, code: 'Throttled', message: 'no' })),
      }),
    };
    const run = await scheduleDuePolls({ ...poller(), pollQueue: refusing });
    expect(run).toEqual({ queued: 0, skipped: 0, refused: 1 });
    expect((await h.stateTable.get(scheduleKey(3)))?.dueAt).toBe(h.sim.clock.now().toISOString());
    expect(pollRequestBody({ instanceId: 3, claim: 'x' })).toBe('{"instanceId":3,"claim":"x"}');
  });
});
