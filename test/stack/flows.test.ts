/**
 * The README flows against the SYNTHESIZED stack: every call goes through the template's HTTP API, its
 * authorizer and the bundled functions on Node 24, which reach DynamoDB, SQS, S3 and Secrets Manager
 * emulators through the IAM checks of their roles. The suite fails on any AccessDenied, missing
 * environment variable or response over 6 MB the runner saw (afterAll).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_BASE_PATH, CONSOLE_OAUTH_CALLBACK_PATH } from '../../functions/routes';
import { resourcesOfType } from '../../functions/stack-runner/template';
import { type SimulatorHandle, startSimulator } from '../simulator';
import { DEFAULT_OAUTH_CLIENTS } from '../simulator/auth';
import {
  type CallResult,
  call,
  expectNoDeploymentBreakers,
  hubAuth,
  PLATFORM,
  type StackUnderTest,
  startStackForTests,
} from './harness';

let sim: SimulatorHandle;
let under: StackUnderTest;
let callbacks: Server;
let callbackUrl: string;
const received: { path: string; body: string; headers: Record<string, unknown> }[] = [];
/** The demo OAuth client's redirect URIs; the console callback joins once the stack listens. */
const redirectUris = [...(DEFAULT_OAUTH_CLIENTS[0]?.redirectUris ?? [])];
let token = '';
let instanceId = 0;

const basicInstance = (name: string) => ({
  element: { key: 'servicenow' },
  name,
  tags: ['stack'],
  configuration: { username: 'admin', password: 'admin', 'servicenow.subdomain': sim.url },
});

const hub = (path: string, init: Parameters<typeof call>[1] = {}) =>
  call(`${under.api}/hubs/helpdesk${path}`, { auth: hubAuth(token), ...init });
const platform = (path: string, init: Parameters<typeof call>[1] = {}) =>
  call(`${under.api}${path}`, { auth: PLATFORM, ...init });

const settle = async (jobId: string) => {
  let status: { status: string; recordsCount?: number; recordsFailedCount?: number } = { status: '' };
  await expect
    .poll(
      async () => {
        status = (await hub(`/bulk/${jobId}/status`)).json();
        return ['COMPLETED', 'ERROR', 'FAILED', 'ABORTED', 'CANCELLED'].includes(status.status);
      },
      { timeout: 30_000, interval: 200 },
    )
    .toBe(true);
  return status;
};

