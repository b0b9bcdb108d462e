import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundAgent, parseAllowedHosts } from '../../shared/net';
import type { ServiceNowClient, ServiceNowClientOptions } from '../../shared/servicenow';
import {
  authorizationUrl,
  exchangeAuthorizationCode,
  keysetById,
  keysetByUpdated,
  offsetPage,
} from '../../shared/servicenow';
import type { FaultSource } from '../simulator/faults';
import type { SimulatorHandle } from '../simulator/index';
import { startSimulator } from '../simulator/index';
import { formatDateTime } from '../simulator/store/clock';
import { adminClient, DEMO_PASSWORD_GRANT } from './helpers/fake-server';

/**
 * The client against the real simulator: paging correctness with ties and ACL-short pages,
 * OAuth against the simulator's token endpoint, and injected faults.
 */
let sim: SimulatorHandle;
const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts('127.0.0.1') });
const START = new Date('2025-06-01T12:00:00Z');
const ROWS = 600;
let ids: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({ data: false, seed: 7 });
  sim.clock.set(START);
  sim.clock.freeze();
  // 600 incidents over three seconds: 250 + 250 + 100 rows share each second, so every page
  // boundary (page size 64) falls inside a tie on sys_updated_on.
  for (let i = 0; i < ROWS; i++) {
    if (i === 250 || i === 500) sim.clock.advance(1000);
    // Fixed sys_ids: the ACL hides rows by sys_id, so the hidden set (and which 10-row windows are
    // entirely hidden) is the same on every run instead of depending on random ids.
    const sysId = createHash('md5').update(`incident ${i}`).digest('hex');
    ids.push(
      sim.db.insert('incident', { sys_id: sysId, short_description: `tie ${i}` }, { userName: 'admin' })
        .sys_id!,
    );
  }
  ids = ids.sort();
});
afterAll(async () => {
  await sim?.close();
  await agent.close();
});
afterEach(() => sim.faults.clear());

const client = (options: Partial<ServiceNowClientOptions> = {}): ServiceNowClient =>
  adminClient(sim.url, agent, options);

const drain = async <T extends { records: Record<string, unknown>[] }>(pages: AsyncIterable<T>) => {
  const seen: string[] = [];
  let count = 0;
  for await (const page of pages) {
    count++;
    for (const record of page.records) seen.push(String(record.sys_id));
  }
  return { seen, pages: count };
};

