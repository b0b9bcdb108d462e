import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstanceStore, MASK } from '../../shared/instances';
import { parseAllowedHosts } from '../../shared/net';
import {
  aliceAuth,
  authorizationCode,
  basicBody,
  bobAuth,
  type Harness,
  hubAuth,
  startHarness,
} from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

interface View {
  id: number;
  name: string;
  token?: string;
  valid: boolean;
  disabled: boolean;
  tags: string[];
  element: { key: string; id: number };
  configuration: Record<string, string>;
  user: { id: string };
}

const create = async (body: unknown = basicBody(h.sim), auth = aliceAuth) => {
  const res = await h.call('POST', '/instances', { auth, body });
  expect(res.status, res.text).toBe(200);
  return res.json() as View;
};

/** Calls that must fail with a JSON 4xx and leave the table, the secrets and ServiceNow alone. */
const expectRefused = async (
  status: number,
  run: () => Promise<{ status: number; text: string; headers: Headers }>,
  message?: RegExp,
) => {
  const before = await h.snapshot();
  const res = await run();
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json');
  const body = JSON.parse(res.text) as { requestId: string; message: string };
  expect(body.requestId).toBe(res.headers.get('elements-request-id'));
  if (message) expect(body.message).toMatch(message);
  expect(await h.snapshot()).toBe(before);
  return body;
};

describe('elements', () => {
  it('lists both elements and finds them by key or numeric id', async () => {
    const list = (await h.call('GET', '/elements', { auth: aliceAuth })).json() as {
      key: string;
      id: number;
    }[];
    expect(list.map((e) => [e.key, e.id])).toEqual([
      ['servicenow', 145],
      ['servicenowoauth', 566],
    ]);
    const basic = (await h.call('GET', '/elements/145', { auth: aliceAuth })).json() as Record<
      string,
      unknown
    >;
    expect(basic).toMatchObject({
      key: 'servicenow',
      hub: 'helpdesk',
      authentication: { type: 'basic' },
      bulkDownloadEnabled: true,
      bulkUploadEnabled: true,
      transformationsEnabled: true,
      events: { methods: ['polling'] },
    });
    const oauth = (await h.call('GET', '/elements/servicenowoauth', { auth: aliceAuth })).json() as {
      authentication: { type: string };
      configuration: { key: string; secret: boolean; defaultValue?: string }[];
    };
    expect(oauth.authentication.type).toBe('oauth2');
    const secrets = oauth.configuration.filter((c) => c.secret).map((c) => c.key);
    expect(secrets).toEqual(
      expect.arrayContaining([
        'oauth.api.key',
        'oauth.api.secret',
        'password',
        'event.notification.signature.key',
      ]),
    );
    expect(oauth.configuration.find((c) => c.key === 'filter.response.nulls')?.defaultValue).toBe('true');
    expect((await h.call('GET', '/elements/salesforce', { auth: aliceAuth })).status).toBe(404);
  });

  it('needs platform credentials', async () => {
    expect((await h.call('GET', '/elements')).status).toBe(401);
    expect(
      (await h.call('GET', '/instances', { auth: `User wrong-secret-123, Organization x` })).status,
    ).toBe(401);
  });
});

describe('OAuth URL', () => {
  it('points at oauth_auth.do with state defaulting to the element key, never carrying the secret', async () => {
    const query = new URLSearchParams({
      apiKey: 'demo-client',
      apiSecret: 'demo-secret',
      callbackUrl: 'http://127.0.0.1/callback',
      'servicenow.subdomain': 'dev12345',
    });
    const res = await h.call('GET', `/elements/servicenowoauth/oauth/url?${query}`, { auth: aliceAuth });
    expect(res.status).toBe(200);
    const body = res.json() as { element: string; oauthUrl: string };
    expect(body.element).toBe('servicenowoauth');
    const url = new URL(body.oauthUrl);
    expect(`${url.origin}${url.pathname}`).toBe('https://dev12345.service-now.com/oauth_auth.do');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'demo-client',
      redirect_uri: 'http://127.0.0.1/callback',
      state: 'servicenowoauth',
    });
    expect(res.text).not.toContain('demo-secret');
    query.set('state', 'xyz');
    const withState = (
      await h.call('GET', `/elements/566/oauth/url?${query}`, { auth: aliceAuth })
    ).json() as {
      oauthUrl: string;
    };
    expect(new URL(withState.oauthUrl).searchParams.get('state')).toBe('xyz');
  });

  it('names missing parameters and refuses the basic element', async () => {
    const missing = await h.call('GET', '/elements/servicenowoauth/oauth/url?apiKey=a', { auth: aliceAuth });
    expect(missing.status).toBe(400);
    expect((missing.json() as { message: string }).message).toContain(
      'apiSecret, callbackUrl, servicenow.subdomain',
    );
    const basic = await h.call(
      'GET',
      '/elements/servicenow/oauth/url?apiKey=a&apiSecret=b&callbackUrl=https://x.example/cb&servicenow.subdomain=dev1',
      { auth: aliceAuth },
    );
    expect(basic.status).toBe(400);
  });
});

