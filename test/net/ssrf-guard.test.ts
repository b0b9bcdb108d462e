import { describe, expect, it } from 'vitest';
import type { Resolver } from '../../shared/net';
import {
  checkOutboundUrl,
  isPublicAddress,
  OutboundUrlRefusedError,
  parseAllowedHosts,
} from '../../shared/net';

const none = parseAllowedHosts('');
const resolveTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
const publicResolver = resolveTo('93.184.216.34');

const refusal = async (url: string, resolver: Resolver = publicResolver, allowed = none) => {
  const error = await checkOutboundUrl(url, { allowedHosts: allowed, resolver }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(OutboundUrlRefusedError);
  return error as OutboundUrlRefusedError;
};

describe('SSRF guard', () => {
  it.each([
    ['https://127.0.0.1/', 'loopback'],
    ['https://10.0.0.1/', 'private'],
    ['https://192.168.1.1/', 'private'],
    ['https://172.16.0.1/', 'private'],
    ['https://100.64.0.1/', 'carrierGradeNat'],
    ['https://169.254.169.254/', 'linkLocal'],
    ['https://[::1]/', 'loopback'],
    ['https://[fd00:ec2::254]/', 'uniqueLocal'],
    ['https://[fe80::1]/', 'linkLocal'],
    ['https://0.0.0.0/', 'unspecified'],
    ['https://[::]/', 'unspecified'],
    ['https://224.0.0.1/', 'multicast'],
    ['https://255.255.255.255/', 'broadcast'],
    ['https://240.0.0.1/', 'reserved'],
    ['https://[::ffff:127.0.0.1]/', 'loopback'],
    ['https://[::ffff:169.254.169.254]/', 'linkLocal'],
  ])('refuses %s (%s)', async (url, reason) => {
    const error = await refusal(url);
    expect(error.reason).toBe(reason);
    expect(error.status).toBe(400);
  });

  it('names cloud metadata addresses explicitly', async () => {
    expect((await refusal('https://169.254.169.254/latest/meta-data')).message).toMatch(/metadata/);
    expect((await refusal('https://[fd00:ec2::254]/')).message).toMatch(/metadata/);
  });

  it('refuses a name that resolves to a private address', async () => {
    const error = await refusal('https://intranet.example.com/', resolveTo('10.1.2.3'));
    expect(error.message).toContain('intranet.example.com');
    expect(error.reason).toBe('private');
  });

  it('refuses when any of several answers is private', async () => {
    await refusal('https://mixed.example.com/', resolveTo('93.184.216.34', '192.168.0.10'));
  });

  it('refuses names that do not resolve', async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect((await refusal('https://nowhere.invalid/', failing)).reason).toBe('unresolved');
  });

  it('accepts a public https host', async () => {
    const url = await checkOutboundUrl('https://dev123.service-now.com/', {
      allowedHosts: none,
      resolver: publicResolver,
    });
    expect(url.hostname).toBe('dev123.service-now.com');
  });

  it('refuses other schemes, plain http and userinfo', async () => {
    expect((await refusal('ftp://dev123.service-now.com/')).reason).toBe('protocol');
    expect((await refusal('file:///etc/passwd')).reason).toBe('protocol');
    expect((await refusal('http://dev123.service-now.com/')).reason).toBe('protocol');
    expect((await refusal('https://user:pw@dev123.service-now.com/')).reason).toBe('userinfo');
  });

  it('lets allowed hosts through, over http too, honouring the port', async () => {
    const allowed = parseAllowedHosts('localhost,127.0.0.1:3001,[::1]:3001');
    for (const url of ['http://localhost:9999/', 'http://127.0.0.1:3001/', 'http://[::1]:3001/']) {
      await expect(
        checkOutboundUrl(url, { allowedHosts: allowed, resolver: resolveTo('127.0.0.1') }),
      ).resolves.toBeInstanceOf(URL);
    }
    expect((await refusal('http://127.0.0.1:3002/', publicResolver, allowed)).reason).toBe('protocol');
    expect((await refusal('https://127.0.0.1:3002/', publicResolver, allowed)).reason).toBe('loopback');
  });

  it('classifies public addresses as public', () => {
    expect(isPublicAddress('93.184.216.34')).toBe(true);
    expect(isPublicAddress('2606:4700:4700::1111')).toBe(true);
    expect(isPublicAddress('::ffff:93.184.216.34')).toBe(true);
    expect(isPublicAddress('not-an-ip')).toBe(false);
  });
});
