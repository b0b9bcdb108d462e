import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutboundAgent, parseAllowedHosts } from '../../shared/net';
import type { OAuthTokens } from '../../shared/servicenow';
import {
  authorizationUrl,
  exchangeAuthorizationCode,
  passwordGrant,
  refreshAccessToken,
  ServiceNowAuthError,
} from '../../shared/servicenow';
import type { SeenRequest } from './helpers/fake-server';
import { clientFor, DEMO_PASSWORD_GRANT, json, startFakeServer } from './helpers/fake-server';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A token endpoint + one API route, enough to observe every grant the client makes. */
const startOAuthServer = async (options: { rejectRefresh?: boolean; expiresIn?: number } = {}) => {
  let counter = 0;
  const valid = new Set<string>();
  const grants: Record<string, string>[] = [];
  const server = await startFakeServer((req: SeenRequest, res: ServerResponse) => {
    if (req.url === '/oauth_token.do') {
      const form = Object.fromEntries(new URLSearchParams(req.body));
      grants.push(form);
      if (
        req.headers['content-type'] !== 'application/x-www-form-urlencoded' ||
        form.client_secret !== 'demo-secret'
      ) {
        return json(res, 401, { error_description: 'access_denied', error: 'server_error' });
      }
      if (
        form.grant_type === 'refresh_token' &&
        (options.rejectRefresh || form.refresh_token !== 'refresh-1')
      ) {
        return json(res, 401, { error_description: 'access_denied', error: 'server_error' });
      }
      if (form.grant_type === 'password' && form.password !== 'admin') {
        return json(res, 401, { error_description: 'access_denied', error: 'server_error' });
      }
      const accessToken = `access-${++counter}`;
      valid.add(accessToken);
      return json(res, 200, {
        access_token: accessToken,
        ...(form.grant_type === 'password' || form.grant_type === 'authorization_code'
          ? { refresh_token: 'refresh-1' }
          : {}),
        scope: 'useraccount',
        token_type: 'Bearer',
        expires_in: options.expiresIn ?? 1799,
      });
    }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!valid.has(token)) {
      return json(res, 401, {
        error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
        status: 'failure',
      });
    }
    json(res, 200, { result: [{ sys_id: 'a', token }] });
  });
  cleanups.push(server.close);
  return { ...server, valid, grants, revokeAll: () => valid.clear() };
};

const oauthClient = (url: string, extra: Parameters<typeof clientFor>[1] = {}) => {
  const c = clientFor(url, {
    auth: DEMO_PASSWORD_GRANT,
    ...extra,
  });
  cleanups.push(() => c.agent.close());
  return c;
};

