import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInstanceStore,
  PENDING_PARTITION,
  PENDING_SECRET_PREFIX,
  STATE_KEY_SECRET,
} from '../../shared/instances';
import { captureOutput } from '../functions/capture-logs';
import {
  aliceAuth,
  authorize,
  bobAuth,
  CLIENT_SECRET,
  type ConsoleHarness,
  consoleRoute,
  hubAuth,
  oauthBody,
  startConsoleHarness,
} from './harness';

interface Started {
  authorizeUrl: string;
  state: string;
  expiresAt: string;
  callbackUrl: string;
}

let h: ConsoleHarness;

beforeAll(async () => {
  h = await startConsoleHarness({ logLevel: 'INFO' });
});
afterAll(async () => {
  await h?.close();
});

const pendingItems = async () =>
  (await h.stack.deps.stateTable.query({ pk: PENDING_PARTITION })).items.filter((item) =>
    item.sk.startsWith('pending#'),
  );

const start = async (body: unknown = oauthBody(h.stack.sim.url)) => {
  const res = await h.call('POST', '/instances/oauth/connect', { auth: aliceAuth, body });
  expect(res.status, res.text).toBe(200);
  return { res, started: res.json() as Started };
};

/** The browser's whole trip: authorize page (automatic mode), then our callback. */
const connect = async (started: Started, extraQuery = '') => {
  const callback = await authorize(started.authorizeUrl, extraQuery);
  const res = await h.call('GET', callback);
  return { callback, res, route: consoleRoute(res.headers.get('location')) };
};

