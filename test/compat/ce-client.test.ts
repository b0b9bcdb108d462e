/**
 * A Cloud Elements client against local mode: each CE route family called as CE documents it, and
 * the request and response shapes checked against what CE's documentation and its own tests show
 * (field names, types, statuses, headers). Where snow-element differs on purpose, the README's
 * "Differences from Cloud Elements" table says so; nothing here tests those differences away.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BulkHarness, type BulkResponse, startBulkHarness, uploadForm } from '../bulk/harness';
import { basicBody } from '../instances/harness';

let h: BulkHarness;
const INCIDENTS = 45;

beforeAll(async () => {
  h = await startBulkHarness({
    simulator: { seed: 9, data: { incidents: INCIDENTS, problems: 3, users: 5, groups: 2, companies: 3 } },
  });
});
afterAll(async () => {
  await h?.close();
});

/** CE's error body: requestId and message always, providerMessage only with the provider's words. */
const expectCeError = (res: BulkResponse, status: number) => {
  expect(res.status, res.text).toBe(status);
  const body = res.json<Record<string, unknown>>();
  expect(body.requestId).toEqual(expect.any(String));
  expect(body.message).toEqual(expect.any(String));
  expect(Object.keys(body).every((key) => ['requestId', 'message', 'providerMessage'].includes(key))).toBe(
    true,
  );
  expect(res.headers.get('elements-request-id')).toBe(body.requestId);
};

const hub = (path: string) => `/hubs/helpdesk${path}`;

describe('elements (platform)', () => {
  it('lists both ServiceNow elements and describes each as CE does', async () => {
    const list = await h.platform('GET', '/elements');
    expect(list.status).toBe(200);
    const elements = list.json<{ key: string; id: number; hub: string }[]>();
    expect(elements.map((e) => e.key).sort()).toEqual(['servicenow', 'servicenowoauth']);
    const one = (await h.platform('GET', '/elements/servicenow')).json<Record<string, unknown>>();
    expect(one).toMatchObject({
      id: 145,
      key: 'servicenow',
      name: 'ServiceNow',
      hub: 'helpdesk',
      authentication: { type: 'basic' },
      transformationsEnabled: true,
      bulkDownloadEnabled: true,
      bulkUploadEnabled: true,
    });
    expect(JSON.stringify(one)).not.toMatch(/research/i);
  });

  it('answers element metadata and configuration discovery', async () => {
    const metadata = (await h.platform('GET', '/elements/servicenow/metadata')).json<{
      events: { supported: boolean; methods: string[]; polling: unknown };
    }>();
    expect(metadata.events).toMatchObject({ supported: true, methods: ['polling'] });
    const configuration = await h.platform('GET', '/elements/145/configuration');
    expect(configuration.status).toBe(200);
    const keys =
      configuration.json<{ key: string; type: string; defaultValue?: string; required: boolean }[]>();
    const poller = keys.find((k) => k.key === 'event.poller.configuration');
    expect(poller?.type).toBe('TEXTAREA');
    expect(JSON.parse(poller?.defaultValue ?? '{}')).toHaveProperty('incidents.idField', 'sys_id');
    expect(keys.find((k) => k.key === 'servicenow.subdomain')?.required).toBe(true);
    expect(keys.find((k) => k.key === 'filter.response.nulls')?.defaultValue).toBe('true');
  });

  it('gives the OAuth authorize URL as {element, oauthUrl}', async () => {
    const query = new URLSearchParams({
      apiKey: 'demo-client',
      apiSecret: 'demo-secret',
      callbackUrl: 'http://127.0.0.1/callback',
      'servicenow.subdomain': h.sim.url,
    });
    const res = await h.platform('GET', `/elements/servicenowoauth/oauth/url?${query}`);
    expect(res.status).toBe(200);
    const body = res.json<{ element: string; oauthUrl: string }>();
    expect(body.element).toBe('servicenowoauth');
    const url = new URL(body.oauthUrl);
    expect(url.pathname).toBe('/oauth_auth.do');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'demo-client',
      state: 'servicenowoauth',
    });
  });
});

