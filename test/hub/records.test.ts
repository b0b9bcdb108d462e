import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubHarness, startHubHarness } from './harness';

let h: HubHarness;
beforeAll(async () => {
  h = await startHubHarness({
    data: { incidents: 30, problems: 5, changes: 5, users: 20, groups: 5, companies: 5 },
  });
});
afterAll(() => h?.close());

type Row = Record<string, unknown> & { id: string };

describe('hub records: CRUD per resource family', () => {
  const families: [string, string, Record<string, string>, Record<string, string>][] = [
    [
      'incidents',
      'incident',
      { short_description: 'Printer on fire' },
      { short_description: 'Printer fixed' },
    ],
    ['accounts', 'core_company', { name: 'Acme Hub Test' }, { name: 'Acme Renamed' }],
    ['agents', 'sys_user', { user_name: 'agent.hub', roles: 'itil' }, { first_name: 'Agnes' }],
    ['contacts', 'sys_user', { user_name: 'contact.hub' }, { first_name: 'Connie' }],
    ['problems', 'problem', { short_description: 'Root cause?' }, { short_description: 'Root cause found' }],
    ['changes', 'change_request', { short_description: 'Patch Tuesday' }, { short_description: 'Patched' }],
    ['users', 'sys_user', { user_name: 'user.hub' }, { first_name: 'Ulla' }],
    ['groups', 'sys_user_group', { name: 'Hub Group' }, { name: 'Hub Group 2' }],
    ['sys_user_group', 'sys_user_group', { name: 'Generic Group' }, { name: 'Generic Group 2' }],
  ];

  for (const [resource, table, create, patch] of families) {
    it(`${resource} (${table}): POST 200, GET, PATCH, PUT, list, DELETE, then 404`, async () => {
      for (const prefix of ['/hubs/helpdesk', '']) {
        const created = await h.hub('POST', `${prefix}/${resource}`, { body: create });
        expect(created.status, created.text).toBe(200);
        expect(created.headers.get('elements-element-instance-id')).toBe(String(h.instanceId));
        const record = created.json<Row>();
        expect(Object.keys(record)[0]).toBe('id');
        expect(record.id).toBe(record.sys_id);
        expect(record).toMatchObject(create);
        expect(h.sim.db.get(table, record.id)).toBeDefined();

        const got = await h.hub('GET', `${prefix}/${resource}/${record.id}`);
        expect(got.status, got.text).toBe(200);
        expect(got.json<Row>()).toMatchObject({ id: record.id, ...create });

        const patched = await h.hub('PATCH', `${prefix}/${resource}/${record.id}`, { body: patch });
        expect(patched.status, patched.text).toBe(200);
        expect(patched.json<Row>()).toMatchObject({ id: record.id, ...patch });

        const replaced = await h.hub('PUT', `${prefix}/${resource}/${record.id}`, {
          body: { ...patched.json<Row>(), description: 'put' },
        });
        expect(replaced.status, replaced.text).toBe(200);
        expect(replaced.json<Row>().id).toBe(record.id);

        const listed = await h.hub(
          'GET',
          `${prefix}/${resource}?where=${encodeURIComponent(`sys_id='${record.id}'`)}`,
        );
        expect(listed.status, listed.text).toBe(200);
        expect(listed.json<Row[]>().map((r) => r.id)).toEqual([record.id]);

        const deleted = await h.hub('DELETE', `${prefix}/${resource}/${record.id}`);
        expect(deleted.status, deleted.text).toBe(200);
        expect(deleted.json()).toEqual({});
        expect(h.sim.db.get(table, record.id)).toBeUndefined();
        const gone = await h.hub('GET', `${prefix}/${resource}/${record.id}`);
        expect(gone.status).toBe(404);
        expect(gone.json<{ providerMessage?: string }>().providerMessage).toEqual(expect.any(String));
      }
    });
  }
});
