import { describe, expect, it } from 'vitest';
import { findElement } from '../../shared/elements';
import { withoutNulls } from '../../shared/hub/null-filter';
import {
  grantFor,
  normalizeConfiguration,
  oauthUrlFor,
  sanitizeTags,
  sanitizeText,
} from '../../shared/instances';
import { parseAllowedHosts } from '../../shared/net';

const basic = findElement('servicenow')!;
const oauth = findElement(566)!;

describe('sanitizeText', () => {
  it.each([
    ['<a href=x>churros-xss</a>', 'churros-xss'],
    ['<script>alert(1)</script>name', 'name'],
    ['<scr<script>x</script>ipt>alert(1)</script>ok', 'ok'],
    ['<img src=x onerror=alert(1)>pic', 'pic'],
    ['a\u0000b  \n c', 'a b c'],
    ['1 < 2 and 3 > 2', '1 2 and 3 2'],
    ['plain name', 'plain name'],
  ])('%j -> %j', (input, expected) => {
    expect(sanitizeText(input)).toBe(expected);
  });

  it('drops empty and duplicate tags', () => {
    expect(sanitizeTags(['<b>x</b>', 'x', '<script>y</script>', ' z '])).toEqual(['x', 'z']);
  });
});

describe('normalizeConfiguration', () => {
  it('turns posted values into strings and null/empty into "unset"', () => {
    expect(
      normalizeConfiguration(basic, {
        'filter.response.nulls': false,
        'event.poller.refresh_interval': '30',
        'event.poller.configuration': '{"incidents":{}}',
        username: ' admin ',
        'event.notification.callback.url': null,
        password: '',
      }),
    ).toEqual({
      'filter.response.nulls': 'false',
      'event.poller.refresh_interval': '30',
      'event.poller.configuration': '{"incidents":{}}',
      username: 'admin',
      'event.notification.callback.url': null,
      password: null,
    });
  });

  it('names every wrong key without echoing values', () => {
    expect(() =>
      normalizeConfiguration(basic, {
        password: true,
        'oauth.api.key': 'k',
        'event.poller.configuration': '[1]',
      }),
    ).toThrow(
      /unknown configuration keys for element servicenow: oauth\.api\.key; wrong value types: password .*event\.poller\.configuration/,
    );
  });
});

describe('grantFor', () => {
  it('picks the grant from what was posted', () => {
    expect(grantFor(basic, {}, undefined)).toBe('basic');
    expect(grantFor(oauth, { username: 'u', password: 'p' }, '1000')).toBe('password');
    expect(grantFor(oauth, {}, 'code')).toBe('authorization_code');
    expect(grantFor(oauth, {}, undefined, 'authorization_code')).toBe('authorization_code');
    expect(grantFor(oauth, {}, undefined)).toBe('client_credentials');
  });
});

describe('oauthUrlFor', () => {
  const query = {
    apiKey: 'id',
    apiSecret: 'sec',
    callbackUrl: 'https://app.example/cb',
    'servicenow.subdomain': 'https://acme.service-now.com',
  };
  it('accepts a full URL and never includes the secret', () => {
    const { oauthUrl } = oauthUrlFor(oauth, query, parseAllowedHosts(''));
    expect(oauthUrl.startsWith('https://acme.service-now.com/oauth_auth.do?')).toBe(true);
    expect(oauthUrl).not.toContain('sec');
  });
  it('refuses a callback that is not http(s) and an http subdomain that is not allowed', () => {
    expect(() =>
      oauthUrlFor(oauth, { ...query, callbackUrl: 'javascript:alert(1)' }, parseAllowedHosts('')),
    ).toThrow(/callbackUrl/);
    expect(() =>
      oauthUrlFor(oauth, { ...query, 'servicenow.subdomain': 'http://10.0.0.1' }, parseAllowedHosts('')),
    ).toThrow(/servicenow\.subdomain/);
  });
});

describe('withoutNulls', () => {
  it('drops null fields at every depth', () => {
    expect(withoutNulls({ a: null, b: [{ c: null, d: 1 }], e: { f: null } })).toEqual({
      b: [{ d: 1 }],
      e: {},
    });
  });
});
