/**
 * Real answers against the OpenAPI document: local mode as `npm start` runs it (API, events poller and
 * dispatcher, bulk worker, demo ServiceNow simulator) walked through the main flows of instances, hub,
 * events, bulk and transformations. Every answer, errors included, must be a documented status of a
 * documented operation with a body matching its schema.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_BASE_PATH, HUB_PREFIX, ROUTES } from '../../functions/routes';
import { APP_VERSION } from '../../shared/config/version';
import { findElement } from '../../shared/elements';
import { buildOpenApiDocument } from '../../shared/openapi';
import { startedForSuite } from '../helpers/lifecycle';
import { demoEventsConfiguration, startLocalMode } from '../helpers/local-mode';
import { type CapturedResponse, createResponseValidator } from '../helpers/openapi-responses';
import { startReceiver } from '../helpers/receiver';

const secrets = { organization: 'c'.repeat(64), user: 'd'.repeat(64) };
const platform = `User ${secrets.user}, Organization ${secrets.organization}`;

const element = findElement('servicenow');
if (!element) throw new Error('servicenow element missing');
const document = buildOpenApiDocument({
  routes: ROUTES,
  basePath: API_BASE_PATH,
  hubPrefix: HUB_PREFIX,
  element,
  version: APP_VERSION,
});
const validator = createResponseValidator(document);

/**
 * Routes this walk cannot reach, `METHOD /elements/api-v2/path` (hub routes without the hub prefix) to
 * why; every other route of the route table must be called below.
 */
const CONSOLE_FILES =
  'static files of the web console, not JSON: test/console/static-files.test.ts checks them';
const NOT_WALKED: Record<string, string> = {
  'GET /elements/api-v2/console': CONSOLE_FILES,
  'HEAD /elements/api-v2/console': CONSOLE_FILES,
  'GET /elements/api-v2/console/{proxy+}': CONSOLE_FILES,
  'HEAD /elements/api-v2/console/{proxy+}': CONSOLE_FILES,
};

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: <T = Record<string, unknown>>() => T;
}

