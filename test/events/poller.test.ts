/**
 * The events poller wired to instances: the enabled-at first checkpoint, the due-time index, isolation of
 * a failing instance, configuration changes applying to the next poll, and `POST /instances/{id}/events/poll`
 * through real HTTP. The simulator runs on a frozen clock that the element shares (deps.now).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalQueue, type LocalQueue } from '../../shared/adapters/local';
import {
  type EventMessage,
  type EventsInstance,
  type PollerOptions,
  pollInstanceNow as pollNow,
  runPoller as runBoth,
} from '../../shared/events';
import { checkpointKey, DELETES_STREAM } from '../../shared/events/checkpoint';
import { POLL_DUE, scheduleKey } from '../../shared/events/schedule';
import {
  createInstanceStore,
  eventsInstanceAccess,
  eventsTargetLoader,
  forgetInstanceClient,
  type InstanceDeps,
} from '../../shared/instances';
import type { QueryInput, QueueProducer, StateTable } from '../../shared/ports';
import { aliceAuth, basicBody, bobAuth, type Harness, startHarness } from '../instances/harness';
import { startSimulator } from '../simulator';

type TestDeps = InstanceDeps & { eventsQueue?: QueueProducer };
const withInstances = (deps: TestDeps) => ({ ...deps, instances: eventsInstanceAccess(deps) });
const runPoller = (deps: TestDeps, options?: PollerOptions & { concurrency?: number }) =>
  runBoth(withInstances(deps), options);
const pollInstanceNow = (deps: TestDeps, record: EventsInstance) => pollNow(withInstances(deps), record);

const T0 = new Date('2027-03-02T10:00:00Z');
// Allow-listed (the harness allows 127.0.0.1), so it passes the SSRF check at save; nothing listens.
const CALLBACK = 'http://127.0.0.1:9/events';
const MINUTE = 60_000;

const eventsOn = (poller: Record<string, unknown> = { incidents: {} }) => ({
  'event.notification.enabled': true,
  'event.notification.callback.url': CALLBACK,
  'event.poller.configuration': poller,
});

let h: Harness;
let queue: LocalQueue;

beforeEach(async () => {
  h = await startHarness();
  h.sim.clock.set(T0);
  h.sim.clock.freeze();
  queue = createLocalQueue({ name: 'events-test' });
  h.deps.eventsQueue = queue;
});

afterEach(async () => {
  await queue.close();
  await h.close();
});

const advance = (ms: number) => h.sim.clock.advance(ms);
const insert = (table: string, values: Record<string, string>) =>
  h.sim.db.insert(table, values, { userName: 'admin' });

const create = async (configuration: Record<string, unknown>, auth = aliceAuth): Promise<number> => {
  const res = await h.call('POST', '/instances', { auth, body: basicBody(h.sim, configuration) });
  expect(res.status, res.text).toBe(200);
  return (res.json() as { id: number }).id;
};

const patch = async (id: number, configuration: Record<string, unknown>) =>
  h.call('PATCH', `/instances/${id}`, { auth: aliceAuth, body: { configuration } });

/** Every event queued for an instance: `objectType:objectId:eventType`. */
const eventsFor = (instanceId: number): string[] =>
  queue
    .peek()
    .map((m) => JSON.parse(m.body) as EventMessage)
    .filter((m) => m.message.instanceId === instanceId)
    .flatMap((m) => m.message.events.map((e) => `${e.objectType}:${e.objectId}:${e.eventType}`));

const sysId = (record: { sys_id?: unknown }) => String(record.sys_id);

