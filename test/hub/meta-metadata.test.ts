import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ceqlToEncodedQuery } from '../../shared/ceql';
import {
  fieldCatalogFor,
  listTables,
  loadRelatedMetadata,
  loadTableMetadata,
  MetadataCache,
  TtlCache,
} from '../../shared/hub/metadata';
import { createOutboundAgent, parseAllowedHosts } from '../../shared/net';
import type { ServiceNowClient } from '../../shared/servicenow';
import { adminClient } from '../servicenow/helpers/fake-server';
import { type SimulatorHandle, startSimulator } from '../simulator';
import type { FaultSource } from '../simulator/faults';
import { stableSysId } from '../simulator/store/metadata';

/** loadTableMetadata / fieldCatalogFor against the simulator's sys_db_object/sys_dictionary/sys_choice. */
let sim: SimulatorHandle;
let client: ServiceNowClient;
const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts('127.0.0.1') });

beforeAll(async () => {
  sim = await startSimulator({ data: false });
  client = adminClient(sim.url, agent);
});
afterAll(async () => {
  await sim?.close();
  await agent.close();
});

const metadataCalls = () =>
  sim.requests.filter((r) => /sys_db_object|sys_dictionary|sys_choice/.test(r.path)).length;

describe('loadTableMetadata', () => {
  it('merges task fields into incident, with choices, references and the incident override of state', async () => {
    const meta = await loadTableMetadata(client, 'incident', new MetadataCache());
    expect(meta.table).toBe('incident');
    expect(meta.hierarchy).toEqual(['incident', 'task']);
    const byName = new Map(meta.fields.map((f) => [f.vendorPath, f]));
    expect(byName.get('number')).toMatchObject({
      definedOn: 'task',
      vendorNativeType: 'string',
      type: 'string',
    });
    expect(byName.get('short_description')).toMatchObject({ definedOn: 'task', label: 'Short description' });
    expect(byName.get('sys_id')).toMatchObject({ readOnly: true, vendorReadOnly: true });
    expect(byName.get('sys_created_on')).toMatchObject({
      type: 'date-time',
      vendorNativeType: 'glide_date_time',
    });
    expect(byName.get('caller_id')).toMatchObject({ reference: 'sys_user', vendorNativeType: 'reference' });
    const state = byName.get('state');
    expect(state?.choices?.map((c) => c.label)).toEqual([
      'New',
      'In Progress',
      'On Hold',
      'Resolved',
      'Closed',
      'Canceled',
    ]);
    expect(meta.fields.filter((f) => f.vendorPath === '')).toEqual([]);
    // No duplicates after the merge.
    expect(new Set(meta.fields.map((f) => f.vendorPath)).size).toBe(meta.fields.length);
  });

  it('answers 404 for an unknown table and for a name that cannot be a table', async () => {
    await expect(loadTableMetadata(client, 'no_such_table', new MetadataCache())).rejects.toMatchObject({
      status: 404,
    });
    await expect(loadTableMetadata(client, 'Incident^ORDERBYx', new MetadataCache())).rejects.toMatchObject({
      status: 404,
    });
  });

  it('caches per scope and shares the parent between children; concurrent loads share one flight', async () => {
    const cache = new MetadataCache();
    const before = metadataCalls();
    const [a, b] = await Promise.all([
      loadTableMetadata(client, 'incident', cache, { scope: '1' }),
      loadTableMetadata(client, 'incident', cache, { scope: '1' }),
    ]);
    expect(a).toBe(b);
    const first = metadataCalls() - before;
    await loadTableMetadata(client, 'incident', cache, { scope: '1' });
    expect(metadataCalls() - before).toBe(first);
    // problem reuses task from the cache: 3 calls (own row, own dictionary, own choices).
    const mid = metadataCalls();
    await loadTableMetadata(client, 'problem', cache, { scope: '1' });
    expect(metadataCalls() - mid).toBe(3);
    // Another scope loads again.
    await loadTableMetadata(client, 'incident', cache, { scope: '2' });
    expect(metadataCalls() - mid).toBe(3 + first);
  });

  it('expires entries after the TTL and drops failed loads', async () => {
    let now = 0;
    const cache = new MetadataCache({ ttlMs: 1000, now: () => now });
    await loadTableMetadata(client, 'sys_user_group', cache);
    const before = metadataCalls();
    await loadTableMetadata(client, 'sys_user_group', cache);
    expect(metadataCalls()).toBe(before);
    now = 1001;
    await loadTableMetadata(client, 'sys_user_group', cache);
    expect(metadataCalls()).toBeGreaterThan(before);
    sim.faults.inject({ kind: 'status', status: 500 }, { times: 5 });
    await expect(loadTableMetadata(client, 'core_company', cache)).rejects.toMatchObject({ status: 502 });
    sim.faults.clear();
    expect((await loadTableMetadata(client, 'core_company', cache)).table).toBe('core_company');
  });
});

