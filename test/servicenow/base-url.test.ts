import { describe, expect, it } from 'vitest';
import { parseAllowedHosts } from '../../shared/net';
import { serviceNowBaseUrl } from '../../shared/servicenow';

const none = parseAllowedHosts('');
const local = parseAllowedHosts('localhost,127.0.0.1:3001');

describe('servicenow.subdomain -> base URL', () => {
  it('turns an instance name into its service-now.com URL', () => {
    expect(serviceNowBaseUrl('dev123', none)).toBe('https://dev123.service-now.com');
    expect(serviceNowBaseUrl(' Dev-123 ', none)).toBe('https://dev-123.service-now.com');
  });

  it('accepts a full https URL, dropping a trailing slash and keeping a port', () => {
    expect(serviceNowBaseUrl('https://acme.service-now.com/', none)).toBe('https://acme.service-now.com');
    expect(serviceNowBaseUrl('https://snow.acme.example:8443', none)).toBe('https://snow.acme.example:8443');
    expect(serviceNowBaseUrl('HTTPS://ACME.service-now.com', none)).toBe('https://acme.service-now.com');
  });

  it('allows http only for hosts in ELEMENT_ALLOWED_HOSTS', () => {
    expect(serviceNowBaseUrl('http://localhost:3001', local)).toBe('http://localhost:3001');
    expect(serviceNowBaseUrl('http://127.0.0.1:3001/', local)).toBe('http://127.0.0.1:3001');
    expect(() => serviceNowBaseUrl('http://127.0.0.1:3002', local)).toThrow(/ELEMENT_ALLOWED_HOSTS/);
    expect(() => serviceNowBaseUrl('http://acme.service-now.com', none)).toThrow(/ELEMENT_ALLOWED_HOSTS/);
  });

  it.each([
    [''],
    ['dev 123'],
    ['dev123.service-now.com/..'],
    ['https://acme.service-now.com/api/now/table'],
    ['https://acme.service-now.com/?x=1'],
    ['https://acme.service-now.com/#frag'],
    ['https://user@acme.service-now.com'],
    ['https://user:pw@acme.service-now.com'],
    ['https://evil.example@acme.service-now.com'],
    ['https://acme..service-now.com'],
    ['https://acme.service-now.com/../x'],
    ['ftp://acme.service-now.com'],
    ['javascript:alert(1)'],
    ['-dev'],
    ['https://exa mple.com'],
  ])('rejects %j with a 400 naming servicenow.subdomain', (value) => {
    let error: unknown;
    try {
      serviceNowBaseUrl(value, none);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ status: 400 });
    expect((error as Error).message).toContain('servicenow.subdomain');
  });
});
