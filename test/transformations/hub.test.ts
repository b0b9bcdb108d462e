/**
 * A common resource served by the hub, its events and its OpenAPI entry, through real HTTP (local mode +
 * simulator): mapped names both ways, type conversion (numbers, booleans, dates with masks), CEQL on
 * common names, remove, computed fields, events carrying transformed records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_BASE_PATH, HUB_PREFIX, ROUTES } from '../../functions/routes';
import { createLocalQueue, type LocalQueue } from '../../shared/adapters/local';
import { findElement } from '../../shared/elements';
import type { EventMessage } from '../../shared/events';
import { createInstanceStore } from '../../shared/instances';
import { buildOpenApiDocument, instanceDocument } from '../../shared/openapi';
import { documentedCommonResources, findCommonResource } from '../../shared/transformations';
import { startXformHarness, type XformHarness } from './harness';

const T0 = new Date('2027-03-02T10:00:00Z');
let h: XformHarness;
let queue: LocalQueue;
let incidentId: string;

const definition = {
  fields: [
    { path: 'title', type: 'string' },
    { path: 'priority', type: 'number' },
    { path: 'reassignments', type: 'number' },
    { path: 'active', type: 'boolean' },
    { path: 'opened', type: 'date' },
    { path: 'reported', type: 'date' },
    { path: 'details.category', type: 'string' },
    { path: 'number', type: 'string' },
    { path: 'notes', type: 'string' },
    { path: 'label', type: 'string' },
  ],
};

const transformation = {
  vendorName: 'incident',
  fields: [
    { path: 'title', type: 'string', vendorPath: 'short_description' },
    { path: 'priority', type: 'number', vendorPath: 'priority' },
    { path: 'reassignments', type: 'number', vendorPath: 'reassignment_count' },
    { path: 'active', type: 'boolean', vendorPath: 'active' },
    { path: 'opened', type: 'date', vendorPath: 'opened_at', vendorType: 'date' },
    // A date kept as text in a string column, with its own mask.
    {
      path: 'reported',
      type: 'date',
      vendorPath: 'subcategory',
      vendorType: 'date',
      mask: 'dd/MM/yyyy HH:mm',
    },
    { path: 'details.category', type: 'string', vendorPath: 'category' },
    {
      path: 'number',
      type: 'string',
      vendorPath: 'number',
      configuration: [{ type: 'remove', properties: { fromVendor: false, toVendor: true } }],
    },
    {
      path: 'notes',
      type: 'string',
      vendorPath: 'description',
      configuration: [{ type: 'remove', properties: { fromVendor: true, toVendor: false } }],
    },
    { path: 'label', type: 'string', expression: "number & ': ' & short_description" },
  ],
  configuration: [{ type: 'addToDocumentation' }],
};

beforeAll(async () => {
  h = await startXformHarness();
  h.sim.clock.set(T0);
  h.sim.clock.freeze();
  queue = createLocalQueue({ name: 'xform-events' });
  h.deps.eventsQueue = queue;
  const def = await h.platform('POST', '/accounts/objects/myTickets/definitions', definition);
  expect(def.status, def.text).toBe(200);
  const t = await h.platform(
    'POST',
    '/accounts/alice/elements/servicenow/transformations/myTickets',
    transformation,
  );
  expect(t.status, t.text).toBe(200);
  incidentId = String(
    h.sim.db.insert(
      'incident',
      {
        short_description: 'Printer on fire',
        priority: '2',
        reassignment_count: '3',
        active: 'true',
        opened_at: '2027-03-01 08:30:00',
        subcategory: '28/02/2027 17:45',
        category: 'hardware',
        description: 'internal',
      },
      { userName: 'admin' },
    ).sys_id,
  );
  h.sim.db.insert(
    'incident',
    { short_description: 'Mouse missing', priority: '4', active: 'false', category: 'software' },
    { userName: 'admin' },
  );
});
afterAll(async () => {
  await queue?.close();
  await h?.close();
});

const message = (res: { json: <T>() => T }) => res.json<{ message: string }>().message;

describe('hub on a common resource', () => {
  it('lists and gets records with common names and converted types', async () => {
    const list = await h.hub('GET', '/hubs/helpdesk/myTickets?orderBy=priority');
    expect(list.status, list.text).toBe(200);
    expect(list.headers.get('Elements-Returned-Count')).toBe('2');
    const [first] = list.json<Record<string, unknown>[]>();
    expect(first).toEqual({
      id: incidentId,
      title: 'Printer on fire',
      priority: 2,
      reassignments: 3,
      active: true,
      opened: '2027-03-01T08:30:00.000Z',
      reported: '2027-02-28T17:45:00.000Z',
      details: { category: 'hardware' },
      number: expect.stringMatching(/^INC/),
      label: expect.stringMatching(/^INC\d+: Printer on fire$/),
    });
    const one = await h.hub('GET', `/myTickets/${incidentId}`);
    expect(one.status, one.text).toBe(200);
    expect(one.json()).toEqual(first);
    const some = await h.hub('GET', `/myTickets/${incidentId}?fields=title,details`);
    expect(some.json()).toEqual({
      id: incidentId,
      title: 'Printer on fire',
      details: { category: 'hardware' },
    });
  });

  it('translates CEQL on common names and refuses unknown ones', async () => {
    const q = (where: string) => h.hub('GET', `/hubs/helpdesk/myTickets?where=${encodeURIComponent(where)}`);
    const titles = async (where: string) => {
      const res = await q(where);
      expect(res.status, res.text).toBe(200);
      return res.json<{ title: string }[]>().map((r) => r.title);
    };
    expect(await titles("details.category = 'software'")).toEqual(['Mouse missing']);
    expect(await titles('priority < 3 and active = true')).toEqual(['Printer on fire']);
    expect(await titles("opened < '2027-03-02T00:00:00Z'")).toEqual(['Printer on fire']);
    const unknown = await q("owner = 'x'");
    expect(unknown.status).toBe(400);
    expect(message(unknown)).toMatch(/Unknown field 'owner'/);
    const computed = await q("label = 'x'");
    expect(computed.status).toBe(400);
    expect(message(computed)).toMatch(/cannot be used in a query/);
    const removed = await q("notes = 'x'");
    expect(message(removed)).toMatch(/removed/);
    expect((await h.hub('GET', '/myTickets?orderBy=owner')).status).toBe(400);
  });

  it('creates, updates, replaces and deletes through the mapping', async () => {
    const created = await h.hub('POST', '/hubs/helpdesk/myTickets', {
      id: 'ignored',
      title: 'Server down',
      priority: '1',
      active: false,
      reported: '2027-03-02T09:15:00Z',
      details: { category: 'network' },
      number: 'INC-NOT-WRITTEN',
      notes: 'sent but never read back',
      unmapped: 'dropped',
    });
    expect(created.status, created.text).toBe(200);
    const body = created.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      title: 'Server down',
      priority: 1,
      active: false,
      details: { category: 'network' },
    });
    expect(body).not.toHaveProperty('notes');
    const id = String(body.id);
    const stored = h.sim.db.get('incident', id) ?? {};
    expect(stored).toMatchObject({
      short_description: 'Server down',
      priority: '1',
      active: 'false',
      subcategory: '02/03/2027 09:15',
      category: 'network',
      description: 'sent but never read back',
    });
    expect(stored.number).not.toBe('INC-NOT-WRITTEN');
    expect(stored).not.toHaveProperty('unmapped');

    const patched = await h.hub('PATCH', `/myTickets/${id}`, { priority: 3, active: 'true' });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json()).toMatchObject({ id, title: 'Server down', priority: 3, active: true });
    const bad = await h.hub('PATCH', `/myTickets/${id}`, { priority: 'high' });
    expect(bad.status).toBe(400);
    expect(message(bad)).toMatch(/Field 'priority' expects a number/);
    const badDate = await h.hub('PUT', `/myTickets/${id}`, { reported: 'yesterday' });
    expect(badDate.status).toBe(400);
    const replaced = await h.hub('PUT', `/myTickets/${id}`, { title: 'Server up' });
    expect(replaced.json()).toMatchObject({ title: 'Server up' });

    const deleted = await h.hub('DELETE', `/hubs/helpdesk/myTickets/${id}`);
    expect(deleted.status).toBe(200);
    expect(h.sim.db.get('incident', id)).toBeUndefined();
    expect((await h.hub('GET', `/myTickets/${id}`)).status).toBe(404);
  });

  it('leaves other resources alone and stops serving the name once the transformation is gone', async () => {
    const raw = await h.hub('GET', `/incidents/${incidentId}`);
    expect(raw.json()).toMatchObject({ short_description: 'Printer on fire', priority: '2' });
    const instance = (await createInstanceStore(h.deps).get(h.instanceId))!;
    expect(await findCommonResource(h.deps.stateTable, instance, 'incidents')).toBeUndefined();
    // Another user's account-level transformation does not apply to alice's instance.
    expect(
      await findCommonResource(h.deps.stateTable, { ...instance, ownerUserId: 'bob' }, 'myTickets'),
    ).toBeUndefined();
  });
});

describe('events and documentation of a common resource', () => {
  it('queues events whose records are transformed', async () => {
    // Events start when enabled: the records written so far are history.
    h.sim.clock.advance(60_000);
    const events = await h.provision({
      'event.notification.enabled': true,
      'event.notification.callback.url': 'http://127.0.0.1:9/events',
      'event.poller.configuration': { myTickets: {} },
    });
    h.sim.clock.advance(60_000);
    const inserted = h.sim.db.insert(
      'incident',
      { short_description: 'Coffee machine', priority: '3', active: 'true', category: 'hardware' },
      { userName: 'admin' },
    );
    const poll = await h.platform('POST', `/instances/${events.id}/events/poll`);
    expect(poll.status, poll.text).toBe(200);
    expect(poll.json<{ errors: unknown[] }>().errors).toEqual([]);
    const messages = queue.peek().map((m) => JSON.parse(m.body) as EventMessage);
    const mine = messages.filter((m) => m.message.instanceId === events.id);
    expect(mine).toHaveLength(1);
    const { message: msg } = mine[0]!;
    expect(msg.events).toEqual([
      expect.objectContaining({ objectType: 'myTickets', objectId: inserted.sys_id, eventType: 'CREATED' }),
    ]);
    expect(msg.raw.objectType).toBe('myTickets');
    expect(msg.raw.myTickets).toEqual([
      expect.objectContaining({
        id: inserted.sys_id,
        title: 'Coffee machine',
        priority: 3,
        active: true,
        details: { category: 'hardware' },
      }),
    ]);
    expect((msg.raw.myTickets as Record<string, unknown>[])[0]).not.toHaveProperty('short_description');
  });

  it('names an unknown common resource in the poll errors', async () => {
    const events = await h.provision({
      'event.notification.enabled': true,
      'event.notification.callback.url': 'http://127.0.0.1:9/events',
      'event.poller.configuration': { noSuchThing: {} },
    });
    const poll = await h.platform('POST', `/instances/${events.id}/events/poll`);
    expect(poll.json<{ errors: { stream: string; message: string }[] }>().errors).toEqual([
      expect.objectContaining({
        stream: 'noSuchThing',
        message: expect.stringMatching(/not a resource, table or common resource/),
      }),
    ]);
  });

  it('adds the common resource to the instance OpenAPI document', async () => {
    const instance = (await createInstanceStore(h.deps).get(h.instanceId))!;
    const commons = await documentedCommonResources(h.deps.stateTable, instance);
    expect(commons.map((c) => [c.name, c.vendorName])).toEqual([['myTickets', 'incident']]);
    const element = findElement('servicenow')!;
    const base = buildOpenApiDocument({
      routes: ROUTES,
      basePath: API_BASE_PATH,
      hubPrefix: HUB_PREFIX,
      element,
      version: 'test',
    });
    const doc = instanceDocument(base, { id: instance.id, name: instance.name }, undefined, commons, {
      basePath: API_BASE_PATH,
      hubPrefix: HUB_PREFIX,
    });
    const list = doc.paths[`${API_BASE_PATH}${HUB_PREFIX}/myTickets`];
    expect(list?.get?.responses['200']).toBeDefined();
    expect(Object.keys(doc.paths[`${API_BASE_PATH}/myTickets/{id}`] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'patch',
      'put',
    ]);
    const schema = doc.components.schemas.Common_myTickets as {
      properties: Record<string, { type: unknown }>;
    };
    expect(schema.properties.priority?.type).toEqual(['number', 'null']);
    expect(Object.keys(schema.properties)).not.toContain('notes');
    expect(schema.properties.details).toMatchObject({ type: 'object' });
    // Without addToDocumentation it is not listed.
    const t = await h.platform('GET', '/accounts/alice/elements/servicenow/transformations/myTickets');
    await h.platform('PUT', '/accounts/alice/elements/servicenow/transformations/myTickets', {
      ...t.json<Record<string, unknown>>(),
      configuration: [],
    });
    expect(await documentedCommonResources(h.deps.stateTable, instance)).toEqual([]);
  });
});
