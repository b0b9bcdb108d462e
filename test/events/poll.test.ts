import { describe, expect, it } from 'vitest';
import { DELETES_PARTLY_HIDDEN, DELETES_UNREADABLE, loadCheckpoint, pollInstance } from '../../shared/events';
import { startedForEachTest } from '../helpers/lifecycle';
import {
  configFor,
  crashingStateTable,
  eventsOf,
  flakyQueue,
  insert,
  startEventsHarness,
  tick,
} from './harness';

const h = startedForEachTest(startEventsHarness);

const incidentsOnly = (extra: Record<string, unknown> = {}) => configFor({ incidents: extra });

describe('events poller: detection', () => {
  it('delivers nothing older than the moment events were enabled', async () => {
    for (let i = 0; i < 5; i++) insert(h.sim, 'incident', { short_description: `old ${i}` });
    tick(h.sim, 10);
    h.enabledAt = h.sim.clock.now();
    tick(h.sim, 1);

    const summary = await pollInstance(h.deps(), configFor(undefined));
    expect(summary.errors).toEqual([]);
    expect(summary.queued).toBe(0);
    expect(h.messages()).toEqual([]);
    // Every default resource got its checkpoint at the enabled-at moment.
    const checkpoint = await loadCheckpoint(h.stateTable, 42, 'incidents');
    expect(checkpoint?.updatedOn).toBe('2027-03-02 10:00:10');
    expect(summary.streams.map((s) => s.stream).sort()).toEqual(
      ['accounts', 'agents', 'changes', 'contacts', 'groups', 'incidents', 'problems', 'users'].sort(),
    );
  });

  it('classifies CREATED, UPDATED and DELETED with the CE message shape', async () => {
    const config = incidentsOnly();
    await pollInstance(h.deps(), config);
    tick(h.sim);
    const created = insert(h.sim, 'incident', { short_description: 'printer on fire' });
    // Rows of one second come in sys_id order (random ids); a second apart keeps this test's order fixed.
    tick(h.sim);
    const doomed = insert(h.sim, 'incident', { short_description: 'will be deleted' });
    await pollInstance(h.deps(), config);
    tick(h.sim);
    h.sim.db.update(
      'incident',
      created.sys_id ?? '',
      { short_description: 'printer still on fire' },
      { userName: 'admin' },
    );
    h.sim.db.delete('incident', doomed.sys_id ?? '', { userName: 'admin' });
    const summary = await pollInstance(h.deps(), config);
    expect(summary.errors).toEqual([]);
    expect(summary.deletes?.readable).toBe(true);

    const events = eventsOf(h.messages()).map(({ objectId, eventType }) => [objectId, eventType]);
    expect(events).toEqual([
      [created.sys_id, 'CREATED'],
      [doomed.sys_id, 'CREATED'],
      [created.sys_id, 'UPDATED'],
      [doomed.sys_id, 'DELETED'],
    ]);
    const [first] = h.messages();
    expect(first?.message).toMatchObject({
      instanceId: 42,
      elementKey: 'servicenow',
      events: [
        {
          objectType: 'incidents',
          objectId: created.sys_id,
          eventType: 'CREATED',
          elementKey: 'servicenow',
          date: '2027-03-02T10:00:01Z',
        },
        { objectType: 'incidents', objectId: doomed.sys_id, eventType: 'CREATED' },
      ],
      raw: {
        objectType: 'incidents',
        incidents: [{ sys_id: created.sys_id, short_description: 'printer on fire' }, {}],
      },
    });
    expect(first?.message.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('with nothing changed costs one ServiceNow request per resource plus one deletes request per instance', async () => {
    const config = configFor(undefined);
    insert(h.sim, 'incident', { short_description: 'a' });
    await pollInstance(h.deps(), config);
    tick(h.sim, 60);
    h.sim.requests.splice(0);

    const summary = await pollInstance(h.deps({ now: h.sim.clock.now() }), config);
    expect(summary.errors).toEqual([]);
    expect(summary.queued).toBe(0);
    const paths = h.sim.requests.map((r) => r.path).sort();
    expect(paths).toEqual(
      [
        '/api/now/table/change_request',
        '/api/now/table/core_company',
        '/api/now/table/incident',
        '/api/now/table/problem',
        '/api/now/table/sys_audit_delete',
        '/api/now/table/sys_user',
        '/api/now/table/sys_user',
        '/api/now/table/sys_user',
        '/api/now/table/sys_user_group',
      ].sort(),
    );
  });

  it('delivers 500 rows sharing one second exactly once across page boundaries and polls', async () => {
    const config = incidentsOnly({ pageSize: 70 });
    await pollInstance(h.deps(), config);
    tick(h.sim);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++)
      ids.push(insert(h.sim, 'incident', { short_description: `same second ${i}` }).sys_id ?? '');
    await pollInstance(h.deps(), config);
    // Same second, after the first poll: 200 new rows and 50 updates of rows already delivered.
    for (let i = 0; i < 200; i++)
      ids.push(insert(h.sim, 'incident', { short_description: `late ${i}` }).sys_id ?? '');
    for (const id of ids.slice(0, 50))
      h.sim.db.update('incident', id, { urgency: '1' }, { userName: 'admin' });
    const second = await pollInstance(h.deps(), config);
    const third = await pollInstance(h.deps(), config);

    const events = eventsOf(h.messages());
    const keys = events.map((e) => `${e.objectId}|${e.mod}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(events).toHaveLength(550);
    expect(events.filter((e) => e.eventType === 'UPDATED')).toHaveLength(50);
    expect(new Set(events.map((e) => e.objectId))).toEqual(new Set(ids));
    expect(second.queued).toBe(250);
    expect(third.queued).toBe(0);
    expect(h.messages().every((m) => m.message.events.length <= 10)).toBe(true);
  });
});

describe('events poller: at-least-once delivery', () => {
  it('retries messages the queue refuses and loses none', async () => {
    const config = incidentsOnly({ pageSize: 50 });
    await pollInstance(h.deps(), config);
    tick(h.sim);
    for (let i = 0; i < 200; i++) insert(h.sim, 'incident', { short_description: `n ${i}` });
    const flaky = flakyQueue(h.queue, 0.3);
    const summary = await pollInstance(h.deps({ queue: flaky.producer }), config);
    expect(flaky.stats.refused).toBeGreaterThan(0);
    expect(summary.errors).toEqual([]);
    const keys = eventsOf(h.messages()).map((e) => e.objectId);
    expect(new Set(keys).size).toBe(200);
    expect(keys).toHaveLength(200);
  });

  it('keeps the checkpoint at the last accepted message when the queue keeps refusing', async () => {
    const config = incidentsOnly({ pageSize: 100 });
    await pollInstance(h.deps(), config);
    tick(h.sim);
    for (let i = 0; i < 40; i++) insert(h.sim, 'incident', { short_description: `n ${i}` });
    const before = await loadCheckpoint(h.stateTable, 42, 'incidents');
    const down = flakyQueue(h.queue, 1);
    const failed = await pollInstance(h.deps({ queue: down.producer }), config);
    expect(failed.errors).toEqual([
      { stream: 'incidents', message: expect.stringMatching(/queue refused 4 event message/) },
    ]);
    expect((await loadCheckpoint(h.stateTable, 42, 'incidents'))?.updatedOn).toBe(before?.updatedOn);

    const recovered = await pollInstance(h.deps(), config);
    expect(recovered.errors).toEqual([]);
    expect(eventsOf(h.messages())).toHaveLength(40);
  });

  it('re-emits, never skips, after a crash between enqueue and checkpoint', async () => {
    const config = incidentsOnly({ pageSize: 30 });
    await pollInstance(h.deps(), config);
    tick(h.sim);
    for (let i = 0; i < 100; i++) insert(h.sim, 'incident', { short_description: `n ${i}` });
    // The first page's checkpoint write succeeds, the second page's dies.
    const crashed = await pollInstance(h.deps({ stateTable: crashingStateTable(h.stateTable, 1) }), config);
    expect(crashed.errors.map((e) => e.stream)).toContain('incidents');
    const afterCrash = eventsOf(h.messages()).length;
    expect(afterCrash).toBe(60);

    await pollInstance(h.deps(), config);
    const events = eventsOf(h.messages());
    const unique = new Set(events.map((e) => e.objectId));
    expect(unique.size).toBe(100);
    // Only the page whose checkpoint was lost comes again.
    expect(events.length - unique.size).toBe(30);
  });

  it('isolates a failing resource: the others are polled and the error is recorded', async () => {
    const config = configFor({ incidents: {}, problems: {} });
    await pollInstance(h.deps(), config);
    tick(h.sim);
    insert(h.sim, 'incident', { short_description: 'fine' });
    insert(h.sim, 'problem', { short_description: 'unlucky' });
    h.sim.faults.inject(
      { kind: 'status', status: 500, retryAfterSeconds: 0 },
      {
        times: 10,
        match: (req) => req.path.endsWith('/problem'),
      },
    );
    const summary = await pollInstance(h.deps(), config);
    expect(summary.errors).toEqual([{ stream: 'problems', status: 502, message: expect.any(String) }]);
    expect(eventsOf(h.messages()).map((e) => e.objectType)).toEqual(['incidents']);
    const status = await h.stateTable.get({ pk: 'EVENTS#42', sk: 'STATUS' });
    expect(status?.errors).toEqual([{ stream: 'problems', status: 502, message: expect.any(String) }]);

    h.sim.faults.clear();
    await pollInstance(h.deps(), config);
    expect(eventsOf(h.messages()).map((e) => e.objectType)).toEqual(['incidents', 'problems']);
  });
  it('two pollers racing on one instance lose nothing: the loser stops on the checkpoint version', async () => {
    const config = incidentsOnly({ pageSize: 20 });
    await pollInstance(h.deps(), config);
    tick(h.sim);
    for (let i = 0; i < 100; i++) insert(h.sim, 'incident', { short_description: `n ${i}` });
    const [a, b] = await Promise.all([pollInstance(h.deps(), config), pollInstance(h.deps(), config)]);
    const conflicts = [...a.errors, ...b.errors].filter((e) => /advanced by another poll/.test(e.message));
    expect(conflicts.length).toBeLessThanOrEqual(1);
    await pollInstance(h.deps(), config);
    expect(new Set(eventsOf(h.messages()).map((e) => e.objectId)).size).toBe(100);
  });
});

describe('events poller: deletes', () => {
  it('maps one sys_user delete to every resource polling sys_user', async () => {
    const config = configFor({ contacts: {}, users: {} });
    const user = insert(h.sim, 'sys_user', { user_name: 'gone', name: 'Gone Person' });
    await pollInstance(h.deps(), config);
    tick(h.sim);
    h.sim.db.delete('sys_user', user.sys_id ?? '', { userName: 'admin' });
    const summary = await pollInstance(h.deps(), config);
    expect(summary.errors).toEqual([]);
    const deleted = eventsOf(h.messages()).filter((e) => e.eventType === 'DELETED');
    expect(deleted.map((e) => [e.objectType, e.objectId])).toEqual([
      ['contacts', user.sys_id],
      ['users', user.sys_id],
    ]);
  });

  it('records that deletes are not detectable when sys_audit_delete is forbidden, without failing the poll', async () => {
    const config = incidentsOnly();
    await pollInstance(h.deps(), config);
    tick(h.sim);
    const doomed = insert(h.sim, 'incident', { short_description: 'x' });
    h.sim.db.delete('incident', doomed.sys_id ?? '', { userName: 'admin' });
    h.sim.faults.inject(
      { kind: 'forbidden' },
      { times: 1, match: (req) => req.path.endsWith('/sys_audit_delete') },
    );
    const summary = await pollInstance(h.deps(), config);
    expect(summary.errors).toEqual([]);
    expect(summary.deletes).toMatchObject({ readable: false, note: DELETES_UNREADABLE });
    expect((await loadCheckpoint(h.stateTable, 42, 'DELETES'))?.deletesReadable).toBe(false);
  });

  it('flags deletes as partly undetectable when ACLs hide audit rows', async () => {
    const config = incidentsOnly();
    await pollInstance(h.deps(), config);
    tick(h.sim);
    for (let i = 0; i < 20; i++) {
      const row = insert(h.sim, 'incident', { short_description: `x ${i}` });
      h.sim.db.delete('incident', row.sys_id ?? '', { userName: 'admin' });
    }
    h.sim.faults.setAcl({ hideFraction: 0.5, tables: ['sys_audit_delete'] });
    const summary = await pollInstance(h.deps(), config);
    expect(summary.errors).toEqual([]);
    expect(summary.deletes).toMatchObject({ readable: false, note: DELETES_PARTLY_HIDDEN });
    const deleted = eventsOf(h.messages()).filter((e) => e.eventType === 'DELETED');
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted.length).toBeLessThan(20);
  });
});

describe('events poller: configuration effects', () => {
  it('pollDelay re-reads seconds before the checkpoint: a late commit is delivered, nothing is repeated', async () => {
    const config = incidentsOnly({ pollDelay: 5 });
    await pollInstance(h.deps(), config);
    tick(h.sim, 10);
    const onTime = insert(h.sim, 'incident', { short_description: 'on time' });
    await pollInstance(h.deps(), config);
    // A transaction that started 3 s ago commits now: its row carries the older timestamp.
    tick(h.sim, -3);
    const late = insert(h.sim, 'incident', { short_description: 'late commit' });
    tick(h.sim, 4);
    await pollInstance(h.deps(), config);
    await pollInstance(h.deps(), config);
    expect(eventsOf(h.messages()).map((e) => e.objectId)).toEqual([onTime.sys_id, late.sys_id]);
  });

  it('filterByUpdatedDate false delivers CREATED events only', async () => {
    const config = incidentsOnly({ filterByUpdatedDate: false });
    await pollInstance(h.deps(), config);
    tick(h.sim);
    const row = insert(h.sim, 'incident', { short_description: 'new' });
    await pollInstance(h.deps(), config);
    tick(h.sim);
    h.sim.db.update('incident', row.sys_id ?? '', { urgency: '1' }, { userName: 'admin' });
    await pollInstance(h.deps(), config);
    expect(eventsOf(h.messages()).map((e) => e.eventType)).toEqual(['CREATED']);
  });

  it('a resource added to the configuration later starts at that poll, without replaying history', async () => {
    await pollInstance(h.deps(), incidentsOnly());
    tick(h.sim);
    insert(h.sim, 'problem', { short_description: 'before problems were polled' });
    tick(h.sim, 60);
    const both = configFor({ incidents: {}, problems: {} });
    await pollInstance(h.deps({ now: h.sim.clock.now() }), both);
    tick(h.sim);
    const fresh = insert(h.sim, 'problem', { short_description: 'after' });
    await pollInstance(h.deps({ now: h.sim.clock.now() }), both);
    expect(eventsOf(h.messages()).map((e) => [e.objectType, e.objectId])).toEqual([
      ['problems', fresh.sys_id],
    ]);
  });
});