describe('real responses match the OpenAPI document', () => {
  const callbacks = startedForSuite(startReceiver);
  const local = startedForSuite(() =>
    // The timer never fires during the test: polls come from POST /instances/{id}/events/poll.
    startLocalMode('openapi', { secrets, logLevel: 'ERROR', eventsPollIntervalMs: 3_600_000 }),
  );
  let sim: string;
  const problems: string[] = [];
  let token = '';
  let instanceId = 0;

  /** One call below the API base path; its answer is checked against the document. */
  const call = async (
    method: string,
    path: string,
    options: {
      auth?: string | null;
      json?: unknown;
      form?: FormData;
      raw?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { ...options.headers };
    const auth = options.auth === undefined ? platform : options.auth;
    if (auth !== null) headers.Authorization = auth;
    let body: string | FormData | undefined = options.form ?? options.raw;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['Content-Type'] = 'application/json';
    }
    const res = await fetch(`${local.api.url}${path}`, {
      method,
      headers,
      redirect: 'manual',
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    const captured: CapturedResponse = {
      method,
      path: new URL(`${local.api.url}${path}`).pathname,
      status: res.status,
      contentType: res.headers.get('content-type'),
      requestId: res.headers.get('elements-request-id'),
      text,
    };
    problems.push(...validator.check(captured));
    return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
  };
  const hub = (method: string, path: string, options: Parameters<typeof call>[2] = {}) =>
    call(method, `${HUB_PREFIX}${path}`, { auth: `User ${secrets.user}, Element ${token}`, ...options });

  beforeAll(() => {
    sim = local.simulator?.url ?? '';
  });

  // Each flow reports its own mismatches.
  beforeEach(() => {
    problems.length = 0;
  });

  it('elements and instances, errors included', async () => {
    expect((await call('GET', '/ping', { auth: null })).status).toBe(200);
    expect((await call('GET', '/elements')).status).toBe(200);
    expect((await call('GET', '/elements/servicenow')).status).toBe(200);
    expect((await call('GET', '/elements/145/metadata')).status).toBe(200);
    expect((await call('GET', '/elements/servicenow/configuration')).status).toBe(200);
    const oauthQuery = new URLSearchParams({
      apiKey: 'client',
      apiSecret: 'secret',
      callbackUrl: 'https://app.example/callback',
      'servicenow.subdomain': sim,
    });
    expect((await call('GET', `/elements/servicenowoauth/oauth/url?${oauthQuery}`)).status).toBe(200);
    expect((await call('GET', '/elements/servicenow/oauth/url')).status).toBe(400);
    expect((await call('GET', '/elements/servicenow/docs')).status).toBe(200);
    expect((await call('GET', '/elements/salesforce')).status).toBe(404);
    expect((await call('GET', '/elements', { auth: null })).status).toBe(401);
    expect((await call('DELETE', '/elements')).status).toBe(405);
    const textBody = await call('POST', '/instances', {
      headers: { 'Content-Type': 'text/plain' },
      raw: 'name=x',
    });
    expect(textBody.status).toBe(415);
    expect((await call('POST', '/instances', { json: { name: 'x'.repeat(100_000) } })).status).toBe(413);

    const configuration = demoEventsConfiguration(sim, `${callbacks.url}/events`);
    const created = await call('POST', '/instances', {
      json: { element: { key: 'servicenow' }, name: 'openapi', tags: ['docs'], configuration },
    });
    expect(created.status, created.text).toBe(200);
    ({ id: instanceId, token } = created.json<{ id: number; token: string }>());
    expect((await call('POST', '/instances', { json: { name: 5 } })).status).toBe(400);
    const connect = await call('POST', '/instances/oauth/connect', {
      json: {
        element: { key: 'servicenowoauth' },
        name: 'connected',
        configuration: {
          'oauth.api.key': 'client',
          'oauth.api.secret': 'secret',
          'servicenow.subdomain': sim,
        },
      },
    });
    expect(connect.status, connect.text).toBe(200);
    expect((await call('POST', '/instances/oauth/connect', { json: { name: 5 } })).status).toBe(400);
    // A Basic instance has no OAuth client to authorize with.
    expect((await call('POST', `/instances/${instanceId}/oauth/connect`)).status).toBe(400);
    const refused = await call('GET', '/console/oauth/callback?code=x&state=forged', { auth: null });
    expect(refused.status).toBe(302);
    expect(refused.headers.get('location')).toMatch(/#\/connect-error\?reason=invalid_state/);
    expect((await call('POST', '/elements/servicenow/instances', { json: { name: 'x' } })).status).toBe(400);
    expect((await call('GET', '/instances?tags[]=docs')).status).toBe(200);
    expect((await call('GET', `/instances/${instanceId}`)).status).toBe(200);
    expect((await call('GET', '/instances/999999')).status).toBe(404);
    expect((await call('PATCH', `/instances/${instanceId}`, { json: { name: 'renamed' } })).status).toBe(200);
    const replaced = await call('PUT', `/instances/${instanceId}`, {
      json: { name: 'openapi', tags: ['docs'], configuration },
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect((await call('DELETE', `/instances/${instanceId}/enabled`)).status).toBe(200);
    expect((await hub('GET', '/incidents')).status).toBe(403);
    expect((await call('PUT', `/instances/${instanceId}/enabled`)).status).toBe(200);
    expect((await call('GET', `/instances/${instanceId}/configuration`)).status).toBe(200);
    expect((await call('GET', `/instances/${instanceId}/configuration/password`)).status).toBe(200);
    expect((await call('GET', `/instances/${instanceId}/configuration/nope`)).status).toBe(404);
    const patchedKey = await call('PATCH', `/instances/${instanceId}/configuration/filter.response.nulls`, {
      json: { propertyValue: true },
    });
    expect(patchedKey.status, patchedKey.text).toBe(200);
    expect((await call('GET', `/instances/${instanceId}/docs`)).status).toBe(200);
    // The same routes on "the current instance" (the Element token's).
    const current = `User ${secrets.user}, Element ${token}`;
    expect((await call('GET', '/instances/configuration', { auth: current })).status).toBe(200);
    expect((await call('GET', '/instances/configuration/username', { auth: current })).status).toBe(200);
    expect((await call('GET', '/instances/docs', { auth: current })).status).toBe(200);
    expect((await call('PATCH', '/instances', { auth: current, json: { name: 'openapi' } })).status).toBe(
      200,
    );
    const replacedCurrent = await call('PUT', '/instances', {
      auth: current,
      json: { name: 'openapi', tags: ['docs'], configuration },
    });
    expect(replacedCurrent.status, replacedCurrent.text).toBe(200);
    const patchedCurrent = await call('PATCH', '/instances/configuration/filter.response.nulls', {
      auth: current,
      json: { propertyValue: 'true' },
    });
    expect(patchedCurrent.status, patchedCurrent.text).toBe(200);

    const doomed = await call('POST', '/elements/servicenow/instances', {
      json: {
        name: 'doomed',
        configuration: { username: 'admin', password: 'admin', 'servicenow.subdomain': sim },
      },
    });
    expect(doomed.status, doomed.text).toBe(200);
    expect((await call('DELETE', `/instances/${doomed.json<{ id: number }>().id}`)).status).toBe(200);
    expect(problems).toEqual([]);
  });

  it('hub records, journal, attachments and metadata', async () => {
    expect((await hub('GET', '/ping')).status).toBe(200);
    expect((await hub('GET', '/objects')).status).toBe(200);
    expect((await hub('GET', '/objects', { headers: { 'Elements-Version': 'Helium' } })).status).toBe(200);
    expect((await hub('GET', '/objects/incidents/metadata')).status).toBe(200);
    expect((await hub('GET', '/objects/incidents/docs')).status).toBe(200);
    const created = await hub('POST', '/incidents', { json: { short_description: 'documented' } });
    expect(created.status, created.text).toBe(200);
    const id = created.json<{ id: string }>().id;
    expect((await hub('GET', '/incidents?pageSize=2&returnTotalCount=true')).status).toBe(200);
    expect(
      (
        await call('GET', `/incidents/${id}?fields=number,short_description`, {
          auth: `User ${secrets.user}, Element ${token}`,
        })
      ).status,
    ).toBe(200);
    expect((await hub('GET', `/incidents/${id}?displayValues=all`)).status).toBe(200);
    expect((await hub('PATCH', `/incidents/${id}`, { json: { urgency: '2' } })).status).toBe(200);
    expect((await hub('PUT', `/incidents/${id}`, { json: { short_description: 'replaced' } })).status).toBe(
      200,
    );
    expect((await hub('GET', "/incidents?where=nope = 'x'")).status).toBe(400);
    expect((await hub('GET', '/incidents/0123456789abcdef0123456789abcdef')).status).toBe(404);
    expect((await hub('POST', `/incidents/${id}/comments`, { json: { comments: 'a comment' } })).status).toBe(
      200,
    );
    expect(
      (await hub('POST', `/incidents/${id}/comments`, { json: { value: 'the value form' } })).status,
    ).toBe(200);
    expect((await hub('POST', `/incidents/${id}/comments`, { json: { comments: ' ' } })).status).toBe(400);
    expect((await hub('GET', `/incidents/${id}/comments`)).status).toBe(200);
    expect(
      (await hub('POST', `/incidents/${id}/work-notes`, { json: { work_notes: 'a note' } })).status,
    ).toBe(200);
    expect((await hub('GET', `/incidents/${id}/work-notes`)).status).toBe(200);
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('%PDF-1.4 hello')], { type: 'application/pdf' }), 'report.pdf');
    const attached = await hub('POST', `/incidents/${id}/attachments`, { form });
    expect(attached.status, attached.text).toBe(200);
    const attachmentId = attached.json<{ id: string }>().id;
    expect((await hub('GET', `/incidents/${id}/attachments`)).status).toBe(200);
    expect((await hub('GET', `/incidents/${id}/attachments/${attachmentId}`)).status).toBe(200);
    expect((await hub('GET', `/incidents/${id}/attachments/${attachmentId}/file`)).status).toBe(200);
    expect((await hub('DELETE', `/incidents/${id}/attachments/${attachmentId}`)).status).toBe(200);
    expect((await hub('DELETE', `/incidents/${id}`)).status).toBe(200);
    expect((await hub('GET', '/incidents', { auth: `User ${secrets.user}, Element nope` })).status).toBe(401);
    expect(problems).toEqual([]);
  });

  it('events: poll now, the log, the poller status, redelivery', async () => {
    expect((await hub('POST', '/incidents', { json: { short_description: 'an event' } })).status).toBe(200);
    const polled = await call('POST', `/instances/${instanceId}/events/poll`);
    expect(polled.status, polled.text).toBe(200);
    expect((await call('GET', `/instances/${instanceId}/events/status`)).status).toBe(200);
    let events: { id: string; deliveryStatus: string }[] = [];
    await expect
      .poll(
        async () => {
          events = (await call('GET', `/instances/${instanceId}/events?pageSize=10`)).json();
          return events.find((event) => event.deliveryStatus === 'DELIVERED');
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBeDefined();
    const eventId = events.find((event) => event.deliveryStatus === 'DELIVERED')?.id ?? '';
    expect((await call('GET', `/instances/${instanceId}/events/${eventId}`)).status).toBe(200);
    expect((await call('GET', `/instances/${instanceId}/events/nope`)).status).toBe(404);
    expect((await call('GET', `/instances/${instanceId}/events?status=bogus`)).status).toBe(400);
    const current = `User ${secrets.user}, Element ${token}`;
    expect((await call('GET', '/instances/events', { auth: current })).status).toBe(200);
    expect((await call('GET', `/instances/events/${eventId}`, { auth: current })).status).toBe(200);
    const redelivered = await call('POST', `/instances/${instanceId}/events/${eventId}/redeliver`);
    expect(redelivered.status, redelivered.text).toBe(202);
    expect(problems).toEqual([]);
  });

  it('bulk: query, download in two formats, upload with errors, jobs, cancel', async () => {
    const completed = (jobId: string) =>
      expect
        .poll(async () => (await hub('GET', `/bulk/${jobId}/status`)).json<{ status: string }>().status, {
          timeout: 20_000,
          interval: 100,
        })
        .toBe('COMPLETED');
    const query = await hub('POST', `/bulk/query?q=${encodeURIComponent('select * from incidents')}`);
    expect(query.status, query.text).toBe(200);
    const jobId = query.json<{ id: string }>().id;
    await completed(jobId);
    // The job's own format is a redirect to the file; another one is converted first (202 until ready).
    expect((await hub('GET', `/bulk/${jobId}/incidents`, { headers: { Accept: '*/*' } })).status).toBe(302);
    const converting = await hub('GET', `/bulk/${jobId}/incidents`, { headers: { Accept: 'text/csv' } });
    expect(converting.status, converting.text).toBe(202);
    expect((await hub('GET', `/bulk/${jobId}/incidents`, { headers: { Accept: 'image/png' } })).status).toBe(
      406,
    );
    const download = await hub('POST', '/bulk/download', {
      json: { objectName: 'incidents', format: 'application/json', selectFields: ['number'] },
    });
    expect(download.status, download.text).toBe(200);
    expect((await hub('POST', '/bulk/download', { json: { objectName: 'incidents' } })).status).toBe(400);
    // One good row and one that is not JSON: the job completes with one row error.
    const form = new FormData();
    form.append(
      'file',
      new Blob(['{"short_description":"first"}\nnot json\n'], { type: 'application/jsonl' }),
      'rows.jsonl',
    );
    form.append('metaData', JSON.stringify({ format: 'jsonl' }));
    const upload = await hub('POST', '/bulk/incidents', { form });
    expect(upload.status, upload.text).toBe(200);
    const uploadId = upload.json<{ id: string }>().id;
    await completed(uploadId);
    const rowErrors = await hub('GET', `/bulk/${uploadId}/errors`);
    expect(rowErrors.status).toBe(200);
    expect(rowErrors.json<unknown[]>()).toHaveLength(1);
    expect((await hub('GET', '/bulk/jobs?pageSize=2')).status).toBe(200);
    expect((await hub('GET', "/bulk/jobs?where=job_status='COMPLETED'")).status).toBe(200);
    expect((await hub('PUT', `/bulk/${download.json<{ id: string }>().id}/cancel`)).status).toBeLessThan(500);
    expect((await hub('GET', '/bulk/nope/status')).status).toBe(404);
    const presigned = await hub('POST', '/bulk/incidents/uploads', { json: { format: 'text/csv' } });
    expect(presigned.status, presigned.text).toBe(200);
    expect(problems).toEqual([]);
  });

  it('transformations: definitions, mappings at three levels, the common resource through the hub', async () => {
    const fields = [{ path: 'title', type: 'string' }];
    expect(
      (await call('POST', '/organizations/objects/myTickets/definitions', { json: { fields } })).status,
    ).toBe(200);
    expect(
      (await call('POST', '/organizations/objects/myTickets/definitions', { json: { fields } })).status,
    ).toBe(409);
    expect(
      (await call('POST', '/organizations/objects/definitions', { json: { other: { fields } } })).status,
    ).toBe(200);
    expect((await call('GET', '/organizations/objects/definitions')).status).toBe(200);
    expect((await call('GET', '/organizations/objects/myTickets/definitions')).status).toBe(200);
    expect((await call('PUT', '/organizations/objects/other/definitions', { json: { fields } })).status).toBe(
      200,
    );
    expect((await call('POST', '/accounts/objects/mine/definitions', { json: { fields } })).status).toBe(200);
    expect((await call('GET', '/accounts/objects/definitions')).status).toBe(200);
    expect((await call('GET', `/instances/${instanceId}/objects/definitions`)).status).toBe(200);
    // The same routes at the account (the caller's own, by id or implied) and instance levels.
    const levels = {
      accountOnly: '/accounts',
      userOnly: '/accounts/default',
      instanceOnly: `/instances/${instanceId}`,
    };
    for (const [name, level] of Object.entries(levels)) {
      const created = await call('POST', `${level}/objects/${name}/definitions`, { json: { fields } });
      expect(created.status, created.text).toBe(200);
      expect((await call('GET', `${level}/objects/${name}/definitions`)).status).toBe(200);
      expect((await call('PUT', `${level}/objects/${name}/definitions`, { json: { fields } })).status).toBe(
        200,
      );
      expect((await call('GET', `${level}/objects/definitions`)).status).toBe(200);
      expect((await call('DELETE', `${level}/objects/${name}/definitions`)).status).toBe(200);
    }
    const mapping = {
      vendorName: 'incident',
      fields: [{ path: 'title', type: 'string', vendorPath: 'short_description' }],
      configuration: [{ type: 'addToDocumentation' }],
    };
    const path = '/organizations/elements/servicenow/transformations/myTickets';
    const mapped = await call('POST', path, { json: mapping });
    expect(mapped.status, mapped.text).toBe(200);
    expect(
      (await call('POST', path, { json: { vendorName: 'incident', fields: [], script: 'x' } })).status,
    ).toBe(400);
    expect((await call('GET', path)).status).toBe(200);
    expect((await call('PUT', path, { json: mapping })).status).toBe(200);
    expect((await call('GET', '/organizations/elements/servicenow/transformations')).status).toBe(200);
    for (const base of [
      '/accounts/default/elements/servicenow/transformations',
      `/instances/${instanceId}/transformations`,
    ]) {
      const created = await call('POST', `${base}/myTickets`, { json: mapping });
      expect(created.status, created.text).toBe(200);
      expect((await call('GET', `${base}/myTickets`)).status).toBe(200);
      expect((await call('PUT', `${base}/myTickets`, { json: mapping })).status).toBe(200);
      expect((await call('GET', base)).status).toBe(200);
      expect((await call('DELETE', `${base}/myTickets`)).status).toBe(200);
    }
    expect((await call('GET', `/instances/${instanceId}/transformations`)).status).toBe(200);
    // Mapped at the organization: the instance level has none of its own.
    expect((await call('GET', `/instances/${instanceId}/transformations/myTickets`)).status).toBe(404);
    expect((await hub('GET', '/myTickets?pageSize=1')).status).toBe(200);
    expect((await call('GET', `/instances/${instanceId}/docs`)).status).toBe(200);
    expect(
      (await call('PATCH', '/organizations/objects/other', { json: { objectName: 'renamed' } })).status,
    ).toBe(200);
    expect((await call('DELETE', path)).status).toBe(200);
    expect((await call('DELETE', '/organizations/objects/myTickets/definitions')).status).toBe(200);
    expect(problems).toEqual([]);
  });

  it('walked every route of the route table', () => {
    const bare = (path: string) =>
      path
        .replace(`${API_BASE_PATH}${HUB_PREFIX}/`, `${API_BASE_PATH}/`)
        .replace(`${API_BASE_PATH}/hubs/{hub}/`, `${API_BASE_PATH}/`);
    const walked = new Set([...validator.seen].map((entry) => bare(entry.split(' ').slice(0, 2).join(' '))));
    const notWalked = ROUTES.map((route) => bare(`${route.method} ${API_BASE_PATH}${route.path}`)).filter(
      (route) => !walked.has(route) && NOT_WALKED[route] === undefined,
    );
    expect(notWalked, 'add these routes to the flows above').toEqual([]);
  });

  it('the validator can fail: an undocumented status, a wrong body, a missing request id', () => {
    const base = {
      method: 'GET',
      path: `${API_BASE_PATH}/instances/7`,
      contentType: 'application/json',
      requestId: 'abc',
    };
    expect(validator.check({ ...base, status: 418, text: '{}' })[0]).toMatch(/status not documented/);
    expect(validator.check({ ...base, status: 200, text: '{"id":"seven"}' })[0]).toMatch(/does not match/);
    expect(validator.check({ ...base, status: 404, text: '{"message":"x"}' })[0]).toMatch(/requestId/);
    expect(
      validator.check({ ...base, status: 404, requestId: null, text: '{"requestId":"a","message":"x"}' }),
    ).toEqual([expect.stringMatching(/Elements-Request-Id/)]);
    expect(validator.check({ ...base, method: 'GET', path: '/nowhere', status: 200, text: '' })[0]).toMatch(
      /no documented operation/,
    );
  });
});
