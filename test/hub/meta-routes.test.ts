import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUB, type MetaHarness, startMetaHarness } from './meta-harness';

/** GET /objects and GET /objects/{objectName}/metadata over real HTTP (local mode + simulator). */
let h: MetaHarness;
beforeAll(async () => {
  h = await startMetaHarness();
});
afterAll(() => h?.close());

interface Field {
  vendorPath: string;
  type: string;
  vendorNativeType: string;
  vendorDisplayName: string;
  vendorRequired: boolean;
  vendorReadOnly: boolean;
  reference?: string;
  choices?: { value: string; label: string }[];
  maxLength?: number;
}

describe('GET /objects/{objectName}/metadata', () => {
  it('merges task fields into incidents (hub resource name), with choices and reference targets', async () => {
    const res = await h.call('GET', `${HUB}/objects/incidents/metadata`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('elements-element-instance-id')).toBe('1');
    const body = res.json() as { vendorName: string; hierarchy: string[]; fields: Field[] };
    expect(body.vendorName).toBe('incident');
    expect(body.hierarchy).toEqual(['incident', 'task']);
    const byName = new Map(body.fields.map((f) => [f.vendorPath, f]));
    for (const inherited of ['number', 'short_description', 'sys_id', 'sys_updated_on', 'assigned_to'])
      expect(byName.has(inherited), inherited).toBe(true);
    expect(byName.get('number')).toMatchObject({ vendorNativeType: 'string', vendorDisplayName: 'Number' });
    expect(byName.get('caller_id')).toMatchObject({ reference: 'sys_user', type: 'string' });
    expect(byName.get('sys_created_on')).toMatchObject({ type: 'date-time', vendorReadOnly: true });
    expect(byName.get('state')?.choices).toContainEqual({ value: '6', label: 'Resolved' });
    expect(byName.get('short_description')?.maxLength).toBeGreaterThan(0);
  });

  it('takes raw table names at the bare path too, and answers 404 for an unknown table', async () => {
    const res = await h.call('GET', '/objects/sys_user_group/metadata');
    expect(res.status, res.text).toBe(200);
    expect((res.json() as { fields: Field[] }).fields.map((f) => f.vendorPath)).toContain('name');
    const missing = await h.call('GET', `${HUB}/objects/no_such_table/metadata`);
    expect(missing.status).toBe(404);
    expect((missing.json() as { message: string }).message).toMatch(/no_such_table/);
    expect((await h.call('GET', `${HUB}/objects/Bad%5EName/metadata`)).status).toBe(404);
  });
});

describe('GET /objects', () => {
  it('lists hub resources then readable tables; Helium adds vendorName and source', async () => {
    const res = await h.call('GET', `${HUB}/objects`);
    expect(res.status, res.text).toBe(200);
    const names = res.json() as string[];
    expect(names.slice(0, 3)).toEqual(['incidents', 'accounts', 'agents']);
    expect(names).toEqual(expect.arrayContaining(['incident', 'task', 'sys_user', 'sys_db_object']));
    const tables = names.filter(
      (n) =>
        !['incidents', 'accounts', 'agents', 'contacts', 'problems', 'changes', 'users', 'groups'].includes(
          n,
        ),
    );
    expect(tables).toEqual([...tables].sort());

    const helium = await h.call('GET', `${HUB}/objects`, { headers: { 'Elements-Version': 'Helium' } });
    const entries = helium.json() as { name: string; vendorName: string; source: string }[];
    expect(entries[0]).toEqual({ name: 'incidents', vendorName: 'incident', source: 'hub' });
    expect(entries).toContainEqual({
      name: 'change_request',
      vendorName: 'change_request',
      source: 'vendor',
    });
  });

  it('serves the list from the per-instance cache (no new ServiceNow calls)', async () => {
    const before = h.sim.requests.length;
    expect((await h.call('GET', '/objects')).status).toBe(200);
    expect(h.sim.requests.slice(before).filter((r) => r.path.includes('sys_db_object'))).toEqual([]);
  });
});