describe('instances (platform and current instance)', () => {
  it('creates an instance with the fields of CE element.instance.schema and its example', async () => {
    const created = await h.platform(
      'POST',
      '/instances',
      basicBody(h.sim, { 'filter.response.nulls': true }),
    );
    expect(created.status).toBe(200);
    const instance = created.json<Record<string, unknown>>();
    for (const field of ['id', 'name', 'token', 'valid', 'tags', 'user', 'configuration', 'element']) {
      expect(instance, field).toHaveProperty(field);
    }
    expect(instance.user).toEqual({
      id: expect.any(String),
      emailAddress: expect.any(String),
      firstName: expect.any(String),
      lastName: expect.any(String),
    });
    const configuration = instance.configuration as Record<string, unknown>;
    // Values are strings (booleans posted come back as "true"), secrets masked, unset event keys null.
    expect(configuration.password).toBe('********');
    expect(configuration['filter.response.nulls']).toBe('true');
    expect(configuration['event.notification.callback.url']).toBeNull();
    expect(configuration['event.notification.signature.key']).toBeNull();
    expect(configuration['event.notification.subscription.id']).toBeNull();
    expect(configuration['base.url']).toEqual(expect.stringContaining('/api/now'));
    for (const value of Object.values(configuration))
      expect(value === null || typeof value === 'string').toBe(true);
    expect(instance.element).toMatchObject({
      id: 145,
      key: 'servicenow',
      hub: 'helpdesk',
      authentication: { type: 'basic' },
      parameters: [expect.objectContaining({ name: 'servicenow.subdomain', vendorType: 'path' })],
    });
    const id = instance.id as number;
    expect((await h.platform('GET', `/instances/${id}`)).json()).toHaveProperty('token', instance.token);
    const patched = await h.platform('PATCH', `/instances/${id}`, { tags: ['a', 'b'] });
    expect(patched.json()).toMatchObject({ id, tags: ['a', 'b'] });
    const item = await h.platform('GET', `/instances/${id}/configuration/filter.response.nulls`);
    expect(item.json()).toMatchObject({ key: 'filter.response.nulls', propertyValue: 'true' });
    expect((await h.platform('DELETE', `/instances/${id}`)).status).toBe(200);
    expectCeError(await h.call('GET', hub('/incidents'), { token: instance.token as string }), 401);
  });

  it('acts on the instance of the Element token without an id', async () => {
    const configuration = await h.call('GET', '/instances/configuration');
    expect(configuration.status).toBe(200);
    const items = configuration.json<{ id: string; key: string; propertyValue: string }[]>();
    expect(items.find((item) => item.key === 'filter.response.nulls')?.propertyValue).toBe('true');
    const off = await h.call('PATCH', '/instances/configuration/filter.response.nulls', {
      json: { propertyValue: false },
    });
    expect(off.json()).toMatchObject({ key: 'filter.response.nulls', propertyValue: 'false' });
    const renamed = await h.call('PATCH', '/instances', { json: { name: 'renamed through the token' } });
    expect(renamed.json()).toMatchObject({ id: h.instanceId, name: 'renamed through the token' });
    const back = await h.call('PATCH', '/instances/configuration/filter.response.nulls', {
      json: { propertyValue: true },
    });
    expect(back.json()).toMatchObject({ propertyValue: 'true' });
    const docs = await h.call('GET', '/instances/docs');
    expect(docs.json()).toHaveProperty('openapi');
    const events = await h.call('GET', '/instances/events');
    expect(events.status).toBe(200);
    expect(Array.isArray(events.json())).toBe(true);
    // The same routes with platform credentials only have no instance to act on.
    expectCeError(await h.platform('GET', '/instances/configuration'), 401);
  });
});