describe('events poller', () => {
  it('starts at the moment events were enabled at creation: nothing older is delivered', async () => {
    const before = insert('incident', { short_description: 'before enabling' });
    advance(5_000);
    const id = await create(eventsOn());
    const view = (await h.call('GET', `/instances/${id}`, { auth: aliceAuth })).json() as {
      eventsEnabled: boolean;
    };
    expect(view.eventsEnabled).toBe(true);
    advance(2_000);
    const after = insert('incident', { short_description: 'after enabling' });
    advance(1_000);

    const run = await runPoller(h.deps);
    expect(run.polled.map((s) => s.instanceId)).toEqual([id]);
    expect(eventsFor(id)).toEqual([`incidents:${sysId(after)}:CREATED`]);
    expect(eventsFor(id).join()).not.toContain(sysId(before));
  });

  it('starts at the PATCH that turned events on, and forgets everything when they are turned off', async () => {
    const id = await create({});
    const view = (await patch(id, {})).json() as { eventsEnabled: boolean };
    expect(view.eventsEnabled).toBe(false);
    expect(await h.deps.stateTable.get(scheduleKey(id))).toBeUndefined();
    const beforePatch = insert('incident', { short_description: 'while events were off' });
    advance(10_000);
    const enabled = await patch(id, eventsOn());
    expect(enabled.status, enabled.text).toBe(200);
    expect((enabled.json() as { eventsEnabled: boolean }).eventsEnabled).toBe(true);
    advance(1_000);
    const afterPatch = insert('incident', { short_description: 'after the patch' });
    advance(1_000);

    await runPoller(h.deps);
    expect(eventsFor(id)).toEqual([`incidents:${sysId(afterPatch)}:CREATED`]);
    expect(eventsFor(id).join()).not.toContain(sysId(beforePatch));
    expect(await h.deps.stateTable.get(checkpointKey(id, 'incidents'))).toBeDefined();

    const off = await patch(id, { 'event.notification.enabled': false });
    expect((off.json() as { eventsEnabled: boolean }).eventsEnabled).toBe(false);
    expect(await h.deps.stateTable.get(scheduleKey(id))).toBeUndefined();
    expect(await h.deps.stateTable.get(checkpointKey(id, 'incidents'))).toBeUndefined();
    expect(await h.deps.stateTable.get(checkpointKey(id, DELETES_STREAM))).toBeUndefined();
  });

  it('refuses a bad events configuration with a 400 naming the key and changes nothing', async () => {
    const id = await create({});
    const before = await h.snapshot();
    const res = await patch(id, { 'event.notification.enabled': true });
    expect(res.status).toBe(400);
    expect(res.text).toContain('event.notification.callback.url');
    const bad = await patch(id, {
      ...eventsOn(),
      'event.poller.configuration': { incidents: { pageSize: 0 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('event.poller.configuration');
    expect(await h.snapshot()).toBe(before);
    expect(await h.deps.stateTable.get(scheduleKey(id))).toBeUndefined();
  });

  it('polls only the due instances, found through the gsi1 due-time index', async () => {
    const first = await create(eventsOn());
    await runPoller(h.deps); // polled: next due in 15 minutes
    advance(MINUTE);
    const second = await create(eventsOn({ incidents: {}, problems: {} }));

    const queries: QueryInput[] = [];
    const table = h.deps.stateTable;
    const spied: StateTable = {
      get: (key) => table.get(key),
      put: (item, options) => table.put(item, options),
      update: (key, set, options) => table.update(key, set, options),
      delete: (key, options) => table.delete(key, options),
      query: (input) => {
        queries.push(input);
        return table.query(input);
      },
      acquireLease: (key, request) => table.acquireLease(key, request),
      releaseLease: (key, holder) => table.releaseLease(key, holder),
    };
    const run = await runPoller({ ...h.deps, stateTable: spied });
    expect(run.polled.map((s) => s.instanceId)).toEqual([second]);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatchObject({ pk: POLL_DUE, index: 'gsi1', sk: { lte: expect.any(String) } });

    advance(14 * MINUTE); // the first is due now, the second a minute later
    const later = await runPoller(h.deps);
    expect(later.polled.map((s) => s.instanceId)).toEqual([first]);
    expect((await h.deps.stateTable.get(scheduleKey(first)))?.dueAt).toBe(
      new Date(h.sim.clock.now().getTime() + 15 * MINUTE).toISOString(),
    );
  });

  it('polls a healthy instance although another has bad credentials, and records the error', async () => {
    const bad = await create(eventsOn());
    const good = await create(eventsOn());
    // The stored password is no longer accepted by ServiceNow (changed there).
    const store = createInstanceStore(h.deps);
    const record = await store.get(bad);
    const secret = record && (await store.loadSecret(record));
    if (!record || secret?.auth.type !== 'basic') throw new Error('instance not stored as expected');
    await store.saveSecret(record, {
      ...secret,
      auth: { ...secret.auth, password: 'changed-in-servicenow' },
    });
    forgetInstanceClient(bad);
    advance(1_000);
    const incident = insert('incident', { short_description: 'for both' });
    advance(1_000);

    const run = await runPoller(h.deps);
    const byId = new Map(run.polled.map((s) => [s.instanceId, s]));
    expect(byId.get(bad)?.errors.length).toBeGreaterThan(0);
    expect(byId.get(bad)?.errors[0]?.status).toBe(401);
    expect(byId.get(good)?.errors).toEqual([]);
    expect(eventsFor(good)).toEqual([`incidents:${sysId(incident)}:CREATED`]);
    expect(eventsFor(bad)).toEqual([]);
    const status = await h.deps.stateTable.get({ pk: `EVENTS#${bad}`, sk: 'STATUS' });
    expect(JSON.stringify(status?.errors)).toContain('re-authorize');
    // Both stay in the index for their next interval, the failed one included.
    for (const id of [bad, good]) expect(await h.deps.stateTable.get(scheduleKey(id))).toBeDefined();
    const view = (await h.call('GET', `/instances/${bad}`, { auth: aliceAuth })).json() as { valid: boolean };
    expect(view.valid).toBe(false);
  });

  it('moves on from an instance whose ServiceNow is too slow, within its time budget', async () => {
    const slowSim = await startSimulator({ data: false });
    try {
      const slow = await create({ ...eventsOn(), 'servicenow.subdomain': slowSim.url });
      const fast = await create(eventsOn());
      advance(1_000);
      const incident = insert('incident', { short_description: 'for the fast one' });
      advance(1_000);
      slowSim.faults.inject({ kind: 'latency', ms: 1_500 }, { times: 20 });

      // One at a time, the slow instance first: without a budget the fast one would wait behind it.
      const run = await runPoller(h.deps, { concurrency: 1, instanceBudgetMs: 300 });
      expect(run.polled.map((s) => s.instanceId)).toEqual([slow, fast]);
      expect(run.polled[0]?.errors).toEqual([
        expect.objectContaining({ status: 504, message: expect.stringContaining('budget') }),
      ]);
      expect(eventsFor(fast)).toEqual([`incidents:${sysId(incident)}:CREATED`]);
      const status = await h.deps.stateTable.get({ pk: `EVENTS#${slow}`, sk: 'STATUS' });
      expect(JSON.stringify(status?.errors)).toContain('budget');
    } finally {
      slowSim.faults.clear();
      await slowSim.close();
    }
  });

  it('applies a PATCH of event.poller.configuration on the next poll', async () => {
    const id = await create(eventsOn({ incidents: {} }));
    advance(1_000);
    const incident = insert('incident', { short_description: 'polled as configured' });
    advance(1_000);
    await runPoller(h.deps);
    expect(eventsFor(id)).toEqual([`incidents:${sysId(incident)}:CREATED`]);

    const res = await patch(id, { 'event.poller.configuration': { problems: {} } });
    expect(res.status, res.text).toBe(200);
    advance(15 * MINUTE);
    await runPoller(h.deps); // the first poll with problems: its stream starts now
    advance(1_000);
    const problem = insert('problem', { short_description: 'now polled' });
    insert('incident', { short_description: 'no longer polled' });
    advance(15 * MINUTE);
    const run = await runPoller(h.deps);
    expect(run.polled[0]?.streams.map((s) => s.stream)).toEqual(['problems']);
    expect(eventsFor(id)).toEqual([
      `incidents:${sysId(incident)}:CREATED`,
      `problems:${sysId(problem)}:CREATED`,
    ]);
  });

  it('POST /instances/{id}/events/poll polls now and returns what it queued', async () => {
    const id = await create(eventsOn());
    const plain = await create({});
    advance(1_000);
    const incident = insert('incident', { short_description: 'poll me now' });
    advance(1_000);

    const res = await h.call('POST', `/instances/${id}/events/poll`, { auth: aliceAuth });
    expect(res.status, res.text).toBe(200);
    const summary = res.json() as {
      instanceId: number;
      queued: number;
      streams: unknown[];
      errors: unknown[];
    };
    expect(summary).toMatchObject({ instanceId: id, queued: 1, errors: [] });
    expect(summary.streams).toEqual([expect.objectContaining({ stream: 'incidents', events: 1 })]);
    expect(eventsFor(id)).toEqual([`incidents:${sysId(incident)}:CREATED`]);

    const again = await h.call('POST', `/instances/${id}/events/poll`, { auth: aliceAuth });
    expect((again.json() as { queued: number }).queued).toBe(0);
    expect((await h.call('POST', `/instances/${id}/events/poll`, { auth: bobAuth })).status).toBe(404);
    const notEnabled = await h.call('POST', `/instances/${plain}/events/poll`, { auth: aliceAuth });
    expect(notEnabled.status).toBe(409);
    expect(notEnabled.text).toContain('event.notification.enabled');
  });

  it('drops deleted instances from the index', async () => {
    const id = await create(eventsOn());
    await pollInstanceNow(h.deps, (await createInstanceStore(h.deps).get(id)) ?? expect.fail('stored'));
    expect(await h.deps.stateTable.get({ pk: `EVENTS#${id}`, sk: 'STATUS' })).toBeDefined();
    expect((await h.call('DELETE', `/instances/${id}`, { auth: aliceAuth })).status).toBe(200);
    for (const sk of ['SCHEDULE', 'STATUS', 'DELETES', 'CHECKPOINT#incidents']) {
      expect(await h.deps.stateTable.get({ pk: `EVENTS#${id}`, sk })).toBeUndefined();
    }
    expect((await runPoller(h.deps)).polled).toEqual([]);
  });

  it('reads no secret to poll, the secret once for repeated deliveries, and again after a PATCH', async () => {
    const id = await create({ ...eventsOn(), 'event.notification.signature.key': 'first-key' });
    let reads = 0;
    const inner = h.deps.secretStore;
    const counting = {
      ...inner,
      get: (name: string) => {
        reads++;
        return inner.get(name);
      },
    };
    const deps = { ...h.deps, secretStore: counting };
    const load = eventsTargetLoader(deps);
    const access = eventsInstanceAccess(deps);
    const record = (await access.get(id)) ?? expect.fail('stored');
    for (let i = 0; i < 3; i++) {
      expect((await load(id))?.configuration['event.notification.signature.key']).toBe('first-key');
      expect((await access.configuration(record))['event.notification.signature.key']).toBeUndefined();
    }
    expect(reads).toBe(1);
    advance(1_000);
    expect((await patch(id, { 'event.notification.signature.key': 'second-key' })).status).toBe(200);
    expect((await load(id))?.configuration['event.notification.signature.key']).toBe('second-key');
    expect(reads).toBe(2);
  });
});