describe('OAuth connect: start, authorize, hosted callback', () => {
  it('creates a valid instance whose element token reaches ServiceNow, with no secret in any URL or answer', async () => {
    let flow: Awaited<ReturnType<typeof connect>> | undefined;
    let startAnswer = '';
    let pendingSecret = '';
    const logs = await captureOutput(async () => {
      const { res, started } = await start();
      startAnswer = res.text;
      expect(started.callbackUrl).toBe(h.callbackUrl);
      const authorizeUrl = new URL(started.authorizeUrl);
      expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${h.stack.sim.url}/oauth_auth.do`);
      expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(h.callbackUrl);
      expect(authorizeUrl.searchParams.get('client_id')).toBe('demo-client');
      expect(authorizeUrl.searchParams.get('state')).toBe(started.state);
      expect(Date.parse(started.expiresAt) - h.stack.sim.clock.now().getTime()).toBeLessThanOrEqual(600_000);
      expect(await pendingItems()).toHaveLength(1);
      pendingSecret = `${PENDING_SECRET_PREFIX}${started.state.split('.')[1]}`;
      expect(await h.stack.deps.secretStore.get(pendingSecret)).toContain(CLIENT_SECRET);
      flow = await connect(started);
    });
    if (!flow) throw new Error('no flow');
    expect(flow.res.status).toBe(302);
    expect(flow.res.headers.get('cache-control')).toBe('no-store');
    expect(flow.res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(flow.route.path).toMatch(/^\/instances\/\d+$/);
    expect(flow.route.query.get('connected')).toBe('1');
    const id = flow.route.path?.split('/')[2];

    const instance = await h.call('GET', `/instances/${id}`, { auth: aliceAuth });
    expect(instance.status).toBe(200);
    const view = instance.json() as { valid: boolean; name: string; token: string; tags: string[] };
    expect(view).toMatchObject({ valid: true, name: 'connected in the console', tags: ['console'] });
    const ping = await h.call('GET', '/hubs/helpdesk/ping', { auth: hubAuth(view.token) });
    expect(ping.status, ping.text).toBe(200);
    const configuration = await h.call('GET', `/instances/${id}/configuration`, { auth: aliceAuth });
    expect(configuration.text).toContain(h.callbackUrl);

    // The pending record and its secret are gone; the client secret was never in a URL, answer or log line.
    expect(await pendingItems()).toHaveLength(0);
    expect(await h.stack.deps.secretStore.get(pendingSecret)).toBeUndefined();
    const stateKey = await h.stack.deps.secretStore.get(STATE_KEY_SECRET);
    expect(stateKey).toBeDefined();
    for (const text of [startAnswer, flow.callback, flow.res.headers.get('location') ?? '', instance.text]) {
      expect(text).not.toContain(CLIENT_SECRET);
    }
    expect(logs).not.toContain(CLIENT_SECRET);
    expect(logs).not.toContain(stateKey);
    expect(logs).not.toContain(new URL(flow.callback).searchParams.get('code'));
  });

  it('refuses a replayed callback, and a tampered or expired state, creating nothing', async () => {
    const before = (await h.call('GET', '/instances', { auth: aliceAuth })).text;
    const { started } = await start();
    const callback = await authorize(started.authorizeUrl);

    const tampered = new URL(callback);
    const state = tampered.searchParams.get('state') ?? '';
    const last = state.at(-1) === 'A' ? 'B' : 'A';
    tampered.searchParams.set('state', `${state.slice(0, -1)}${last}`);
    const forged = await h.call('GET', tampered.toString());
    expect(forged.status).toBe(302);
    expect(consoleRoute(forged.headers.get('location'))).toMatchObject({ path: '/connect-error' });
    expect(consoleRoute(forged.headers.get('location')).query.get('reason')).toBe('invalid_state');
    const noState = await h.call('GET', `${h.callbackUrl}?code=abc`);
    expect(consoleRoute(noState.headers.get('location')).query.get('reason')).toBe('invalid_state');

    const first = await h.call('GET', callback);
    expect(consoleRoute(first.headers.get('location')).path).toMatch(/^\/instances\/\d+$/);
    const replay = await h.call('GET', callback);
    const replayed = consoleRoute(replay.headers.get('location'));
    expect(replayed.path).toBe('/connect-error');
    expect(replayed.query.get('reason')).toBe('already_used');
    expect(replayed.query.get('message')).toMatch(/already completed/);

    // Expired: 10 minutes pass between start and callback.
    const late = await start();
    const lateCallback = await authorize(late.started.authorizeUrl);
    h.stack.sim.clock.advance(10 * 60_000 + 1_000);
    const expired = await h.call('GET', lateCallback);
    expect(consoleRoute(expired.headers.get('location')).query.get('reason')).toBe('expired');

    const after = JSON.parse((await h.call('GET', '/instances', { auth: aliceAuth })).text) as unknown[];
    // Only the one completed connection was added.
    expect(after).toHaveLength((JSON.parse(before) as unknown[]).length + 1);
  });

  it('handles access_denied from ServiceNow and removes the pending configuration', async () => {
    const before = (await h.call('GET', '/instances', { auth: aliceAuth })).text;
    const { started } = await start();
    const pendingSecret = `${PENDING_SECRET_PREFIX}${started.state.split('.')[1]}`;
    expect(await h.stack.deps.secretStore.get(pendingSecret)).toContain(CLIENT_SECRET);
    const denied = await connect(started, '&sysparm_auto=deny');
    expect(new URL(denied.callback).searchParams.get('error')).toBe('access_denied');
    expect(denied.route.path).toBe('/connect-error');
    expect(denied.route.query.get('reason')).toBe('access_denied');
    expect(await h.stack.deps.secretStore.get(pendingSecret)).toBeUndefined();
    expect(await pendingItems()).toHaveLength(0);
    expect((await h.call('GET', '/instances', { auth: aliceAuth })).text).toBe(before);
  });

  it('re-authorizes an invalid instance with its stored client credentials', async () => {
    const first = await connect((await start()).started);
    const id = Number(first.route.path?.split('/')[2]);
    const store = createInstanceStore(h.stack.deps);
    const record = await store.get(id);
    if (!record) throw new Error('no record');
    await store.save({ ...record, valid: false, invalidReason: 'refresh token revoked' });
    const tokenRequestsBefore = h.stack.sim.requests.filter(
      (entry) => entry.path === '/oauth_token.do',
    ).length;

    const res = await h.call('POST', `/instances/${id}/oauth/connect`, { auth: aliceAuth });
    expect(res.status, res.text).toBe(200);
    const started = res.json() as Started;
    expect(res.text).not.toContain(CLIENT_SECRET);
    const again = await connect(started);
    expect(again.route.path).toBe(`/instances/${id}`);
    const view = (await h.call('GET', `/instances/${id}`, { auth: aliceAuth })).json() as {
      valid: boolean;
      token: string;
    };
    expect(view.valid).toBe(true);
    const reloaded = await store.get(id);
    expect(reloaded?.invalidReason).toBeUndefined();
    // The new code was exchanged at ServiceNow's token endpoint.
    expect(h.stack.sim.requests.filter((entry) => entry.path === '/oauth_token.do').length).toBe(
      tokenRequestsBefore + 1,
    );
    expect((await h.call('GET', '/hubs/helpdesk/ping', { auth: hubAuth(view.token) })).status).toBe(200);

    // Another user's instance is a 404; a Basic instance cannot connect with OAuth.
    expect((await h.call('POST', `/instances/${id}/oauth/connect`, { auth: bobAuth })).status).toBe(404);
    const basic = await h.call('POST', '/instances', {
      auth: aliceAuth,
      body: {
        element: { key: 'servicenow' },
        name: 'basic',
        configuration: { username: 'admin', password: 'admin', 'servicenow.subdomain': h.stack.sim.url },
      },
    });
    const basicId = (basic.json() as { id: number }).id;
    const refused = await h.call('POST', `/instances/${basicId}/oauth/connect`, { auth: aliceAuth });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/does not use OAuth/);
  });

  it('validates the start as create would, storing nothing on a 400', async () => {
    const sim = h.stack.sim.url;
    const cases: [unknown, RegExp][] = [
      [{ ...oauthBody(sim), configuration: { 'servicenow.subdomain': sim } }, /oauth\.api\.key/],
      [oauthBody('http://10.1.2.3'), /servicenow\.subdomain/],
      [oauthBody(sim, { name: '' }), /name/],
      [oauthBody(sim, { element: { key: 'servicenow' } }), /does not use OAuth/],
      [oauthBody(sim, { providerData: { code: 'abc' } }), /providerData/],
      [
        {
          ...oauthBody(sim),
          configuration: {
            ...oauthBody(sim).configuration,
            'event.notification.enabled': true,
            'event.notification.callback.url': 'http://169.254.169.254/latest',
          },
        },
        /callback/,
      ],
      [[1, 2], /JSON object/],
    ];
    for (const [body, message] of cases) {
      const res = await h.call('POST', '/instances/oauth/connect', { auth: aliceAuth, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.text).toMatch(message);
      expect(res.text).not.toContain(CLIENT_SECRET);
    }
    expect(await pendingItems()).toHaveLength(0);
    const unauthenticated = await h.call('POST', '/instances/oauth/connect', { body: oauthBody(sim) });
    expect(unauthenticated.status).toBe(401);
  });
});