describe('hub resources', () => {
  it('pages a list with Elements-Returned-Count and Elements-Next-Page-Token (absent on the last page)', async () => {
    const first = await h.call('GET', hub('/incidents?pageSize=20'));
    expect(first.status).toBe(200);
    expect(first.json<unknown[]>()).toHaveLength(20);
    expect(first.headers.get('elements-returned-count')).toBe('20');
    let token = first.headers.get('elements-next-page-token');
    let total = 20;
    while (token !== null) {
      const page = await h.call('GET', hub(`/incidents?pageSize=20&nextPage=${encodeURIComponent(token)}`));
      total += page.json<unknown[]>().length;
      token = page.headers.get('elements-next-page-token');
    }
    expect(total).toBeGreaterThanOrEqual(INCIDENTS);
    // 1-based pages: page 1 + page 2 at size n is page 1 at size 2n.
    const a = (await h.call('GET', hub('/incidents?page=1&pageSize=5'))).json<{ id: string }[]>();
    const b = (await h.call('GET', hub('/incidents?page=2&pageSize=5'))).json<{ id: string }[]>();
    const ab = (await h.call('GET', hub('/incidents?page=1&pageSize=10'))).json<{ id: string }[]>();
    expect([...a, ...b].map((r) => r.id)).toEqual(ab.map((r) => r.id));
  });

  it('ignores the hub segment, as CE did', async () => {
    const ids = async (path: string) =>
      (await h.call('GET', `${path}?pageSize=3`)).json<{ id: string }[]>().map((r) => r.id);
    const expected = await ids(hub('/incidents'));
    expect(await ids('/hubs/crm/incidents')).toEqual(expected);
    expect(await ids('/incidents')).toEqual(expected);
  });

  it('creates with 200 and the created object, updates with PATCH, deletes with 200', async () => {
    const created = await h.call('POST', hub('/incidents'), {
      json: { description: "The button doesn't press", active: 'true' },
    });
    expect(created.status).toBe(200);
    const record = created.json<{ id: string; sys_id: string; description: string }>();
    expect(record.id).toBe(record.sys_id);
    expect(record.description).toBe("The button doesn't press");
    const updated = await h.call('PATCH', hub(`/incidents/${record.id}`), {
      json: { description: 'I am an updated incident' },
    });
    expect(updated.status).toBe(200);
    expect(updated.json()).toMatchObject({ id: record.id, description: 'I am an updated incident' });
    const comment = await h.call('POST', hub(`/incidents/${record.id}/comments`), {
      json: { comments: 'a comment' },
    });
    expect(comment.status).toBe(200);
    const comments = await h.call('GET', hub(`/incidents/${record.id}/comments`));
    expect(comments.json<unknown[]>().length).toBe(1);
    expect((await h.call('DELETE', hub(`/incidents/${record.id}`))).status).toBe(200);
    expectCeError(await h.call('GET', hub(`/incidents/${record.id}`)), 404);
  });

  it('answers ping, objects, object metadata and object docs', async () => {
    const ping = await h.call('GET', hub('/ping'));
    expect(ping.status).toBe(200);
    expect(ping.json()).toMatchObject({
      valid: true,
      dateTime: expect.any(String),
      endpoint: expect.any(String),
    });
    const objects = (await h.call('GET', hub('/objects'))).json<string[]>();
    expect(objects).toContain('incidents');
    expect(objects.every((name) => typeof name === 'string')).toBe(true);
    const metadata = (await h.call('GET', hub('/objects/incidents/metadata'))).json<{
      fields: {
        vendorPath: string;
        type: string;
        vendorDisplayName: string;
        vendorReadOnly: boolean;
        vendorRequired: boolean;
      }[];
    }>();
    expect(metadata.fields.find((f) => f.vendorPath === 'number')).toMatchObject({
      type: 'string',
      vendorDisplayName: expect.any(String),
      vendorReadOnly: expect.any(Boolean),
      vendorRequired: expect.any(Boolean),
    });
    const docs = (await h.call('GET', hub('/objects/incidents/docs'))).json<{
      openapi: string;
      components: { schemas: Record<string, Record<string, unknown>> };
    }>();
    expect(docs.components.schemas.incidents?.['x-vendor-objectname']).toBe('incident');
  });

  it('refuses a bad token with 401 and an unknown verb with 405, in CE error bodies', async () => {
    expectCeError(await h.call('GET', hub('/incidents'), { token: 'not-a-token' }), 401);
    expectCeError(await h.call('PUT', hub('/incidents')), 405);
  });
});

describe('events', () => {
  it('lists the event log as CE event objects', async () => {
    const res = await h.platform('GET', `/instances/${h.instanceId}/events`);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.json())).toBe(true);
    expect(res.headers.get('elements-returned-count')).toBe(String(res.json<unknown[]>().length));
  });
});