describe('OAuth', () => {
  it('obtains a token with the password grant and reports it for persistence', async () => {
    const server = await startOAuthServer();
    const persisted: OAuthTokens[] = [];
    const now = 1_000_000;
    const c = oauthClient(server.url, { onTokens: (t) => void persisted.push(t), clock: { now: () => now } });
    const page = await c.list('incident');
    expect(page.records[0]?.token).toBe('access-1');
    expect(server.grants).toEqual([
      {
        grant_type: 'password',
        client_id: 'demo-client',
        client_secret: 'demo-secret',
        username: 'admin',
        password: 'admin',
      },
    ]);
    expect(persisted).toEqual([
      {
        accessToken: 'access-1',
        refreshToken: 'refresh-1',
        expiresAt: now + 1_799_000,
        scope: 'useraccount',
      },
    ]);
  });

  it('refreshes ahead of expiry with the refresh token, keeping the refresh token', async () => {
    const server = await startOAuthServer();
    let now = 0;
    const persisted: OAuthTokens[] = [];
    const c = oauthClient(server.url, { clock: { now: () => now }, onTokens: (t) => void persisted.push(t) });
    await c.list('incident');
    now = 1_799_000 - 60_000 - 1; // just outside the 60 s skew: no refresh yet
    await c.list('incident');
    expect(server.grants).toHaveLength(1);
    now += 1; // inside the skew window: refresh before the token dies
    const page = await c.list('incident');
    expect(page.records[0]?.token).toBe('access-2');
    expect(server.grants.map((g) => g.grant_type)).toEqual(['password', 'refresh_token']);
    expect(server.grants[1]?.refresh_token).toBe('refresh-1');
    expect(persisted.at(-1)?.refreshToken).toBe('refresh-1');
  });

  it('refreshes once after a 401, shared by all concurrent callers', async () => {
    const server = await startOAuthServer();
    const c = oauthClient(server.url, { concurrency: 8 });
    await c.list('incident');
    server.revokeAll(); // token revoked early on the instance
    const pages = await Promise.all(Array.from({ length: 10 }, () => c.list('incident')));
    expect(pages.every((p) => p.records[0]?.token === 'access-2')).toBe(true);
    expect(server.grants.map((g) => g.grant_type)).toEqual(['password', 'refresh_token']);
  });

  it('falls back to the password grant when the refresh token is rejected', async () => {
    const server = await startOAuthServer({ rejectRefresh: true });
    const c = oauthClient(server.url);
    await c.list('incident');
    server.revokeAll();
    expect((await c.list('incident')).records[0]?.token).toBe('access-2');
    expect(server.grants.map((g) => g.grant_type)).toEqual(['password', 'refresh_token', 'password']);
  });

  it('turns a permanently rejected grant into ServiceNowAuthError without secrets', async () => {
    const server = await startOAuthServer({ rejectRefresh: true });
    const c = clientFor(server.url, {
      auth: {
        type: 'oauth',
        grant: 'authorization_code',
        clientId: 'demo-client',
        clientSecret: 'demo-secret',
        accessToken: 'stale-token',
        refreshToken: 'refresh-1',
      },
    });
    cleanups.push(() => c.agent.close());
    const error = await c.list('incident').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ServiceNowAuthError);
    const e = error as ServiceNowAuthError;
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/re-authorized/);
    expect(e.providerMessage).toBe('server_error: access_denied');
    expect(JSON.stringify([e.message, e.providerMessage])).not.toMatch(/demo-secret|refresh-1|stale-token/);
  });

  it('wrong client secret on the password grant is a ServiceNowAuthError', async () => {
    const server = await startOAuthServer();
    const c = clientFor(server.url, {
      auth: { ...DEMO_PASSWORD_GRANT, clientSecret: 'wrong' },
    });
    cleanups.push(() => c.agent.close());
    await expect(c.list('incident')).rejects.toBeInstanceOf(ServiceNowAuthError);
  });

  it('exposes the token endpoint calls (form-encoded POST /oauth_token.do)', async () => {
    const server = await startOAuthServer();
    const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts('127.0.0.1') });
    cleanups.push(() => agent.close());
    const http = { baseUrl: server.url, dispatcher: agent };
    const code = await exchangeAuthorizationCode(http, {
      clientId: 'demo-client',
      clientSecret: 'demo-secret',
      code: 'abc',
      redirectUri: 'http://127.0.0.1/callback',
    });
    expect(code.refreshToken).toBe('refresh-1');
    const refreshed = await refreshAccessToken(http, {
      clientId: 'demo-client',
      clientSecret: 'demo-secret',
      refreshToken: 'refresh-1',
    });
    expect(refreshed.refreshToken).toBeUndefined();
    await expect(
      passwordGrant(http, {
        clientId: 'demo-client',
        clientSecret: 'demo-secret',
        username: 'admin',
        password: 'nope',
      }),
    ).rejects.toBeInstanceOf(ServiceNowAuthError);
    expect(server.grants[0]).toEqual({
      grant_type: 'authorization_code',
      client_id: 'demo-client',
      client_secret: 'demo-secret',
      code: 'abc',
      redirect_uri: 'http://127.0.0.1/callback',
    });
    expect(
      authorizationUrl('https://dev1.service-now.com/', {
        clientId: 'c',
        redirectUri: 'https://x/cb',
        state: 's',
      }),
    ).toBe(
      'https://dev1.service-now.com/oauth_auth.do?response_type=code&client_id=c&redirect_uri=https%3A%2F%2Fx%2Fcb&state=s',
    );
  });
});