describe('ServiceNow client against the simulator', () => {
  it('keyset paging by sys_updated_on returns each of 600 tied rows exactly once', async () => {
    const { seen, pages } = await drain(
      keysetByUpdated(client(), 'incident', {
        since: formatDateTime(START),
        pageSize: 64,
        fields: ['number'],
      }),
    );
    expect(seen).toHaveLength(ROWS);
    expect(new Set(seen).size).toBe(ROWS);
    expect([...seen].sort()).toEqual(ids);
    expect(pages).toBe(Math.ceil(ROWS / 64));
  });

  it('the since bound is inclusive and the extra filter applies to both groups', async () => {
    const second = formatDateTime(START.getTime() + 1000);
    const { seen } = await drain(
      keysetByUpdated(client(), 'incident', {
        since: second,
        pageSize: 50,
        query: 'short_descriptionSTARTSWITHtie 2',
      }),
    );
    // rows 250..599 are at or after the second second; of those, "tie 2xx" are 250..299
    expect(seen).toHaveLength(50);
  });

  it('short pages hidden by ACLs do not stop keyset paging', async () => {
    sim.faults.setAcl({ hideFraction: 0.7, tables: ['incident'] });
    const visible = ids.filter((id) => !(sim.faults as FaultSource).hidden('incident', id));
    expect(visible.length).toBeGreaterThan(0);
    expect(visible.length).toBeLessThan(ids.length);
    const logged = sim.requests.length;
    const byId = await drain(keysetById(client(), 'incident', { pageSize: 10 }));
    expect(byId.seen).toEqual(visible);
    // some 10-row windows were entirely hidden (empty page with a next link) and were stepped over
    expect(sim.requests.slice(logged).some((r) => r.query.sysparm_offset !== undefined)).toBe(true);
    const byUpdated = await drain(
      keysetByUpdated(client(), 'incident', { since: formatDateTime(START), pageSize: 10 }),
    );
    expect([...byUpdated.seen].sort()).toEqual(visible);
  });

  it('offset pages follow sys_id order and report whether more exist', async () => {
    const c = client();
    const page2 = await offsetPage(c, 'incident', { page: 2, pageSize: 100, fields: ['sys_id'] });
    expect(page2.records.map((r) => r.sys_id)).toEqual(ids.slice(100, 200));
    expect(page2.hasNext).toBe(true);
    expect(page2.totalCount).toBe(ROWS);
    const last = await offsetPage(c, 'incident', { page: 6, pageSize: 100, fields: ['sys_id'] });
    expect(last.records).toHaveLength(100);
    expect(last.hasNext).toBe(false);
  });

  it('counts through the Aggregate API', async () => {
    expect(await client().count('incident')).toBe(ROWS);
    expect(await client().count('incident', 'short_descriptionSTARTSWITHtie 59')).toBe(11);
  });

  it('creates, updates, replaces and deletes a record; a deleted record is a 404 with provider text', async () => {
    const c = client();
    const created = await c.create('incident', { short_description: 'from client' });
    expect(created.short_description).toBe('from client');
    const id = String(created.sys_id);
    expect((await c.update('incident', id, { urgency: '1' })).urgency).toBe('1');
    expect((await c.replace('incident', id, { short_description: 'replaced' })).short_description).toBe(
      'replaced',
    );
    expect((await c.get('incident', id, { fields: ['short_description'] })).short_description).toBe(
      'replaced',
    );
    await c.delete('incident', id);
    await expect(c.get('incident', id)).rejects.toMatchObject({
      status: 404,
      providerMessage: "No Record found: Record doesn't exist or ACL restricts the record retrieval",
    });
  });

  it('maps an unknown table to 400 with the provider message', async () => {
    await expect(client().list('no_such_table')).rejects.toMatchObject({
      status: 400,
      providerMessage: expect.stringContaining('Invalid table no_such_table'),
    });
  });

  it('waits exactly Retry-After on an injected 429, then succeeds', async () => {
    const delays: number[] = [];
    sim.faults.inject({ kind: 'status', status: 429, retryAfterSeconds: 3 });
    const page = await client({ sleep: async (ms) => void delays.push(ms) }).list('incident', { limit: 1 });
    expect(page.records).toHaveLength(1);
    expect(delays).toEqual([3000]);
  });

  it('recovers from a reset, a 503 and a session overflow on reads', async () => {
    sim.faults.inject({ kind: 'reset' });
    sim.faults.inject({ kind: 'status', status: 503 });
    sim.faults.inject({ kind: 'sessionOverflow' });
    const page = await client({ maxAttempts: 4 }).list('incident', { limit: 1 });
    expect(page.records).toHaveLength(1);
  });

  it('reports a hibernating instance as 502 with a clear message', async () => {
    sim.faults.inject({ kind: 'hibernate' });
    await expect(client().list('incident', { limit: 1 })).rejects.toMatchObject({
      status: 502,
      message:
        'ServiceNow returned HTML instead of JSON; the instance may be hibernating or the URL may be wrong',
    });
  });

  it('maps the 60 s transaction quota error to 502 with the provider text', async () => {
    sim.faults.inject({ kind: 'quota' }, { times: 4 });
    await expect(client().list('incident', { limit: 1 })).rejects.toMatchObject({
      status: 502,
      providerMessage: expect.stringContaining('Transaction cancelled: maximum execution time exceeded'),
    });
  });

  it('OAuth: password grant, refresh ahead of expiry, and recovery from a 401', async () => {
    const simClock = { now: () => sim.clock.now().getTime() };
    const tokenCalls = () => sim.requests.filter((r) => r.path === '/oauth_token.do').length;
    const before = tokenCalls();
    const c = client({
      clock: simClock,
      auth: DEMO_PASSWORD_GRANT,
    });
    await c.list('incident', { limit: 1 });
    expect(tokenCalls() - before).toBe(1);
    expect(sim.requests.at(-1)?.authorization).toBe('bearer');
    await c.list('incident', { limit: 1 });
    expect(tokenCalls() - before).toBe(1);
    sim.clock.advance(1800_000); // token expired on the instance and for the client
    await c.list('incident', { limit: 1 });
    expect(tokenCalls() - before).toBe(2);

    // A client whose clock lags: it sends the expired token, gets 401, refreshes once, succeeds.
    let lagging = sim.clock.now().getTime();
    const laggingClient = client({
      clock: { now: () => lagging },
      auth: DEMO_PASSWORD_GRANT,
    });
    await laggingClient.list('incident', { limit: 1 });
    const afterFirst = tokenCalls();
    sim.clock.advance(1900_000);
    lagging += 1000;
    await laggingClient.list('incident', { limit: 1 });
    expect(tokenCalls() - afterFirst).toBe(1);
    expect(sim.requests.filter((r) => r.status === 401).length).toBeGreaterThan(0);
  });

  it('OAuth: authorization-code grant from the authorize redirect, then bearer calls', async () => {
    const redirectUri = 'http://127.0.0.1/callback';
    const authorize = await agent.request({
      method: 'GET',
      url: new URL(authorizationUrl(sim.url, { clientId: 'demo-client', redirectUri, state: 'xyz' })),
      headers: {},
      timeoutMs: 5_000,
    });
    expect(authorize.status).toBe(302);
    const location = new URL(String(authorize.headers.location));
    expect(location.searchParams.get('state')).toBe('xyz');
    const code = location.searchParams.get('code') ?? '';
    const http = { baseUrl: sim.url, dispatcher: agent, clock: { now: () => sim.clock.now().getTime() } };
    const tokens = await exchangeAuthorizationCode(http, {
      clientId: 'demo-client',
      clientSecret: 'demo-secret',
      code,
      redirectUri,
    });
    expect(tokens.refreshToken).toBeTruthy();
    const c = client({
      clock: http.clock,
      auth: {
        type: 'oauth',
        grant: 'authorization_code',
        clientId: 'demo-client',
        clientSecret: 'demo-secret',
        ...tokens,
      },
    });
    expect((await c.list('incident', { limit: 1 })).records).toHaveLength(1);
    // A code is single use.
    await expect(
      exchangeAuthorizationCode(http, {
        clientId: 'demo-client',
        clientSecret: 'demo-secret',
        code,
        redirectUri,
      }),
    ).rejects.toMatchObject({ status: 401, name: 'ServiceNowAuthError' });
  });

  it('OAuth: client_credentials grant', async () => {
    const c = client({
      auth: {
        type: 'oauth',
        grant: 'client_credentials',
        clientId: 'demo-client',
        clientSecret: 'demo-secret',
      },
    });
    expect((await c.list('incident', { limit: 1 })).records).toHaveLength(1);
    expect(sim.requests.at(-1)?.authorization).toBe('bearer');
  });
});