describe('Basic instances', () => {
  it('provisions after a real ServiceNow call and answers the CE shape', async () => {
    const before = h.sim.requests.length;
    const view = await create();
    const calls = h.sim.requests.slice(before);
    expect(calls.some((r) => r.path === '/api/now/table/sys_user' && r.authorization === 'basic')).toBe(true);
    expect(view).toMatchObject({
      name: 'My ServiceNow',
      valid: true,
      disabled: false,
      eventsEnabled: false,
      tags: ['docs'],
      element: { key: 'servicenow', id: 145 },
      elementId: 145,
      user: { id: 'alice' },
    });
    expect(Buffer.from(view.token ?? '', 'base64')).toHaveLength(32);
    expect(view.configuration).toMatchObject({
      username: 'admin',
      password: MASK,
      'servicenow.subdomain': h.sim.url,
      'base.url': `${h.sim.url}/api/now/v1/table`,
      'filter.response.nulls': 'true',
      'event.notification.enabled': 'false',
      'event.poller.refresh_interval': '15',
      'event.poller.configuration': '{}',
      'pagination.type': 'offset',
      'pagination.max': '200',
      'bulk.query.field_name': 'sys_updated_on',
    });
    // Strings, as CE returns them; keys CE shows while unset are null.
    for (const value of Object.values(view.configuration))
      expect(value === null || typeof value === 'string').toBe(true);
    expect(view.configuration['event.notification.callback.url']).toBeNull();

    // Storage contract: no secret in the table, credentials and token in the secret.
    const store = createInstanceStore(h.deps);
    const record = await store.get(view.id);
    expect(JSON.stringify(record)).not.toContain('"admin","password"');
    expect(record?.configuration.password).toBe(MASK);
    const secret = await store.loadSecret({ secretName: `instances/${view.id}/credentials` });
    expect(secret).toEqual({
      token: view.token,
      auth: { type: 'basic', username: 'admin', password: 'admin' },
    });
    expect(await store.findToken(view.token ?? '')).toEqual({ instanceId: view.id, ownerUserId: 'alice' });

    const got = (await h.call('GET', `/instances/${view.id}`, { auth: aliceAuth })).json() as View;
    expect(got.token).toBe(view.token);
  });

  it('creates through /elements/{key}/instances without element.key, converting posted types to strings', async () => {
    const { element: _e, ...body } = basicBody(h.sim, {
      'filter.response.nulls': false,
      'event.poller.refresh_interval': 5,
      'event.poller.configuration': { incidents: { url: '/hubs/helpdesk/incidents' } },
    });
    const res = await h.call('POST', '/elements/servicenow/instances', { auth: aliceAuth, body });
    expect(res.status, res.text).toBe(200);
    const view = res.json() as View;
    expect(view.configuration['filter.response.nulls']).toBe('false');
    expect(view.configuration['event.poller.refresh_interval']).toBe('5');
    expect(JSON.parse(view.configuration['event.poller.configuration'] ?? '')).toEqual({
      incidents: { url: '/hubs/helpdesk/incidents' },
    });
  });

  it('sanitises HTML in name and tags', async () => {
    const view = await create({
      ...basicBody(h.sim),
      name: '<a href=x>churros-xss</a>',
      tags: ['<script>alert(1)</script>ok', '<b>bold</b>'],
    });
    expect(view.name).toBe('churros-xss');
    expect(view.tags).toEqual(['ok', 'bold']);
  });

  it('refuses bad input with a JSON 4xx and changes nothing', async () => {
    const missing = await expectRefused(400, () =>
      h.call('POST', '/instances', {
        auth: aliceAuth,
        body: { element: { key: 'servicenow' }, configuration: {} },
      }),
    );
    expect(missing.message).toBe('Missing required keys: name, username, password, servicenow.subdomain');
    const oauthMissing = await expectRefused(400, () =>
      h.call('POST', '/instances', {
        auth: aliceAuth,
        body: {
          element: { key: 'servicenowoauth' },
          name: 'x',
          providerData: { code: 'abc' },
          configuration: {},
        },
      }),
    );
    expect(oauthMissing.message).toBe(
      'Missing required keys: oauth.api.key, oauth.api.secret, oauth.callback.url, servicenow.subdomain',
    );
    await expectRefused(
      400,
      () => h.call('POST', '/instances', { auth: aliceAuth, body: { name: 'x' } }),
      /element\.key/,
    );
    await expectRefused(
      400,
      () =>
        h.call('POST', '/instances', {
          auth: aliceAuth,
          raw: '{"name": "x",',
          headers: { 'Content-Type': 'application/json' },
        }),
      /Malformed JSON/,
    );
    await expectRefused(400, () => h.call('POST', '/instances', { auth: aliceAuth, body: [1, 2] }));
    await expectRefused(
      400,
      () =>
        h.call('POST', '/instances', {
          auth: aliceAuth,
          body: { ...basicBody(h.sim), name: 42, tags: 'docs' },
        }),
      /name: expected string.*tags: expected array/,
    );
    await expectRefused(
      400,
      () =>
        h.call('POST', '/instances', {
          auth: aliceAuth,
          body: basicBody(h.sim, {
            'filter.response.nulls': 'maybe',
            'event.poller.refresh_interval': -1,
            nonsense: 'x',
            'base.url': 'x',
          }),
        }),
      /unknown configuration keys for element servicenow: nonsense; read-only configuration keys: base\.url; wrong value types: filter\.response\.nulls .*event\.poller\.refresh_interval/,
    );
    await expectRefused(
      400,
      () =>
        h.call('POST', '/instances', {
          auth: aliceAuth,
          body: { ...basicBody(h.sim), element: { key: 'nope' } },
        }),
      /Unknown element nope/,
    );
    await expectRefused(404, () =>
      h.call('POST', '/elements/nope/instances', { auth: aliceAuth, body: basicBody(h.sim) }),
    );
    await expectRefused(413, () =>
      h.call('POST', '/instances', {
        auth: aliceAuth,
        body: { ...basicBody(h.sim), name: 'x'.repeat(70_000) },
      }),
    );
    await expectRefused(415, () =>
      h.call('POST', '/instances', {
        auth: aliceAuth,
        raw: 'name=x',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      }),
    );
    // A name that is only markup is no name.
    await expectRefused(
      400,
      () =>
        h.call('POST', '/instances', {
          auth: aliceAuth,
          body: { ...basicBody(h.sim), name: '<script>x</script>' },
        }),
      /name/,
    );
  });

  it("refuses wrong credentials with ServiceNow's message and stores nothing", async () => {
    const body = await expectRefused(400, () =>
      h.call('POST', '/instances', {
        auth: aliceAuth,
        body: basicBody(h.sim, { password: 'wrong-password-1' }),
      }),
    );
    expect(body.message).toMatch(/ServiceNow rejected the username or password/);
    expect((body as { providerMessage?: string }).providerMessage).toEqual(expect.any(String));
  });

  it('answers 502 for a hibernating (HTML) or unreachable instance', async () => {
    h.sim.faults.inject({ kind: 'hibernate' }, { times: 5 });
    await expectRefused(
      502,
      () => h.call('POST', '/instances', { auth: aliceAuth, body: basicBody(h.sim) }),
      /HTML/,
    );
    h.sim.faults.clear();
    await expectRefused(502, () =>
      h.call('POST', '/instances', {
        auth: aliceAuth,
        body: basicBody(h.sim, { 'servicenow.subdomain': 'http://127.0.0.1:1' }),
      }),
    );
  });

  it('refuses subdomains pointing at private, loopback or metadata addresses (SSRF)', async () => {
    const allowed = h.deps.allowedHosts;
    const before = h.sim.requests.length;
    try {
      h.deps.allowedHosts = parseAllowedHosts('');
      for (const subdomain of [
        h.sim.url, // http to 127.0.0.1 without allow-listing
        `https://127.0.0.1:${h.sim.port}`,
        'https://10.0.0.1',
        'http://10.0.0.1',
        'https://169.254.169.254',
        `https://localhost:${h.sim.port}`, // a name resolving to a loopback address
        'https://user:pw@dev1.service-now.com',
      ]) {
        await expectRefused(
          400,
          () =>
            h.call('POST', '/instances', {
              auth: aliceAuth,
              body: basicBody(h.sim, { 'servicenow.subdomain': subdomain }),
            }),
          /servicenow\.subdomain/,
        );
      }
    } finally {
      h.deps.allowedHosts = allowed;
    }
    expect(h.sim.requests.length).toBe(before);
  });
});

