import { beforeAll, describe, expect, it } from 'vitest';
import { startedForSuite } from '../helpers/lifecycle';
import { startLocalMode } from '../helpers/local-mode';
import { secretsIn } from '../helpers/local-process';
import { consoleRoute } from './harness';

/**
 * What a newcomer does after `npm start`: open the console URL the banner prints and connect the demo
 * ServiceNow with OAuth, clicking "Allow" on its authorize page. The browser is played by fetch here;
 * test/browser drives a real one.
 */
describe('local mode: connect the demo ServiceNow from the console', () => {
  const local = startedForSuite(() => startLocalMode('console'));
  let platform = '';
  beforeAll(() => {
    const { user, organization } = secretsIn(local.banner);
    platform = `User ${user}, Organization ${organization}`;
  });

  it('prints the console URL and the redirect URI to register', () => {
    expect(local.banner).toContain(`Web console: ${local.api.url}/console/`);
    expect(local.banner).toContain(`${local.api.url}/console/oauth/callback`);
  });

  it('completes an OAuth connection through the demo consent page and the hosted callback', async () => {
    const simUrl = local.simulator?.url ?? '';
    const started = await fetch(`${local.api.url}/instances/oauth/connect`, {
      method: 'POST',
      headers: { Authorization: platform, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        element: { key: 'servicenowoauth' },
        name: 'demo oauth',
        configuration: {
          'oauth.api.key': 'demo-client',
          'oauth.api.secret': 'demo-secret',
          'servicenow.subdomain': simUrl,
        },
      }),
    });
    expect(started.status).toBe(200);
    const { authorizeUrl } = (await started.json()) as { authorizeUrl: string };

    // The browser lands on the consent page...
    const page = await fetch(authorizeUrl, { headers: { Accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<button type="submit" name="action" value="allow">Allow</button>');
    expect(html).not.toContain('demo-secret');
    // ...and submits its form with "Allow".
    const form = new URLSearchParams(
      [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(
        ([, name = '', value = '']): [string, string] => [
          name,
          value.replace(/&#(\d+);/g, (_m, code) => String.fromCharCode(Number(code))),
        ],
      ),
    );
    form.set('action', 'allow');
    const allowed = await fetch(`${simUrl}/oauth_auth.do`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      redirect: 'manual',
    });
    expect(allowed.status).toBe(302);
    const callback = allowed.headers.get('location') ?? '';
    expect(callback.startsWith(`${local.api.url}/console/oauth/callback?`)).toBe(true);

    const completed = await fetch(callback, { redirect: 'manual' });
    const route = consoleRoute(completed.headers.get('location'));
    expect(route.path).toMatch(/^\/instances\/\d+$/);
    const instance = await fetch(`${local.api.url}${route.path}`, { headers: { Authorization: platform } });
    expect(await instance.json()).toMatchObject({ valid: true, name: 'demo oauth' });
  });

  it('lets the demo ServiceNow deny from its page, and accepts the callback on localhost too', async () => {
    const simUrl = local.simulator?.url ?? '';
    const localhostCallback = `${local.api.origin.replace('127.0.0.1', 'localhost')}/elements/api-v2/console/oauth/callback`;
    const authorize = `${simUrl}/oauth_auth.do?${new URLSearchParams({
      response_type: 'code',
      client_id: 'demo-client',
      redirect_uri: localhostCallback,
      state: 's',
    })}`;
    const denied = await fetch(`${simUrl}/oauth_auth.do`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        ...Object.fromEntries(new URL(authorize).searchParams),
        action: 'deny',
      }).toString(),
      redirect: 'manual',
    });
    const location = new URL(denied.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(localhostCallback);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('code')).toBeNull();
  });
});
