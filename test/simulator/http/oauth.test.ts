import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatorHandle, startSimulator } from '../index';
import { api } from './helpers';

interface TokenBody {
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  scope?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

const CLIENT = { client_id: 'demo-client', client_secret: 'demo-secret' };

describe('simulator OAuth', () => {
  let sim: SimulatorHandle;

  beforeAll(async () => {
    sim = await startSimulator({
      data: false,
      accessTokenTtlSeconds: 600,
      oauthClients: [
        {
          clientId: 'demo-client',
          clientSecret: 'demo-secret',
          redirectUris: ['http://127.0.0.1/callback'],
          clientCredentialsUser: 'admin',
        },
        { clientId: 'no-user-client', clientSecret: 's3cret' },
      ],
    });
    // Token lifetimes follow the simulator clock; frozen, expires_in is exact.
    sim.clock.freeze();
  });
  afterAll(() => sim.close());

  const token = async (form: Record<string, string>) =>
    api<TokenBody>(sim, '/oauth_token.do', {
      method: 'POST',
      authorization: '',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

  const tableWith = (accessToken: string) =>
    api(sim, '/api/now/table/incident?sysparm_limit=1', { authorization: `Bearer ${accessToken}` });

  it('issues access and refresh tokens for the password grant, the same access token while it lives', async () => {
    const first = await token({ ...CLIENT, grant_type: 'password', username: 'admin', password: 'admin' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ scope: 'useraccount', token_type: 'Bearer', expires_in: 600 });
    expect(first.body.access_token).toBeTruthy();
    expect(first.body.refresh_token).toBeTruthy();
    expect(first.headers.get('set-cookie')).toBeNull();
    expect((await tableWith(first.body.access_token ?? '')).status).toBe(200);

    sim.clock.advance(100_000);
    const again = await token({ ...CLIENT, grant_type: 'password', username: 'admin', password: 'admin' });
    expect(again.body.access_token).toBe(first.body.access_token);
    expect(again.body.refresh_token).toBe(first.body.refresh_token);
    expect(again.body.expires_in).toBe(500);
  });

  it('expires access tokens on the simulator clock and refreshes without rotating the refresh token', async () => {
    const granted = await token({ ...CLIENT, grant_type: 'password', username: 'admin', password: 'admin' });
    sim.clock.advance(601_000);
    const expired = await tableWith(granted.body.access_token ?? '');
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({
      error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
      status: 'failure',
    });

    const refreshed = await token({
      ...CLIENT,
      grant_type: 'refresh_token',
      refresh_token: granted.body.refresh_token ?? '',
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access_token).toBeTruthy();
    expect(refreshed.body.access_token).not.toBe(granted.body.access_token);
    expect(refreshed.body).not.toHaveProperty('refresh_token');
    expect((await tableWith(refreshed.body.access_token ?? '')).status).toBe(200);

    const bad = await token({ ...CLIENT, grant_type: 'refresh_token', refresh_token: 'not-a-token' });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe('invalid_grant');
  });

  it('answers wrong client or user credentials with the observed access_denied body', async () => {
    const wrongUser = await token({ ...CLIENT, grant_type: 'password', username: 'admin', password: 'nope' });
    expect(wrongUser.status).toBe(401);
    expect(wrongUser.body).toEqual({ error_description: 'access_denied', error: 'server_error' });
    const wrongClient = await token({
      client_id: 'demo-client',
      client_secret: 'wrong',
      grant_type: 'password',
      username: 'admin',
      password: 'admin',
    });
    expect(wrongClient.status).toBe(401);
    expect(wrongClient.body).toEqual({ error_description: 'access_denied', error: 'server_error' });
    expect(wrongClient.text).not.toContain('wrong');
  });

  it('refuses a JSON token request', async () => {
    const res = await api<TokenBody>(sim, '/oauth_token.do', {
      method: 'POST',
      authorization: '',
      body: { ...CLIENT, grant_type: 'password', username: 'admin', password: 'admin' },
    });
    expect(res.status).toBe(401);
    expect(res.body.access_token).toBeUndefined();
    expect(res.body.error).toBe('server_error');
  });

  it('rejects an unknown grant type', async () => {
    const res = await token({ ...CLIENT, grant_type: 'magic' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unsupported_grant_type');
  });

  it('issues client_credentials tokens only for a client with an application user', async () => {
    const ok = await token({ ...CLIENT, grant_type: 'client_credentials' });
    expect(ok.status).toBe(200);
    expect(ok.body.refresh_token).toBeUndefined();
    expect((await tableWith(ok.body.access_token ?? '')).status).toBe(200);

    const noUser = await token({
      client_id: 'no-user-client',
      client_secret: 's3cret',
      grant_type: 'client_credentials',
    });
    expect(noUser.status).toBe(401);
    expect(noUser.body).toEqual({
      error: 'unauthorized_client',
      error_description: 'integration user is not configured',
    });
  });

  it('redirects the authorize step with code and state, and redeems the code once', async () => {
    const redirectUri = 'http://127.0.0.1/callback';
    const authorize = await api(
      sim,
      `/oauth_auth.do?response_type=code&client_id=demo-client&redirect_uri=${encodeURIComponent(redirectUri)}&state=xyz`,
      { authorization: '' },
    );
    expect(authorize.status).toBe(302);
    const location = new URL(authorize.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz');
    const code = location.searchParams.get('code') ?? '';
    expect(code).not.toBe('');

    const mismatch = await token({
      ...CLIENT,
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://evil/cb',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error).toBe('invalid_grant');

    const second = await api(
      sim,
      `/oauth_auth.do?response_type=code&client_id=demo-client&redirect_uri=${encodeURIComponent(redirectUri)}`,
      { authorization: '' },
    );
    const code2 = new URL(second.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const granted = await token({
      ...CLIENT,
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: redirectUri,
    });
    expect(granted.status).toBe(200);
    expect(granted.body.access_token).toBeTruthy();
    expect(granted.body.refresh_token).toBeTruthy();
    expect((await tableWith(granted.body.access_token ?? '')).status).toBe(200);

    const reused = await token({
      ...CLIENT,
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: redirectUri,
    });
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
  });

  it('refuses the authorize step for an unknown client or an unregistered redirect', async () => {
    const unknown = await api<TokenBody>(sim, '/oauth_auth.do?response_type=code&client_id=nobody', {
      authorization: '',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('invalid_client');
    const badRedirect = await api<TokenBody>(
      sim,
      '/oauth_auth.do?response_type=code&client_id=demo-client&redirect_uri=http%3A%2F%2Fevil%2Fcb',
      { authorization: '' },
    );
    expect(badRedirect.status).toBe(400);
    expect(badRedirect.headers.get('location')).toBeNull();
  });
});