describe('instance management', () => {
  it('patches name, tags and configuration; credential changes are re-validated', async () => {
    const view = await create();
    const patched = await h.call('PATCH', `/instances/${view.id}`, {
      auth: aliceAuth,
      body: { name: 'Renamed <i>x</i>', tags: ['a', 'b'], configuration: { 'filter.response.nulls': false } },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json()).toMatchObject({
      name: 'Renamed x',
      tags: ['a', 'b'],
      configuration: { 'filter.response.nulls': 'false' },
    });
    expect((patched.json() as View).token).toBeUndefined();

    await expectRefused(400, () =>
      h.call('PATCH', `/instances/${view.id}`, {
        auth: aliceAuth,
        body: { configuration: { password: 'not-the-password' } },
      }),
    );
    const before = h.sim.requests.length;
    const rotated = await h.call('PATCH', `/instances/${view.id}`, {
      auth: aliceAuth,
      body: { configuration: { password: 'admin', username: 'admin' } },
    });
    expect(rotated.status).toBe(200);
    // Unchanged credentials: no call to ServiceNow.
    expect(h.sim.requests.length).toBe(before);
    await expectRefused(400, () =>
      h.call('PATCH', `/instances/${view.id}`, {
        auth: aliceAuth,
        body: { element: { key: 'servicenowoauth' } },
      }),
    );
  });

  it('PUT replaces everything, keeping secrets that are not sent, and re-validates', async () => {
    const view = await create({ ...basicBody(h.sim), tags: ['x'] });
    const before = h.sim.requests.length;
    const res = await h.call('PUT', `/instances/${view.id}`, {
      auth: aliceAuth,
      body: { name: 'Replaced', configuration: { username: 'admin', 'servicenow.subdomain': h.sim.url } },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Replaced', tags: [], configuration: { password: MASK } });
    expect(h.sim.requests.length).toBeGreaterThan(before);
    await expectRefused(
      400,
      () => h.call('PUT', `/instances/${view.id}`, { auth: aliceAuth, body: { configuration: {} } }),
      /Missing required keys: name, username, servicenow\.subdomain/,
    );
  });

  it('exposes configuration items and patches one by key', async () => {
    const view = await create();
    const items = (
      await h.call('GET', `/instances/${view.id}/configuration`, { auth: aliceAuth })
    ).json() as {
      id: string;
      key: string;
      propertyValue: string;
    }[];
    expect(items.find((i) => i.key === 'password')).toMatchObject({ id: 'password', propertyValue: MASK });
    expect(items.find((i) => i.key === 'filter.response.nulls')?.propertyValue).toBe('true');
    const res = await h.call('PATCH', `/instances/${view.id}/configuration/filter.response.nulls`, {
      auth: aliceAuth,
      body: { propertyValue: false },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toMatchObject({ id: 'filter.response.nulls', propertyValue: 'false' });
    const again = (await h.call('GET', `/instances/${view.id}`, { auth: aliceAuth })).json() as View;
    expect(again.configuration['filter.response.nulls']).toBe('false');
    await expectRefused(404, () =>
      h.call('PATCH', `/instances/${view.id}/configuration/nonsense`, {
        auth: aliceAuth,
        body: { propertyValue: 1 },
      }),
    );
    await expectRefused(400, () =>
      h.call('PATCH', `/instances/${view.id}/configuration/filter.response.nulls`, {
        auth: aliceAuth,
        body: {},
      }),
    );
  });

  it("lists only the caller's instances, filtered by tags[]", async () => {
    const a = await create({ ...basicBody(h.sim), tags: ['red'] });
    const b = await create({ ...basicBody(h.sim), tags: ['blue'] });
    const bobs = await create(basicBody(h.sim), bobAuth);
    const all = (await h.call('GET', '/instances', { auth: aliceAuth })).json() as View[];
    expect(all.map((v) => v.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(all.map((v) => v.id)).not.toContain(bobs.id);
    expect(all.every((v) => v.token === undefined)).toBe(true);
    const red = (await h.call('GET', '/instances?tags[]=red', { auth: aliceAuth })).json() as View[];
    expect(red.map((v) => v.id)).toEqual([a.id]);
    const both = (
      await h.call('GET', '/instances?tags%5B%5D=red&tags%5B%5D=blue', { auth: aliceAuth })
    ).json() as View[];
    expect(both.map((v) => v.id)).toEqual([a.id, b.id]);
    const bobList = (await h.call('GET', '/instances', { auth: bobAuth })).json() as View[];
    expect(bobList.map((v) => v.id)).toEqual([bobs.id]);
  });

  it("hides another user's instance (404) and refuses its token (401)", async () => {
    const view = await create();
    for (const [method, path, body] of [
      ['GET', `/instances/${view.id}`, undefined],
      ['PATCH', `/instances/${view.id}`, { name: 'mine' }],
      ['PUT', `/instances/${view.id}`, basicBody(h.sim)],
      ['DELETE', `/instances/${view.id}`, undefined],
      ['DELETE', `/instances/${view.id}/enabled`, undefined],
      ['GET', `/instances/${view.id}/configuration`, undefined],
      ['PATCH', `/instances/${view.id}/configuration/filter.response.nulls`, { propertyValue: false }],
    ] as const) {
      await expectRefused(404, () => h.call(method, path, { auth: bobAuth, ...(body ? { body } : {}) }));
    }
    await expectRefused(404, () => h.call('GET', '/instances/999999', { auth: aliceAuth }));
    await expectRefused(404, () => h.call('GET', '/instances/abc', { auth: aliceAuth }));
    const bobHub = await h.call('GET', '/hubs/helpdesk/ping', {
      auth: hubAuth(view.token ?? '', 'bob-secret-5a2d8e1f9c3b7064'),
    });
    expect(bobHub.status).toBe(401);
  });

  it('disables (hub 403), enables (hub 200) and deletes (hub 401, secrets gone)', async () => {
    const view = await create();
    const token = view.token ?? '';
    expect((await h.call('GET', '/hubs/helpdesk/ping', { auth: hubAuth(token) })).status).toBe(200);
    const disabled = await h.call('DELETE', `/instances/${view.id}/enabled`, { auth: aliceAuth });
    expect(disabled.json()).toMatchObject({ disabled: true });
    expect((await h.call('GET', '/hubs/helpdesk/ping', { auth: hubAuth(token) })).status).toBe(403);
    const enabled = await h.call('PUT', `/instances/${view.id}/enabled`, { auth: aliceAuth });
    expect(enabled.json()).toMatchObject({ disabled: false });
    expect((await h.call('GET', '/hubs/helpdesk/ping', { auth: hubAuth(token) })).status).toBe(200);

    const deleted = await h.call('DELETE', `/instances/${view.id}`, { auth: aliceAuth });
    expect(deleted.status).toBe(200);
    expect((await h.call('GET', `/instances/${view.id}`, { auth: aliceAuth })).status).toBe(404);
    expect((await h.call('GET', '/hubs/helpdesk/ping', { auth: hubAuth(token) })).status).toBe(401);
    const store = createInstanceStore(h.deps);
    expect(await store.findToken(token)).toBeUndefined();
    expect(await h.deps.secretStore.get(`instances/${view.id}/credentials`)).toBeUndefined();
  });
});

describe('OAuth instances', () => {
  const oauthBody = (configuration: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    element: { key: 'servicenowoauth' },
    name: 'OAuth',
    configuration: {
      'oauth.api.key': 'demo-client',
      'oauth.api.secret': 'demo-secret',
      'servicenow.subdomain': h.sim.url,
      ...configuration,
    },
    ...extra,
  });

  it('provisions with the authorization_code grant from the URL our endpoint builds', async () => {
    const query = new URLSearchParams({
      apiKey: 'demo-client',
      apiSecret: 'demo-secret',
      callbackUrl: 'http://127.0.0.1/callback',
      'servicenow.subdomain': h.sim.url,
    });
    const { oauthUrl } = (
      await h.call('GET', `/elements/servicenowoauth/oauth/url?${query}`, { auth: aliceAuth })
    ).json() as {
      oauthUrl: string;
    };
    const code = await authorizationCode(h.sim, { oauthUrl });
    const res = await h.call('POST', '/instances', {
      auth: aliceAuth,
      body: oauthBody({ 'oauth.callback.url': 'http://127.0.0.1/callback' }, { providerData: { code } }),
    });
    expect(res.status, res.text).toBe(200);
    const view = res.json() as View;
    expect(view).toMatchObject({ valid: true, element: { key: 'servicenowoauth', id: 566 } });
    expect(view.configuration).toMatchObject({ 'oauth.api.key': MASK, 'oauth.api.secret': MASK });
    expect(view).not.toHaveProperty('providerData');
    const secret = JSON.parse((await h.deps.secretStore.get(`instances/${view.id}/credentials`)) ?? '{}');
    expect(secret.auth).toMatchObject({
      type: 'oauth',
      grant: 'authorization_code',
      clientId: 'demo-client',
      redirectUri: 'http://127.0.0.1/callback',
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresAt: expect.any(Number),
    });
    expect((await h.call('GET', '/hubs/helpdesk/ping', { auth: hubAuth(view.token ?? '') })).status).toBe(
      200,
    );

    // PUT without a new code re-verifies with the stored tokens; changing the client needs a new code.
    const put = await h.call('PUT', `/instances/${view.id}`, {
      auth: aliceAuth,
      body: oauthBody({ 'oauth.callback.url': 'http://127.0.0.1/callback' }, { name: 'Put' }),
    });
    expect(put.status, put.text).toBe(200);
    await expectRefused(
      400,
      () =>
        h.call('PATCH', `/instances/${view.id}`, {
          auth: aliceAuth,
          body: { configuration: { 'oauth.api.secret': 'another-secret' } },
        }),
      /providerData\.code is required/,
    );

    // A used code is refused with ServiceNow's reason; nothing is stored.
    const reused = await expectRefused(400, () =>
      h.call('POST', '/instances', {
        auth: aliceAuth,
        body: oauthBody({ 'oauth.callback.url': 'http://127.0.0.1/callback' }, { providerData: { code } }),
      }),
    );
    expect((reused as { providerMessage?: string }).providerMessage).toMatch(/invalid_grant/);
  });

  it('provisions with the password grant (legacy body with a dummy code) and client_credentials', async () => {
    const password = await h.call('POST', '/instances', {
      auth: aliceAuth,
      body: oauthBody({ username: 'admin', password: 'admin' }, { providerData: { code: '1000' } }),
    });
    expect(password.status, password.text).toBe(200);
    const pv = password.json() as View;
    expect(pv.configuration).toMatchObject({ username: 'admin', password: MASK });
    const cc = await h.call('POST', '/instances', { auth: aliceAuth, body: oauthBody({}) });
    expect(cc.status, cc.text).toBe(200);
    const cv = cc.json() as View;
    for (const view of [pv, cv]) {
      expect((await h.call('GET', '/hubs/helpdesk/ping', { auth: hubAuth(view.token ?? '') })).status).toBe(
        200,
      );
    }
    const grants = await Promise.all(
      [pv, cv].map(
        async (v) =>
          JSON.parse((await h.deps.secretStore.get(`instances/${v.id}/credentials`)) ?? '{}').auth.grant,
      ),
    );
    expect(grants).toEqual(['password', 'client_credentials']);
    await expectRefused(
      400,
      () =>
        h.call('POST', '/instances', {
          auth: aliceAuth,
          body: oauthBody({ 'oauth.api.secret': 'wrong-client-secret' }),
        }),
      /ServiceNow rejected the OAuth credentials/,
    );
  });
});
