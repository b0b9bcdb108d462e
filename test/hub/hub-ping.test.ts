import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstanceStore } from '../../shared/instances';
import { captureOutput } from '../functions/capture-logs';
import {
  ALICE,
  aliceAuth,
  authorizationCode,
  BOB,
  basicBody,
  type Harness,
  hubAuth,
  ORG,
  startHarness,
} from '../instances/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ logLevel: 'DEBUG' });
});
afterAll(() => h?.close());

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

interface Created {
  id: number;
  token: string;
}

/** A new OAuth instance's body: the demo client, a fresh authorization code, `extra` configuration. */
const authCodeBody = async (name: string, extra: Record<string, unknown> = {}) => ({
  element: { key: 'servicenowoauth' },
  name,
  providerData: { code: await authorizationCode(h.sim) },
  configuration: {
    'oauth.api.key': 'demo-client',
    'oauth.api.secret': 'demo-secret',
    'oauth.callback.url': 'http://127.0.0.1/callback',
    'servicenow.subdomain': h.sim.url,
    ...extra,
  },
});

const createAuthCodeInstance = async (): Promise<Created> => {
  const res = await h.call('POST', '/instances', { auth: aliceAuth, body: await authCodeBody('OAuth') });
  expect(res.status, res.text).toBe(200);
  return res.json() as Created;
};

const ping = (token: string) => h.call('GET', '/hubs/helpdesk/ping', { auth: hubAuth(token) });
const tokenCalls = () => h.sim.requests.filter((r) => r.path === '/oauth_token.do').length;
const storedAuth = async (id: number) =>
  JSON.parse((await h.deps.secretStore.get(`instances/${id}/credentials`)) ?? '{}').auth as {
    accessToken: string;
    refreshToken?: string;
    expiresAt: number;
  };

