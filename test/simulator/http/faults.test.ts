import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatorHandle, startSimulator } from '../index';
import { ADMIN_BASIC, api, createIncidents, type ListBody, links } from './helpers';

describe('simulator fault injection', () => {
  let sim: SimulatorHandle;
  let ids: string[];

  beforeAll(async () => {
    sim = await startSimulator({ data: false, seed: 42 });
    ids = await createIncidents(sim, 20);
  });
  afterEach(() => sim.faults.clear());
  afterAll(() => sim.close());

  it('answers 429 with Retry-After, X-RateLimit-* and the rate-limit envelope, once', async () => {
    sim.faults.inject({ kind: 'status', status: 429, retryAfterSeconds: 7 });
    const limited = await api(sim, '/api/now/table/incident?sysparm_limit=1');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('100');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBe(
      Math.floor(sim.clock.now().getTime() / 1000) + 7,
    );
    expect(limited.headers.get('x-ratelimit-rule')).toMatch(/^[0-9a-f]{32}$/);
    expect(limited.body).toEqual({
      error: {
        message: 'Rate limit exceeded',
        detail: 'Rate limit of 100 requests per hour for Table API exceeded',
      },
      status: 'failure',
    });
    expect((await api(sim, '/api/now/table/incident?sysparm_limit=1')).status).toBe(200);
  });

  it('answers 5xx envelopes the requested number of times, only for matching requests', async () => {
    sim.faults.inject(
      { kind: 'status', status: 503, retryAfterSeconds: 2 },
      { times: 2, match: (req) => req.path.includes('/incident') },
    );
    expect((await api(sim, '/api/now/table/sys_user?sysparm_limit=1')).status).toBe(200);
    const first = await api(sim, '/api/now/table/incident?sysparm_limit=1');
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('2');
    expect((first.body as { status: string }).status).toBe('failure');
    expect((await api(sim, '/api/now/table/incident?sysparm_limit=1')).status).toBe(503);
    expect((await api(sim, '/api/now/table/incident?sysparm_limit=1')).status).toBe(200);
    sim.faults.inject({ kind: 'status', status: 500 });
    expect((await api(sim, '/api/now/table/incident?sysparm_limit=1')).status).toBe(500);
    sim.faults.inject({ kind: 'status', status: 502 });
    expect((await api(sim, '/api/now/table/incident?sysparm_limit=1')).status).toBe(502);
  });

  it('answers the 60 s transaction quota error', async () => {
    sim.faults.inject({ kind: 'quota' });
    const res = await api(sim, '/api/now/table/incident');
    expect(res.status).toBe(500);
    expect((res.body as { error: { message: string } }).error.message).toBe(
      'Transaction cancelled: maximum execution time exceeded',
    );
  });

  it('answers the 403 read-ACL envelope, with a data-policy detail when given', async () => {
    sim.faults.inject({ kind: 'forbidden' });
    const list = await api(sim, '/api/now/table/incident');
    expect(list.status).toBe(403);
    expect(list.body).toEqual({
      error: { message: 'Insufficient rights to query records', detail: null },
      status: 'failure',
    });
    sim.faults.inject({
      kind: 'forbidden',
      detail: 'Data Policy Exception: The following fields are mandatory: Resolution code',
    });
    const write = await api(sim, '/api/now/table/incident', {
      method: 'POST',
      body: { short_description: 'x' },
    });
    expect(write.status).toBe(403);
    expect((write.body as { error: { detail: string } }).error.detail).toContain('Data Policy Exception');
  });

  it('serves normally after injected latency', async () => {
    sim.faults.inject({ kind: 'latency', ms: 30 });
    const res = await api<ListBody>(sim, '/api/now/table/incident?sysparm_limit=2');
    expect(res.status).toBe(200);
    expect(res.body.result).toHaveLength(2);
  });

  it('resets the connection without a response', async () => {
    sim.faults.inject({ kind: 'reset' });
    await expect(api(sim, '/api/now/table/incident?sysparm_limit=1')).rejects.toThrow();
    expect(sim.requests.at(-1)?.status).toBe(0);
    expect((await api(sim, '/api/now/table/incident?sysparm_limit=1')).status).toBe(200);
  });

  it('answers the hibernation page as 200 text/html', async () => {
    sim.faults.inject({ kind: 'hibernate' });
    const res = await api(sim, '/api/now/table/incident');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toContain('Your instance is hibernating');
  });

  it('answers session overflow as 202 with no content', async () => {
    sim.faults.inject({ kind: 'sessionOverflow' });
    const res = await api(sim, '/api/now/table/incident');
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
  });

  it('injects random faults deterministically from the seed', async () => {
    const run = async (): Promise<number[]> => {
      const other = await startSimulator({ data: false, seed: 9 });
      try {
        other.faults.rate({ kind: 'status', status: 500 }, 0.5);
        const statuses: number[] = [];
        for (let i = 0; i < 12; i++) statuses.push((await api(other, '/api/now/table/incident')).status);
        return statuses;
      } finally {
        await other.close();
      }
    };
    const first = await run();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it('hides rows after the limit in ACL mode: short pages while next exists, hidden rows 404', async () => {
    sim.faults.setAcl({ hideFraction: 0.5, tables: ['incident'] });
    const seen: string[] = [];
    let url: string | undefined = '/api/now/table/incident?sysparm_limit=5&sysparm_query=ORDERBYsys_id';
    let shortPageWithNext = false;
    while (url) {
      const res: Awaited<ReturnType<typeof api<ListBody>>> = await api<ListBody>(sim, url);
      expect(res.headers.get('x-total-count')).toBe('20');
      const next = links(res.headers.get('link')).next;
      if (next && res.body.result.length < 5) shortPageWithNext = true;
      seen.push(...res.body.result.map((r) => String(r.sys_id)));
      url = next ? `${next.pathname}${next.search}` : undefined;
    }
    expect(shortPageWithNext).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(20);
    const hidden = ids.find((id) => !seen.includes(id)) ?? '';
    expect((await api(sim, `/api/now/table/incident/${hidden}`)).status).toBe(404);
    sim.faults.setAcl(undefined);
    expect((await api(sim, `/api/now/table/incident/${hidden}`)).status).toBe(200);
  });

  it('denies sys_journal_field with 200 and an empty result', async () => {
    const [sysId] = ids;
    await api(sim, `/api/now/table/incident/${sysId}`, {
      method: 'PATCH',
      body: { comments: 'secret note' },
    });
    sim.faults.setAcl({ hideFraction: 0, journalDenied: true });
    const denied = await api(sim, `/api/now/table/sys_journal_field?sysparm_query=element_id%3D${sysId}`);
    expect(denied.status).toBe(200);
    expect(denied.body).toEqual({ result: [] });
  });
});

describe('simulator request log, cost model and lifecycle', () => {
  it('logs method, path, query, status, auth kind and query cost', async () => {
    const sim = await startSimulator({ data: false });
    try {
      await createIncidents(sim, 3);
      const before = sim.requests.length;
      await api(sim, '/api/now/table/incident?sysparm_limit=2');
      await api(sim, '/api/now/table/incident', { authorization: '' });
      const [read, anonymous] = sim.requests.slice(before);
      expect(read).toMatchObject({
        method: 'GET',
        path: '/api/now/table/incident',
        query: { sysparm_limit: '2' },
        status: 200,
        authorization: 'basic',
      });
      expect(read?.cost).toBeGreaterThan(0);
      expect(anonymous).toMatchObject({ status: 401, authorization: 'none', cookie: false });
      await api(sim, '/api/now/table/incident', { headers: { cookie: 'JSESSIONID=abc' } });
      expect(sim.requests.at(-1)?.cookie).toBe(true);
    } finally {
      await sim.close();
    }
  });

  it('keeps only the newest entries of the request log', async () => {
    const sim = await startSimulator({ data: false, requestLogLimit: 5 });
    try {
      for (let i = 0; i < 20; i++) await api(sim, `/api/now/table/incident?sysparm_limit=${i + 1}`);
      expect(sim.requests.length).toBeGreaterThanOrEqual(5);
      expect(sim.requests.length).toBeLessThanOrEqual(10);
      expect(sim.requests.at(-1)?.query.sysparm_limit).toBe('20');
    } finally {
      await sim.close();
    }
  });

  it('redacts OAuth secrets passed in the query string from the log', async () => {
    const sim = await startSimulator({ data: false });
    try {
      await api(sim, '/oauth_token.do?client_secret=demo-secret&password=admin&grant_type=password', {
        method: 'POST',
        authorization: '',
      });
      const entry = sim.requests.at(-1);
      expect(entry?.query).toEqual({
        client_secret: '[redacted]',
        password: '[redacted]',
        grant_type: 'password',
      });
    } finally {
      await sim.close();
    }
  });

  it('makes a deep offset cost more than a keyset read of the same page', async () => {
    const sim = await startSimulator({ data: false });
    try {
      const ids = await createIncidents(sim, 60);
      const sorted = [...ids].sort();
      await api(sim, '/api/now/table/incident?sysparm_limit=5&sysparm_offset=50&sysparm_query=ORDERBYsys_id');
      const offsetCost = sim.requests.at(-1)?.cost ?? 0;
      await api(
        sim,
        `/api/now/table/incident?sysparm_limit=5&sysparm_query=sys_id%3E${sorted[49]}%5EORDERBYsys_id`,
      );
      const keysetCost = sim.requests.at(-1)?.cost ?? 0;
      expect(keysetCost).toBeGreaterThan(0);
      expect(offsetCost).toBeGreaterThan(keysetCost);
    } finally {
      await sim.close();
    }
  });

  it('closes idle keep-alive connections on close()', async () => {
    const sim = await startSimulator({ data: false, costDelayMicrosPerUnit: 10 });
    const agent = new Agent({ keepAliveTimeout: 60_000 });
    try {
      const res = await request(`${sim.url}/api/now/table/incident`, {
        headers: { authorization: ADMIN_BASIC },
        dispatcher: agent,
      });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      await sim.close();
      await expect(
        request(`${sim.url}/api/now/table/incident`, {
          headers: { authorization: ADMIN_BASIC },
          dispatcher: agent,
        }),
      ).rejects.toThrow();
    } finally {
      await agent.close();
    }
  });

  it('starts with demo data', async () => {
    const sim = await startSimulator();
    try {
      const res = await api<ListBody>(sim, '/api/now/table/incident?sysparm_limit=1');
      expect(res.status).toBe(200);
      expect(Number(res.headers.get('x-total-count'))).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });
});