beforeAll(async () => {
  sim = await startSimulator({
    data: { incidents: 120, problems: 5, changes: 5, users: 10, groups: 3 },
    oauthClients: DEFAULT_OAUTH_CLIENTS.map((client) => ({ ...client, redirectUris })),
  });
  callbacks = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        headers: request.headers,
      });
      response.writeHead(request.url === '/fail' ? 500 : 200).end();
    });
  });
  await new Promise<void>((resolve) => callbacks.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(callbacks.address() as AddressInfo).port}`;
  under = await startStackForTests();
  redirectUris.push(`${under.api}${CONSOLE_OAUTH_CALLBACK_PATH}`);
}, 180_000);

afterAll(async () => {
  await under?.close();
  await sim?.close();
  await new Promise((resolve) => callbacks?.close(resolve));
});

describe('the synthesized stack on the stack runner', () => {
  it('runs the functions on the Lambda runtime Node and answers /ping through the HTTP API', async () => {
    expect(under.nodeVersion).toMatch(/^v24\./);
    const ping = await call(`${under.api}/ping`);
    expect(ping.status).toBe(200);
    expect(ping.json()).toMatchObject({ status: 'ok' });
    expect(under.accessLog.some((line) => line.includes(`"routeKey":"GET ${API_BASE_PATH}/ping"`))).toBe(
      true,
    );
    // The function's REPORT line, as Lambda logs it: this first call started its environment.
    const pingName = [...under.stack.functions.values()].find((spec) =>
      spec.logicalId.startsWith('ApiPingFunction'),
    )?.name;
    const report = under.reports.find((candidate) => candidate.functionName === pingName);
    expect(report).toMatchObject({ ok: true, memorySizeMb: 256 });
    expect(under.logs).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^\\[${pingName}\\] REPORT RequestId: ${report?.requestId}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: [\\d.]+ ms$`,
        ),
      ),
    );
  });

  it('answers as API Gateway where the gateway answers itself', async () => {
    expect(await call(`${under.api}/elements`)).toMatchObject({
      status: 401,
      text: '{"message":"Unauthorized"}',
    });
    expect(await call(`${under.stack.origin}/nowhere`)).toMatchObject({
      status: 404,
      text: '{"message":"Not Found"}',
    });
    const big = await call(`${under.api}/instances`, {
      method: 'POST',
      auth: PLATFORM,
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(big).toMatchObject({ status: 413, text: '{"message":"Request Entity Too Large"}' });
  });

  it('creates a Basic instance (secret in Secrets Manager) and calls ServiceNow through the hub', async () => {
    const created = await platform('/instances', { method: 'POST', json: basicInstance('stack demo') });
    expect(created.status, created.text).toBe(200);
    ({ token, id: instanceId } = created.json<{ token: string; id: number }>());
    expect(created.json()).toMatchObject({ configuration: { password: '********' }, valid: true });
    expect((await hub('/ping')).status).toBe(200);
    const listed = await platform('/instances?tags%5B%5D=stack');
    expect(listed.json<{ id: number }[]>().map((instance) => instance.id)).toContain(instanceId);
    const renamed = await platform(`/instances/${instanceId}`, {
      method: 'PATCH',
      json: { name: 'renamed' },
    });
    expect(renamed.json()).toMatchObject({ name: 'renamed' });
    expect((await platform(`/instances/${instanceId}/configuration`)).status).toBe(200);
  });

  it('creates an OAuth instance with the authorization-code grant', async () => {
    const url = await platform(
      `/elements/servicenowoauth/oauth/url?apiKey=demo-client&apiSecret=demo-secret&callbackUrl=${encodeURIComponent('http://127.0.0.1/callback')}&servicenow.subdomain=${encodeURIComponent(sim.url)}`,
    );
    expect(url.status, url.text).toBe(200);
    const authorize = await fetch(url.json<{ oauthUrl: string }>().oauthUrl, { redirect: 'manual' });
    const code = new URL(authorize.headers.get('location') ?? '').searchParams.get('code');
    expect(code).toBeTruthy();
    const created = await platform('/instances', {
      method: 'POST',
      json: {
        element: { key: 'servicenowoauth' },
        name: 'oauth demo',
        providerData: { code },
        configuration: {
          'oauth.api.key': 'demo-client',
          'oauth.api.secret': 'demo-secret',
          'oauth.callback.url': 'http://127.0.0.1/callback',
          'servicenow.subdomain': sim.url,
        },
      },
    });
    expect(created.status, created.text).toBe(200);
    const oauthToken = created.json<{ token: string }>().token;
    const incidents = await call(`${under.api}/hubs/helpdesk/incidents?pageSize=1`, {
      auth: hubAuth(oauthToken),
    });
    expect(incidents.status, incidents.text).toBe(200);
  });

  it('connects an OAuth instance through the console callback, and serves the console', async () => {
    const started = await platform('/instances/oauth/connect', {
      method: 'POST',
      json: {
        element: { key: 'servicenowoauth' },
        name: 'connected',
        configuration: {
          'oauth.api.key': 'demo-client',
          'oauth.api.secret': 'demo-secret',
          'servicenow.subdomain': sim.url,
        },
      },
    });
    expect(started.status, started.text).toBe(200);
    const { authorizeUrl, callbackUrl: redirectUri } = started.json<{
      authorizeUrl: string;
      callbackUrl: string;
    }>();
    expect(redirectUri).toBe(`${under.api}${CONSOLE_OAUTH_CALLBACK_PATH}`);
    expect(started.text).not.toContain('demo-secret');
    const authorized = await fetch(authorizeUrl, { redirect: 'manual' });
    const callback = authorized.headers.get('location') ?? '';
    expect(callback.startsWith(redirectUri)).toBe(true);
    const completed = await fetch(callback, { redirect: 'manual' });
    expect(completed.status).toBe(302);
    const location = completed.headers.get('location') ?? '';
    expect(location).toMatch(new RegExp(`^${API_BASE_PATH}/console/#/instances/\\d+\\?connected=1$`));
    const id = location.match(/instances\/(\d+)/)?.[1];
    const instance = await platform(`/instances/${id}`);
    expect(instance.json()).toMatchObject({ valid: true, name: 'connected' });
    const incidents = await call(`${under.api}/hubs/helpdesk/incidents?pageSize=1`, {
      auth: hubAuth(instance.json<{ token: string }>().token),
    });
    expect(incidents.status, incidents.text).toBe(200);
    const replay = await fetch(callback, { redirect: 'manual' });
    expect(replay.headers.get('location')).toContain('reason=already_used');

    const redirect = await fetch(`${under.api}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(`${API_BASE_PATH}/console/`);
    // 200 once the browser app is built into the asset (npm run build:console), else a 404 saying so.
    const page = await call(`${under.api}/console/`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    if (page.status === 200) expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    else expect(page).toMatchObject({ status: 404, text: expect.stringContaining('npm run build:console') });
    expect((await call(`${under.api}/console/..%2f..%2fpackage.json`)).status).toBe(404);
  });

  it('serves hub CRUD, paging, comments and attachments', async () => {
    const created = await hub('/incidents', {
      method: 'POST',
      json: { short_description: 'Printer on fire', urgency: '1' },
    });
    expect(created.status, created.text).toBe(200);
    const id = created.json<{ sys_id: string }>().sys_id;
    expect((await hub(`/incidents/${id}`)).json()).toMatchObject({ short_description: 'Printer on fire' });
    expect((await hub(`/incidents/${id}`, { method: 'PATCH', json: { state: '2' } })).status).toBe(200);

    const first = await hub('/incidents?pageSize=50&returnTotalCount=true');
    expect(first.status).toBe(200);
    expect(first.json<unknown[]>()).toHaveLength(50);
    const next = first.headers.get('elements-next-page-token');
    expect(next).toBeTruthy();
    const second = await hub(`/incidents?pageSize=50&nextPage=${encodeURIComponent(next ?? '')}`);
    expect(second.json<unknown[]>()).toHaveLength(50);

    expect(
      (await hub(`/incidents/${id}/comments`, { method: 'POST', json: { comments: 'Customer called back' } }))
        .status,
    ).toBe(200);
    expect(JSON.stringify((await hub(`/incidents/${id}/comments`)).json())).toContain('Customer called back');

    const form = new FormData();
    form.append('file', new Blob(['screenshot bytes'], { type: 'image/png' }), 'screenshot.png');
    const attached = await hub(`/incidents/${id}/attachments`, { method: 'POST', body: form });
    expect(attached.status, attached.text).toBeLessThan(300);
    const attachmentId = attached.json<{ id: string }>().id;
    const file = await hub(`/incidents/${id}/attachments/${attachmentId}/file`);
    expect(file.text).toBe('screenshot bytes');
    expect(
      (await hub(`/incidents/${id}/attachments/${attachmentId}`, { method: 'DELETE' })).status,
    ).toBeLessThan(300);
    expect((await hub(`/incidents/${id}`, { method: 'DELETE' })).status).toBeLessThan(300);
  });

  it('downloads a table in each format through the queue, the worker and a presigned S3 URL', async () => {
    for (const format of ['text/csv', 'application/jsonl', 'application/json']) {
      const job = await hub('/bulk/download', {
        method: 'POST',
        json: { objectName: 'incidents', format, selectFields: ['number', 'short_description'] },
      });
      expect(job.status, job.text).toBe(200);
      const { id } = job.json<{ id: string }>();
      expect(await settle(id)).toMatchObject({ status: 'COMPLETED' });
      // fetch follows the 302 to the presigned URL, which the worker's S3 grant must cover.
      const file = await hub(`/bulk/${id}/incidents`, { headers: { Accept: format } });
      expect(file.status, file.text).toBe(200);
      const lines = file.text.trim().split('\n');
      if (format === 'text/csv') expect(lines[0]).toBe('number,short_description');
      if (format === 'application/jsonl') expect(JSON.parse(lines[0] ?? '{}')).toHaveProperty('number');
      if (format === 'application/json') expect(Array.isArray(JSON.parse(file.text))).toBe(true);
    }
  });

  it('downloads in parallel partitions, each chunk its own worker invocation', async () => {
    const job = await hub('/bulk/download', {
      method: 'POST',
      json: { objectName: 'incidents', format: 'text/csv', selectFields: ['number'], partitions: 2 },
    });
    expect(job.status, job.text).toBe(200);
    const { id } = job.json<{ id: string }>();
    expect(await settle(id)).toMatchObject({ status: 'COMPLETED' });
    const file = await hub(`/bulk/${id}/incidents`, { headers: { Accept: 'text/csv' } });
    expect(file.text.trim().split('\n').length).toBeGreaterThan(100);
  });

  it('uploads a file with malformed rows and reports them, and starts a presigned upload from its S3 event', async () => {
    const csv = [
      'name,description',
      'Team A,first',
      'Team B',
      'Team C,third,extra',
      'Team D,"quoted, comma"',
      '',
    ].join('\n');
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'groups.csv');
    const job = await hub('/bulk/groups', { method: 'POST', body: form });
    expect(job.status, job.text).toBe(200);
    const { id } = job.json<{ id: string }>();
    expect(await settle(id)).toMatchObject({ status: 'COMPLETED', recordsCount: 4, recordsFailedCount: 2 });
    expect((await hub(`/bulk/${id}/errors`)).json<unknown[]>()).toHaveLength(2);

    const presigned = await hub('/bulk/groups/uploads', { method: 'POST', json: { format: 'text/csv' } });
    expect(presigned.status, presigned.text).toBe(200);
    const upload = presigned.json<{ id: string; uploadUrl: string; headers: Record<string, string> }>();
    const put = await fetch(upload.uploadUrl, {
      method: 'PUT',
      headers: upload.headers,
      body: 'name\nTeam E\n',
    });
    expect(put.status).toBe(200);
    expect(await settle(upload.id)).toMatchObject({ status: 'COMPLETED', recordsCount: 1 });
  });

  it('delivers a change to the callback through the schedule, the poller, SQS and the dispatcher', async () => {
    const configured = await platform(`/instances/${instanceId}`, {
      method: 'PATCH',
      json: {
        configuration: {
          'event.notification.enabled': true,
          'event.notification.callback.url': `${callbackUrl}/hooks`,
          'event.notification.signature.key': 'stack-key',
          'event.poller.configuration': { incidents: {} },
        },
      },
    });
    expect(configured.status, configured.text).toBe(200);
    await under.stack.runSchedules(); // the first poll sets the checkpoints
    const created = await hub('/incidents', {
      method: 'POST',
      json: { short_description: 'delivered by the stack' },
    });
    const sysId = created.json<{ sys_id: string }>().sys_id;
    const polled = await platform(`/instances/${instanceId}/events/poll`, { method: 'POST' });
    expect(polled.status, polled.text).toBeLessThan(300);
    await expect
      .poll(() => received.find((item) => item.body.includes(sysId)), { timeout: 20_000, interval: 100 })
      .toBeDefined();
    expect(received.find((item) => item.body.includes(sysId))?.headers['elements-webhook-signature']).toMatch(
      /^sha256=/,
    );
    expect((await platform(`/instances/${instanceId}/events/status`)).status).toBe(200);

    // A failing callback: the dispatcher backs off through ChangeMessageVisibility on the events queue.
    await platform(`/instances/${instanceId}`, {
      method: 'PATCH',
      json: { configuration: { 'event.notification.callback.url': `${callbackUrl}/fail` } },
    });
    const failing = await hub('/incidents', {
      method: 'POST',
      json: { short_description: 'refused by the callback' },
    });
    const failingId = failing.json<{ sys_id: string }>().sys_id;
    await platform(`/instances/${instanceId}/events/poll`, { method: 'POST' });
    await expect
      .poll(
        async () =>
          (await platform(`/instances/${instanceId}/events?status=FAILED`))
            .json<{ lastStatusCode?: number }[]>()
            .some((event) => event.lastStatusCode === 500),
        { timeout: 20_000, interval: 200 },
      )
      .toBe(true);
    expect(received.some((item) => item.path === '/fail' && item.body.includes(failingId))).toBe(true);
  });

  it('applies a transformation defined through the platform API to hub records', async () => {
    const definition = await platform('/organizations/objects/tickets/definitions', {
      method: 'POST',
      json: {
        fields: [
          { path: 'id', type: 'string' },
          { path: 'title', type: 'string' },
        ],
      },
    });
    expect(definition.status, definition.text).toBeLessThan(300);
    const mapping = await platform('/organizations/elements/servicenow/transformations/tickets', {
      method: 'POST',
      json: {
        vendorName: 'incident',
        fields: [
          { path: 'id', type: 'string', vendorPath: 'sys_id' },
          { path: 'title', type: 'string', vendorPath: 'short_description' },
        ],
      },
    });
    expect(mapping.status, mapping.text).toBeLessThan(300);
    const tickets = await hub('/tickets?pageSize=2');
    expect(tickets.status, tickets.text).toBe(200);
    expect(Object.keys(tickets.json<Record<string, unknown>[]>()[0] ?? {}).sort()).toEqual(['id', 'title']);
  });

  it('reaches every route of the template through its authorizer to its function', async () => {
    const routes = resourcesOfType(under.stack.assembly.template, 'AWS::ApiGatewayV2::Route').map(
      ([, route]) =>
        route.Properties as { RouteKey: string; AuthorizationType: string; AuthorizerId?: { Ref: string } },
    );
    const authorizerNames = new Map(
      resourcesOfType(under.stack.assembly.template, 'AWS::ApiGatewayV2::Authorizer').map(([id, a]) => [
        id,
        String(a.Properties?.Name),
      ]),
    );
    expect(routes.length).toBeGreaterThan(100);
    const failures: string[] = [];
    for (const route of routes) {
      const [method = 'GET', path = '/'] = route.RouteKey.split(' ');
      const concrete = path.replace(/\{[^}]+\}/g, (param) => (param === '{id}' ? '999999' : 'zz-probe'));
      const kind = route.AuthorizerId ? authorizerNames.get(route.AuthorizerId.Ref) : 'none';
      const auth = kind?.startsWith('hub')
        ? hubAuth(token)
        : kind?.startsWith('platform')
          ? PLATFORM
          : undefined;
      const result: CallResult = await call(`${under.stack.origin}${concrete}`, {
        method,
        ...(auth ? { auth } : {}),
        ...(['POST', 'PUT', 'PATCH'].includes(method) ? { json: {} } : {}),
      });
      // Only the functions set Elements-Request-Id; API Gateway's own answers (401/403/404/500) do not.
      if (!result.headers.get('elements-request-id') || result.status >= 500) {
        failures.push(`${route.RouteKey} (${kind}): ${result.status} ${result.text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('saw no AccessDenied, missing variable or oversized response in any of the flows', () => {
    expectNoDeploymentBreakers(under.stack.findings);
  });
});