describe('GET /hubs/helpdesk/ping', () => {
  it('answers {dateTime, endpoint, valid} after a real round trip, with the instance id header', async () => {
    const created = (
      await h.call('POST', '/instances', { auth: aliceAuth, body: basicBody(h.sim) })
    ).json() as Created;
    const before = h.sim.requests.length;
    const res = await ping(created.token);
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toEqual({ dateTime: expect.any(String), endpoint: 'servicenow', valid: true });
    expect(Number.isNaN(Date.parse((res.json() as { dateTime: string }).dateTime))).toBe(false);
    expect(res.headers.get('elements-element-instance-id')).toBe(String(created.id));
    expect(h.sim.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.authorization}`)).toEqual([
      'GET /api/now/table/sys_user basic',
    ]);
    // Header variants: any order, Organization optional, whitespace tolerated.
    for (const header of [
      `Element ${created.token}, User ${ALICE}`,
      `User ${ALICE}, Organization ${ORG}, Element ${created.token}`,
      `  element ${created.token} ,user   ${ALICE}`,
    ]) {
      expect((await h.call('GET', '/hubs/helpdesk/ping', { auth: header })).status, header).toBe(200);
    }
    for (const header of [
      `User ${ALICE}, Organization ${ORG}`,
      `User ${BOB}, Element ${created.token}`,
      `User ${ALICE}, Element ${created.token}x`,
      `User ${ALICE}, Organization wrong-org-secret, Element ${created.token}`,
      'Bearer abc',
    ]) {
      const denied = await h.call('GET', '/hubs/helpdesk/ping', { auth: header });
      expect(denied.status, header).toBe(401);
      expect(denied.text).not.toContain(created.token);
    }
  });

  it('maps a hibernating instance to 502 and keeps the instance valid', async () => {
    const created = (
      await h.call('POST', '/instances', { auth: aliceAuth, body: basicBody(h.sim) })
    ).json() as Created;
    h.sim.faults.inject({ kind: 'hibernate' }, { times: 5 });
    const res = await ping(created.token);
    h.sim.faults.clear();
    expect(res.status).toBe(502);
    expect((await createInstanceStore(h.deps).get(created.id))?.valid).toBe(true);
    expect((await ping(created.token)).status).toBe(200);
  });

  it('refreshes OAuth tokens transparently, once for concurrent calls, and persists them', async () => {
    const created = await createAuthCodeInstance();
    expect((await ping(created.token)).status).toBe(200);
    const first = await storedAuth(created.id);
    h.sim.clock.advance(31 * MINUTE); // past the 1800 s access-token lifetime
    const before = tokenCalls();
    const results = await Promise.all(Array.from({ length: 6 }, () => ping(created.token)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(tokenCalls() - before).toBe(1);
    const second = await storedAuth(created.id);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).toBe(first.refreshToken);
    expect(second.expiresAt).toBeGreaterThan(first.expiresAt);
    // No call ever reached ServiceNow with an expired token: refresh happened ahead of expiry.
    expect(h.sim.requests.filter((r) => r.status === 401)).toEqual([]);
  });

  it('marks the instance invalid when refresh fails for good, and recovers with a new code', async () => {
    const created = await createAuthCodeInstance();
    expect((await ping(created.token)).status).toBe(200);
    h.sim.clock.advance(101 * DAY); // past the 100-day refresh-token lifetime
    const failed = await ping(created.token);
    expect(failed.status).toBe(401);
    expect((failed.json() as { message: string }).message).toMatch(
      new RegExp(`re-authorize the instance \\(PATCH /instances/${created.id} with providerData.code`),
    );
    const record = await createInstanceStore(h.deps).get(created.id);
    expect(record?.valid).toBe(false);
    expect(record?.invalidReason).toEqual(expect.any(String));
    const view = (await h.call('GET', `/instances/${created.id}`, { auth: aliceAuth })).json() as {
      valid: boolean;
    };
    expect(view.valid).toBe(false);
    // Later calls are refused without another round trip.
    const before = h.sim.requests.length;
    expect((await ping(created.token)).status).toBe(401);
    expect(h.sim.requests.length).toBe(before);

    const code = await authorizationCode(h.sim);
    const reauthorized = await h.call('PATCH', `/instances/${created.id}`, {
      auth: aliceAuth,
      body: { providerData: { code } },
    });
    expect(reauthorized.status, reauthorized.text).toBe(200);
    expect(reauthorized.json()).toMatchObject({ valid: true });
    expect((await ping(created.token)).status).toBe(200);
  });

  it('re-runs the password grant when its refresh token has expired', async () => {
    const res = await h.call('POST', '/instances', {
      auth: aliceAuth,
      body: {
        element: { key: 'servicenowoauth' },
        name: 'Password grant',
        configuration: {
          'oauth.api.key': 'demo-client',
          'oauth.api.secret': 'demo-secret',
          username: 'admin',
          password: 'admin',
          'servicenow.subdomain': h.sim.url,
        },
      },
    });
    const created = res.json() as Created;
    h.sim.clock.advance(101 * DAY);
    expect((await ping(created.token)).status).toBe(200);
    expect((await createInstanceStore(h.deps).get(created.id))?.valid).toBe(true);
  });

  it('never leaks a password, client secret, OAuth token or platform secret in responses or logs', async () => {
    const responses: { path: string; text: string }[] = [];
    const record = async (method: string, path: string, options: Parameters<Harness['call']>[2] = {}) => {
      const res = await h.call(method, path, options);
      responses.push({
        path: `${method} ${path}`,
        text: `${JSON.stringify(Object.fromEntries(res.headers))}\n${res.text}`,
      });
      return res;
    };
    const secrets = new Set<string>([ALICE, BOB, ORG, 'demo-secret', 'S3cret-P4ssword!']);
    let elementTokens: string[] = [];
    const issued = new Set<string>();
    const logs = await captureOutput(async () => {
      h.sim.clock.advance(DAY);
      const basic = await record('POST', '/instances', {
        auth: aliceAuth,
        body: basicBody(h.sim, { password: 'S3cret-P4ssword!', username: 'admin' }),
      });
      expect(basic.status).toBe(400); // wrong password for admin: the rejection must not echo it
      const good = (
        await record('POST', '/instances', { auth: aliceAuth, body: basicBody(h.sim) })
      ).json() as Created;
      const oauth = (
        await record('POST', '/instances', {
          auth: aliceAuth,
          body: await authCodeBody('Leak scan', { 'event.notification.signature.key': 'S3cret-P4ssword!' }),
        })
      ).json() as Created;
      elementTokens = [good.token, oauth.token];
      await record('GET', '/hubs/helpdesk/ping', { auth: hubAuth(oauth.token) });
      const firstTokens = await storedAuth(oauth.id);
      h.sim.clock.advance(31 * MINUTE);
      await record('GET', '/hubs/helpdesk/ping', { auth: hubAuth(oauth.token) });
      const refreshed = await storedAuth(oauth.id);
      for (const t of [firstTokens.accessToken, firstTokens.refreshToken, refreshed.accessToken])
        if (t) issued.add(t);
      expect(refreshed.accessToken).not.toBe(firstTokens.accessToken);
      await record('GET', `/instances/${oauth.id}`, { auth: aliceAuth });
      await record('GET', '/instances', { auth: aliceAuth });
      await record('GET', `/instances/${oauth.id}/configuration`, { auth: aliceAuth });
      await record('PATCH', `/instances/${oauth.id}`, { auth: aliceAuth, body: { name: 'renamed' } });
      await record('PATCH', `/instances/${good.id}`, {
        auth: aliceAuth,
        body: { configuration: { password: 'S3cret-P4ssword!' } },
      });
      await record('GET', '/hubs/helpdesk/ping', { auth: `User ${ALICE}, Element ${oauth.token}x` });
      await record('GET', '/instances', { auth: `User ${ALICE}, Organization ${ORG}x` });
      h.sim.clock.advance(101 * DAY);
      await record('GET', '/hubs/helpdesk/ping', { auth: hubAuth(oauth.token) });
      await record('DELETE', `/instances/${oauth.id}`, { auth: aliceAuth });
      const auth = await storedAuth(good.id).catch(() => undefined);
      expect(auth).toBeDefined();
    });
    // Every other access/refresh token still stored.
    for (const id of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
      const stored = await h.deps.secretStore.get(`instances/${id}/credentials`);
      if (!stored) continue;
      const auth = JSON.parse(stored).auth as { accessToken?: string; refreshToken?: string };
      if (auth.accessToken) issued.add(auth.accessToken);
      if (auth.refreshToken) issued.add(auth.refreshToken);
    }
    expect(logs).toContain('authorization decided');
    expect(issued.size).toBeGreaterThanOrEqual(3);
    for (const secret of [...secrets, ...issued]) {
      expect(logs, 'logs').not.toContain(secret);
      for (const response of responses) expect(response.text, response.path).not.toContain(secret);
    }
    for (const token of elementTokens) {
      expect(logs).not.toContain(token);
      for (const response of responses) {
        if (!/^(POST \/instances|GET \/instances\/\d+)$/.test(response.path))
          expect(response.text, response.path).not.toContain(token);
      }
    }
  });
});
