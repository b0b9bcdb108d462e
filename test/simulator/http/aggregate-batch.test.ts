import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatorHandle, startSimulator } from '../index';
import { api, createIncidents } from './helpers';

describe('simulator Aggregate API', () => {
  let sim: SimulatorHandle;

  beforeAll(async () => {
    sim = await startSimulator({ data: false });
    await createIncidents(sim, 3, { priority: '1' });
    await createIncidents(sim, 2, { priority: '4' });
  });
  afterAll(() => sim.close());

  it('counts matching rows as a string', async () => {
    const res = await api(sim, '/api/now/stats/incident?sysparm_count=true&sysparm_query=priority%3D1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: { stats: { count: '3' } } });
  });

  it('groups counts by field', async () => {
    const res = await api<{
      result: { stats: { count: string }; groupby_fields: { field: string; value: string }[] }[];
    }>(sim, '/api/now/stats/incident?sysparm_count=true&sysparm_group_by=priority');
    const groups = Object.fromEntries(
      res.body.result.map((g) => [g.groupby_fields[0]?.value, g.stats.count]),
    );
    expect(groups).toEqual({ '1': '3', '4': '2' });
    expect(res.body.result[0]?.groupby_fields[0]?.field).toBe('priority');
  });

  it('rejects an unknown table', async () => {
    const res = await api(sim, '/api/now/stats/u_nothing?sysparm_count=true');
    expect(res.status).toBe(400);
  });
});

describe('simulator Batch API', () => {
  let sim: SimulatorHandle;

  beforeAll(async () => {
    sim = await startSimulator({ data: false });
    await createIncidents(sim, 2);
  });
  afterAll(() => sim.close());

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

  it('runs items sequentially with the caller credentials and base64 bodies', async () => {
    const res = await api<{
      batch_request_id: string;
      serviced_requests: { id: string; status_code: number; body: string; headers: { name: string }[] }[];
      unserviced_requests: string[];
    }>(sim, '/api/now/v1/batch', {
      method: 'POST',
      body: {
        batch_request_id: 'b1',
        rest_requests: [
          {
            id: 'create',
            method: 'POST',
            url: '/api/now/table/incident',
            body: b64({ short_description: 'from batch' }),
            headers: [{ name: 'Content-Type', value: 'application/json' }],
          },
          {
            id: 'list',
            method: 'GET',
            url: '/api/now/table/incident?sysparm_fields=short_description&sysparm_query=ORDERBYsys_created_on',
            exclude_response_headers: true,
          },
          { id: 'bad', method: 'GET', url: '/api/now/table/u_nothing' },
          { id: 'broken' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.batch_request_id).toBe('b1');
    const items = Object.fromEntries(res.body.serviced_requests.map((i) => [i.id, i]));
    expect(items.create?.status_code).toBe(201);
    const list = JSON.parse(Buffer.from(items.list?.body ?? '', 'base64').toString()) as {
      result: { short_description: string }[];
    };
    expect(list.result.map((r) => r.short_description)).toContain('from batch');
    expect(list.result).toHaveLength(3);
    expect(items.list?.headers).toEqual([]);
    expect(items.create?.headers.length).toBeGreaterThan(0);
    expect(items.bad?.status_code).toBe(400);
    expect(res.body.unserviced_requests).toEqual(['broken']);
  });

  it('requires authentication for the batch itself', async () => {
    const res = await api(sim, '/api/now/v1/batch', {
      method: 'POST',
      authorization: '',
      body: { rest_requests: [] },
    });
    expect(res.status).toBe(401);
  });
});
