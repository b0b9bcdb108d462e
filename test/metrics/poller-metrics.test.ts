import { afterEach, beforeEach, expect, it } from 'vitest';
import { createLocalQueue, type LocalQueue } from '../../shared/adapters/local';
import { runPoller } from '../../shared/events/poller';
import { eventsInstanceAccess } from '../../shared/instances';
import { localMetrics } from '../../shared/metrics';
import { aliceAuth, basicBody, type Harness, startHarness } from '../instances/harness';

const MINUTE = 60_000;

let h: Harness;
let queue: LocalQueue;

beforeEach(async () => {
  h = await startHarness();
  h.sim.clock.set(new Date('2027-03-02T10:00:00Z'));
  h.sim.clock.freeze();
  queue = createLocalQueue({ name: 'events-metrics' });
  h.deps.eventsQueue = queue;
  localMetrics.reset();
});

afterEach(async () => {
  await queue.close();
  await h.close();
});

it('records each scheduled poll’s lag, and the ServiceNow requests it made, for its instance', async () => {
  const res = await h.call('POST', '/instances', {
    auth: aliceAuth,
    body: basicBody(h.sim, {
      'event.notification.enabled': true,
      'event.notification.callback.url': 'http://127.0.0.1:9/events',
      'event.poller.configuration': { incidents: {} },
      'event.poller.refresh_interval': 15,
    }),
  });
  expect(res.status, res.text).toBe(200);
  const id = String((res.json() as { id: number }).id);
  await runPoller({ ...h.deps, instances: eventsInstanceAccess(h.deps) });
  localMetrics.reset();

  h.sim.clock.advance(20 * MINUTE); // due 15 minutes after the first poll: 5 minutes late
  const run = await runPoller({ ...h.deps, instances: eventsInstanceAccess(h.deps) });
  expect(run.polled.map((summary) => String(summary.instanceId))).toEqual([id]);

  const instance = localMetrics.snapshot().instances[id];
  expect(instance?.PollLag).toMatchObject({ samples: 1, sum: 20 * 60 });
  expect(instance?.PollLagIntervals?.sum).toBeCloseTo(20 / 15);
  expect(instance?.PollErrors).toBeUndefined();
  // One keyset read for incidents and one for the deletes, nothing changed.
  expect(instance?.ServiceNowRequests?.sum).toBe(2);
  expect(instance?.ServiceNowLatency?.samples).toBe(2);
});
