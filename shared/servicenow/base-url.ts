import { InvalidInputError } from '../errors';
import type { AllowedHosts } from '../net';
import { normalizeHost } from '../net';

const FIELD = 'servicenow.subdomain';
// A DNS label: letters, digits, inner hyphens (ServiceNow instance names are like `dev12345`).
const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

const refuse = (why: string) => new InvalidInputError(`Invalid ${FIELD}: ${why}`);

/**
 * The instance base URL (`https://host[:port]`, no trailing slash) from CE's
 * `servicenow.subdomain`: a bare name means `<name>.service-now.com`; a full https URL is
 * accepted as is; plain http only for hosts in ELEMENT_ALLOWED_HOSTS (local simulator).
 * This is a shape check only; the outbound agent does the DNS/SSRF check per connection.
 */
export const serviceNowBaseUrl = (subdomainOrUrl: string, allowedHosts: AllowedHosts): string => {
  const value = subdomainOrUrl.trim();
  if (value === '') throw refuse('it is empty');
  if (SUBDOMAIN.test(value)) return `https://${value.toLowerCase()}.service-now.com`;
  if (!/^https?:\/\//i.test(value)) {
    throw refuse(
      'expected an instance name like "dev12345" or a URL like "https://dev12345.service-now.com"',
    );
  }
  if (/\s/.test(value)) throw refuse('it contains whitespace');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse('it is not a valid URL');
  }
  // Check the raw text too: URL parsing silently normalizes `..` and strips empty userinfo.
  const authority = value.replace(/^https?:\/\//i, '').split('/')[0] ?? '';
  if (url.username !== '' || url.password !== '' || authority.includes('@')) {
    throw refuse('it must not contain user information');
  }
  if (value.includes('..')) throw refuse('it contains ".."');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw refuse('it must be only scheme, host and optional port, without path or query');
  }
  const host = normalizeHost(url.hostname);
  const isIpv6 = url.hostname.startsWith('[');
  if (!isIpv6 && !host.split('.').every((label) => HOST_LABEL.test(label))) {
    throw refuse('the host name is not valid');
  }
  if (url.protocol === 'http:') {
    const port = url.port === '' ? 80 : Number(url.port);
    if (!allowedHosts.allows(host, port)) {
      throw refuse(`http is only allowed for hosts in ELEMENT_ALLOWED_HOSTS; use https://${url.host}`);
    }
  }
  return `${url.protocol}//${url.host}`;
};