describe('loadTableMetadata under ACLs', () => {
  it('reads every dictionary page even when ACLs make pages short or empty', async () => {
    const full = await loadTableMetadata(client, 'incident', new MetadataCache());
    const faults = sim.faults as FaultSource;
    faults.setAcl({ hideFraction: 0.6, tables: ['sys_dictionary'] });
    try {
      const before = sim.requests.length;
      const partial = await loadTableMetadata(client, 'incident', new MetadataCache(), { pageSize: 3 });
      const visible = full.fields.filter(
        (f) => !faults.hidden('sys_dictionary', stableSysId(`sys_dictionary:${f.definedOn}:${f.vendorPath}`)),
      );
      expect(visible.length).toBeGreaterThan(3);
      expect(visible.length).toBeLessThan(full.fields.length);
      expect(partial.fields.map((f) => f.vendorPath).sort()).toEqual(visible.map((f) => f.vendorPath).sort());
      // Many pages were needed, some of them short.
      expect(sim.requests.length - before).toBeGreaterThan(10);
    } finally {
      faults.setAcl(undefined);
    }
  });
});

describe('listTables', () => {
  it('lists every readable table, sorted, and caches the list', async () => {
    const cache = new MetadataCache();
    const tables = await listTables(client, cache);
    expect(tables).toEqual(expect.arrayContaining(['incident', 'task', 'sys_user', 'sys_attachment']));
    expect(tables).toEqual([...tables].sort());
    const before = sim.requests.length;
    expect(await listTables(client, cache)).toBe(tables);
    expect(sim.requests.length).toBe(before);
  });
});

describe('TtlCache', () => {
  it('evicts the least recently used entry beyond its bound and expires entries', () => {
    let now = 0;
    const cache = new TtlCache<number>({ maxEntries: 2, ttlMs: 10, now: () => now });
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
    expect(cache.size).toBe(2);
    now = 10;
    expect(cache.get('a')).toBeUndefined();
  });
});

describe('fieldCatalogFor', () => {
  it('knows own and inherited fields, refuses unknown ones and answers types for CEQL', async () => {
    const meta = await loadTableMetadata(client, 'incident', new MetadataCache());
    const catalog = fieldCatalogFor(meta);
    expect(catalog.table).toBe('incident');
    expect(catalog.has('number')).toBe(true);
    expect(catalog.has('caller_id')).toBe(true);
    expect(catalog.has('nope')).toBe(false);
    expect(catalog.type('sys_updated_on')).toBe('glide_date_time');
    expect(catalog.has('caller_id.email')).toBe(false); // sys_user not supplied
    expect(
      ceqlToEncodedQuery({ where: "priority = '1' and number like 'INC%'" }, { fields: catalog }),
    ).toContain('priority=1');
    expect(() => ceqlToEncodedQuery({ where: "nope = 'x'" }, { fields: catalog })).toThrow(/Unknown field/);
  });

  it('follows dot-walks through references once the related tables are loaded', async () => {
    const cache = new MetadataCache();
    const meta = await loadTableMetadata(client, 'incident', cache);
    const related = await loadRelatedMetadata(
      client,
      meta,
      ['caller_id.email', 'number', 'caller_id.nope'],
      cache,
    );
    expect([...related.keys()]).toEqual(['sys_user']);
    const catalog = fieldCatalogFor(meta, related);
    expect(catalog.has('caller_id.email')).toBe(true);
    expect(catalog.has('caller_id.nope')).toBe(false);
    expect(catalog.has('number.x')).toBe(false);
  });
});
