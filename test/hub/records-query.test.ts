import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HubHarness, startHubHarness } from './harness';

let h: HubHarness;
beforeAll(async () => {
  h = await startHubHarness({
    seed: 3,
    data: { incidents: 120, problems: 5, changes: 5, users: 40, groups: 5, companies: 5 },
  });
});
afterAll(() => h?.close());
afterEach(() => h.sim.faults.clear());

type Row = Record<string, unknown> & { id: string };
const SYS_ID = /^[0-9a-f]{32}$/;
const q = (text: string) => encodeURIComponent(text);
const tableCalls = (table: string) =>
  h.sim.requests.filter((r) => r.path === `/api/now/table/${table}`).length;
const all = (table: string, query: string) =>
  h.sim.db.query(table, { query, limit: 10_000, offset: 0, noCount: true }).rows;

describe('hub list: CEQL where, orderBy, fields', () => {
  it('where selects exactly the rows ServiceNow matches for the same encoded query', async () => {
    const res = await h.hub(
      'GET',
      `/hubs/helpdesk/incidents?pageSize=500&where=${q("priority = '1' AND active = true")}`,
    );
    expect(res.status, res.text).toBe(200);
    const expected = all('incident', 'priority=1^active=true').map((r) => r.sys_id);
    expect(expected.length).toBeGreaterThan(0);
    expect(
      res
        .json<Row[]>()
        .map((r) => r.id)
        .sort(),
    ).toEqual([...expected].sort());
    expect(res.json<Row[]>().every((r) => r.priority === '1' && r.active === 'true')).toBe(true);

    const dotWalk = await h.hub(
      'GET',
      `/incidents?where=${q("caller_id.user_name IS NOT NULL AND category IN ('network', 'database')")}`,
    );
    expect(dotWalk.status, dotWalk.text).toBe(200);
    expect(dotWalk.json<Row[]>().every((r) => ['network', 'database'].includes(String(r.category)))).toBe(
      true,
    );
  });

  it('orderBy sorts (with sys_id as tie-breaker) and fields narrows every record (id and sys_id always kept)', async () => {
    const res = await h.hub(
      'GET',
      `/hubs/helpdesk/incidents?orderBy=${q('number desc')}&fields=number,short_description&pageSize=50`,
    );
    expect(res.status, res.text).toBe(200);
    const rows = res.json<Row[]>();
    const numbers = rows.map((r) => String(r.number));
    expect(numbers).toEqual([...numbers].sort().reverse());
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['id', 'number', 'short_description', 'sys_id']);
      expect(row.id).toBe(row.sys_id);
    }
    const sent = h.sim.requests.filter((r) => r.path === '/api/now/table/incident').at(-1);
    expect(sent?.query).toMatchObject({
      sysparm_query: 'ORDERBYDESCnumber^ORDERBYsys_id',
      sysparm_fields: 'sys_id,number,short_description',
      sysparm_exclude_reference_link: 'true',
      sysparm_limit: '50',
    });
  });

  it('refuses unknown fields with 400 before any table read (never a widened result)', async () => {
    for (const query of [
      `where=${q("no_such_field = 'x'")}`,
      `where=${q("priority = '1' OR bogus = 2")}`,
      `where=${q("caller_id.nope = 'x'")}`,
      'fields=number,bogus',
      `orderBy=${q('bogus desc')}`,
      `where=${q("priority = '1' AND (")}`,
    ]) {
      const before = tableCalls('incident');
      const res = await h.hub('GET', `/hubs/helpdesk/incidents?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.json<{ message: string }>().message.length).toBeGreaterThan(0);
      expect(tableCalls('incident'), query).toBe(before);
    }
  });

  it('flattens references to sys_ids by default; displayValues=true|all pass through', async () => {
    const where = `where=${q('caller_id IS NOT NULL')}&pageSize=1&fields=caller_id,priority`;
    const raw = (await h.hub('GET', `/hubs/helpdesk/incidents?${where}`)).json<Row[]>()[0];
    expect(raw?.caller_id).toMatch(SYS_ID);
    const display = (await h.hub('GET', `/hubs/helpdesk/incidents?${where}&displayValues=true`)).json<
      Row[]
    >()[0];
    expect(display?.id).toBe(raw?.id);
    expect(display?.caller_id).toBe(h.sim.db.referenceDisplay('sys_user', String(raw?.caller_id)));
    const both = (await h.hub('GET', `/hubs/helpdesk/incidents?${where}&displayValues=all`)).json<Row[]>()[0];
    expect(both?.id).toBe(raw?.id);
    expect(both?.caller_id).toEqual({ display_value: display?.caller_id, value: raw?.caller_id });
    const one = await h.hub('GET', `/hubs/helpdesk/incidents/${raw?.id}?displayValues=true&fields=caller_id`);
    expect(one.json<Row>()).toEqual({ id: raw?.id, sys_id: raw?.id, caller_id: display?.caller_id });
  });

  it('filter.response.nulls: empty ServiceNow fields are dropped by default, null when switched off', async () => {
    const created = await h.hub('POST', '/hubs/helpdesk/incidents', { body: { short_description: 'nulls' } });
    const record = created.json<Row>();
    expect(record).not.toHaveProperty('assigned_to');
    expect(Object.values(record)).not.toContain(null);
    const other = await h.provision({ 'filter.response.nulls': 'false' });
    const got = await h.hub('GET', `/hubs/helpdesk/incidents/${record.id}`, { token: other.token });
    expect(got.status, got.text).toBe(200);
    expect(got.json<Row>()).toMatchObject({ id: record.id, assigned_to: null, short_description: 'nulls' });
  });

  it('agents are the users with the itil role; other users are contacts only', async () => {
    const agents = await h.hub('GET', '/hubs/helpdesk/agents?pageSize=500&fields=roles');
    expect(agents.status, agents.text).toBe(200);
    const rows = agents.json<Row[]>();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.roles === 'itil')).toBe(true);
    const plain = all('sys_user', 'rolesISEMPTY')[0];
    expect(plain).toBeDefined();
    expect((await h.hub('GET', `/hubs/helpdesk/agents/${plain?.sys_id}`)).status).toBe(404);
    expect(
      (await h.hub('PATCH', `/hubs/helpdesk/agents/${plain?.sys_id}`, { body: { first_name: 'x' } })).status,
    ).toBe(404);
    expect((await h.hub('GET', `/hubs/helpdesk/contacts/${plain?.sys_id}`)).status).toBe(200);
    // The role filter constrains every ^NQ group a where with parentheses becomes.
    const agent = rows[0];
    const both = `(user_name = '${plain?.user_name}' AND active = true) OR (sys_id = '${agent?.id}' AND active = true)`;
    const mixed = await h.hub('GET', `/hubs/helpdesk/agents?where=${q(both)}`);
    expect(mixed.status, mixed.text).toBe(200);
    expect(mixed.json<Row[]>().map((r) => r.id)).not.toContain(plain?.sys_id);
  });
});

describe('hub records: request and error mapping', () => {
  it('refuses bodies that are not a JSON object with 400', async () => {
    for (const body of [[{ short_description: 'a' }], 'text', 42]) {
      const res = await h.hub('POST', '/hubs/helpdesk/incidents', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await h.hub('POST', '/hubs/helpdesk/incidents')).status).toBe(400);
    expect((await h.hub('POST', '/hubs/helpdesk/incidents', { raw: '{bad json' })).status).toBe(400);
    expect(
      (await h.hub('PATCH', '/hubs/helpdesk/incidents/0123456789abcdef0123456789abcdef', { body: [] }))
        .status,
    ).toBe(400);
  });

  it('unknown table -> 404 with providerMessage; unknown record -> 404', async () => {
    for (const path of ['/hubs/helpdesk/no_such_table', '/no_such_table/0123456789abcdef0123456789abcdef']) {
      const res = await h.hub('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.json<{ providerMessage?: string }>().providerMessage).toMatch(/no_such_table/);
      expect(res.headers.get('elements-element-instance-id')).toBe(String(h.instanceId));
    }
    expect((await h.hub('POST', '/no_such_table', { body: { a: '1' } })).status).toBe(404);
    const missing = await h.hub('GET', '/hubs/helpdesk/incidents/0123456789abcdef0123456789abcdef');
    expect(missing.status).toBe(404);
    expect(missing.json<{ providerMessage?: string }>().providerMessage).toMatch(/No Record found/);
    // A generic table works like a mapped resource.
    const tasks = await h.hub(
      'GET',
      `/hubs/helpdesk/task?pageSize=3&where=${q("sys_class_name = 'incident'")}`,
    );
    expect(tasks.status, tasks.text).toBe(200);
    expect(tasks.json<Row[]>()).toHaveLength(3);
    const groups = await h.hub('GET', '/sys_user_group?pageSize=2');
    expect(groups.status, groups.text).toBe(200);
    expect(groups.json<Row[]>()).toHaveLength(2);
  });

  it('429 after retries answers 429 with Retry-After; hibernating instance 502', async () => {
    h.sim.faults.inject(
      { kind: 'status', status: 429, retryAfterSeconds: 7 },
      { times: 10, match: (r) => r.path === '/api/now/table/incident' },
    );
    const limited = await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=1');
    expect(limited.status, limited.text).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.headers.get('elements-element-instance-id')).toBe(String(h.instanceId));
    h.sim.faults.clear();
    h.sim.faults.inject(
      { kind: 'hibernate' },
      { times: 10, match: (r) => r.path === '/api/now/table/incident' },
    );
    const asleep = await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=1');
    expect(asleep.status).toBe(502);
    expect(asleep.json<{ message: string }>().message).toMatch(/hibernat|HTML/i);
    h.sim.faults.clear();
    expect((await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=1')).status).toBe(200);
  });

  it('disabled instance -> 403 without a ServiceNow call (instance named); deleted -> 401 (not named)', async () => {
    const bad = await h.provision();
    const before = tableCalls('incident');
    const disabled = await h.platform('DELETE', `/instances/${bad.id}/enabled`);
    expect(disabled.status, disabled.text).toBe(200);
    const forbidden = await h.hub('GET', '/hubs/helpdesk/incidents', { token: bad.token });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('elements-element-instance-id')).toBe(String(bad.id));
    expect(tableCalls('incident')).toBe(before);
    expect((await h.platform('PUT', `/instances/${bad.id}/enabled`)).status).toBe(200);
    expect((await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=1', { token: bad.token })).status).toBe(
      200,
    );
    expect((await h.platform('DELETE', `/instances/${bad.id}`)).status).toBe(200);
    const gone = await h.hub('GET', '/hubs/helpdesk/incidents', { token: bad.token });
    expect(gone.status).toBe(401);
    expect(gone.headers.has('elements-element-instance-id')).toBe(false);
  });

  it("ServiceNow's 400 on a write passes through with its provider message", async () => {
    const existing = all('incident', 'ORDERBYsys_id')[0];
    const taken = await h.hub('POST', '/hubs/helpdesk/incidents', { body: { sys_id: existing?.sys_id } });
    expect(taken.status, taken.text).toBe(400);
    expect(taken.json<{ providerMessage?: string }>().providerMessage).toMatch(/Duplicate sys_id/);
    expect(taken.headers.get('elements-element-instance-id')).toBe(String(h.instanceId));
  });

  it("maps ServiceNow's 403 (ACL or data policy) to 403 with ServiceNow's message and detail", async () => {
    const incidents = (r: { path: string }) => r.path === '/api/now/table/incident';
    h.sim.faults.inject({ kind: 'forbidden' }, { match: incidents });
    const denied = await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=1');
    expect(denied.status).toBe(403);
    expect(denied.json<{ providerMessage?: string }>().providerMessage).toContain(
      'Insufficient rights to query records',
    );
    h.sim.faults.inject(
      {
        kind: 'forbidden',
        detail: 'Data Policy Exception: The following fields are mandatory: Resolution code',
      },
      { match: incidents },
    );
    const refused = await h.hub('POST', '/hubs/helpdesk/incidents', {
      body: { short_description: 'needs a code' },
    });
    expect(refused.status).toBe(403);
    expect(refused.json<{ providerMessage?: string }>().providerMessage).toContain('Resolution code');
  });

  it("ServiceNow's transaction-quota error keeps its provider message", async () => {
    h.sim.faults.inject({ kind: 'quota' }, { times: 10, match: (r) => r.path === '/api/now/table/incident' });
    const quota = await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=1');
    expect(quota.status).toBeGreaterThanOrEqual(400);
    expect(quota.json<{ providerMessage?: string }>().providerMessage).toEqual(expect.any(String));
  });
});