describe('bulk', () => {
  it('runs a CE bulk query and serves its file as CSV and as JSON lines', async () => {
    const created = await h.call(
      'POST',
      hub(`/bulk/query?q=${encodeURIComponent('select * from incidents')}`),
    );
    expect(created.status).toBe(200);
    const job = created.json<{ id: string; status: string; instance_id: number }>();
    expect(job).toMatchObject({ status: 'CREATED', instance_id: h.instanceId });
    const status = await h.settle(job.id);
    expect(status).toMatchObject({
      status: 'COMPLETED',
      recordsCount: expect.any(Number),
      recordsFailedCount: 0,
    });
    const full = (await h.call('GET', hub(`/bulk/${job.id}/status`))).json<Record<string, unknown>>();
    for (const field of [
      'completionTime',
      'notificationUrl',
      'metaData',
      'jobCriteria',
      'fileFormat',
      'jobStatus',
    ]) {
      expect(full, field).toHaveProperty(field);
    }
    // CE's test splits the JSON download on newlines and parses each line.
    const json = await h.call('GET', hub(`/bulk/${job.id}/incidents`), {
      headers: { Accept: 'application/json' },
    });
    const lines = json.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { sys_id: string });
    expect(lines).toHaveLength(status.recordsCount);
    let csv = await h.call('GET', hub(`/bulk/${job.id}/incidents`), { headers: { Accept: 'text/csv' } });
    if (csv.status === 202) {
      expect(csv.headers.get('retry-after')).toBeTruthy();
      await h.queue.drain();
      csv = await h.call('GET', hub(`/bulk/${job.id}/incidents`), { headers: { Accept: 'text/csv' } });
    }
    const rows = parse(csv.text, { columns: true }) as { sys_id: string }[];
    expect(rows.map((row) => row.sys_id)).toEqual(lines.map((line) => line.sys_id));
  });

  it('lists jobs with CE job-list fields and filters them with CEQL', async () => {
    const res = await h.call(
      'GET',
      hub(`/bulk/jobs?where=${encodeURIComponent("job_direction='DOWNLOAD'")}`),
    );
    expect(res.status).toBe(200);
    const [first] = res.json<Record<string, unknown>[]>();
    for (const field of [
      'id',
      'instanceId',
      'object_name',
      'job_direction',
      'status',
      'record_count',
      'error_count',
      'fileFormat',
      'createdDate',
      'completion_time',
      'notification_url',
    ]) {
      expect(first, field).toHaveProperty(field);
    }
  });

  it('uploads CE documented form: JSON lines declared as json, errors in row order', async () => {
    const lines = ['{"name":"Team A"}', '{"name": broken', '{"name":"Team B"}', 'not json'].join('\n');
    const res = await h.call('POST', hub('/bulk/groups'), {
      form: uploadForm(lines, {
        fileName: 'groups.json',
        type: 'application/jsonl',
        metaData: { format: 'json' },
      }),
    });
    expect(res.status).toBe(200);
    const job = res.json<{ id: string; instanceId: number; status: string }>();
    expect(job).toMatchObject({ instanceId: h.instanceId, status: 'CREATED' });
    expect(await h.settle(job.id)).toMatchObject({
      status: 'COMPLETED',
      recordsCount: 4,
      recordsFailedCount: 2,
    });
    const errors = await h.call('GET', hub(`/bulk/${job.id}/errors`));
    expect(errors.json<{ rowNumber: number }[]>().map((e) => e.rowNumber)).toEqual([2, 4]);
    // Cancelling a job that already ended is refused, not silently accepted.
    expectCeError(await h.call('PUT', hub(`/bulk/${job.id}/cancel`)), 409);
  });
});

describe('transformations', () => {
  it('defines a common resource, maps it and serves it as a hub resource', async () => {
    const definition = await h.platform('POST', '/organizations/objects/cetickets/definitions', {
      fields: [
        { path: 'id', type: 'string' },
        { path: 'title', type: 'string' },
      ],
    });
    expect(definition.status).toBe(200);
    const mapping = await h.platform('POST', '/organizations/elements/servicenow/transformations/cetickets', {
      vendorName: 'incident',
      fields: [
        { path: 'id', type: 'string', vendorPath: 'sys_id' },
        { path: 'title', type: 'string', vendorPath: 'short_description' },
      ],
      configuration: [{ type: 'passThrough', properties: { fromVendor: false, toVendor: false } }],
    });
    expect(mapping.status).toBe(200);
    expect(mapping.json()).toMatchObject({ level: 'organization', vendorName: 'incident' });
    const records = (await h.call('GET', hub('/cetickets?pageSize=2'))).json<Record<string, unknown>[]>();
    expect(records).toHaveLength(2);
    for (const record of records) expect(Object.keys(record).sort()).toEqual(['id', 'title']);
  });
});
