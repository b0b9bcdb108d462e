import { describe, expect, it } from 'vitest';
import { allowedHostsFromEnv, DEFAULT_ALLOWED_HOSTS, parseAllowedHosts } from '../../shared/net';

describe('ELEMENT_ALLOWED_HOSTS', () => {
  it('allows a bare host on every port and host:port only on that port', () => {
    const hosts = parseAllowedHosts('localhost, sim.internal:8443');
    expect(hosts.allows('localhost', 3001)).toBe(true);
    expect(hosts.allows('localhost', 443)).toBe(true);
    expect(hosts.allows('sim.internal', 8443)).toBe(true);
    expect(hosts.allows('sim.internal', 443)).toBe(false);
    expect(hosts.allows('other', 443)).toBe(false);
  });

  it('is whitespace tolerant and case-insensitive', () => {
    const hosts = parseAllowedHosts('  LocalHost ,, 127.0.0.1:3001  ,');
    expect(hosts.allows('localhost', 80)).toBe(true);
    expect(hosts.allows('LOCALHOST', 80)).toBe(true);
    expect(hosts.allows('127.0.0.1', '3001')).toBe(true);
    expect(hosts.allows('127.0.0.1', 3002)).toBe(false);
    expect(hosts.entries).toEqual(['localhost', '127.0.0.1:3001']);
  });

  it('accepts IPv6 in brackets, with and without port', () => {
    const hosts = parseAllowedHosts('[::1]:3001,[FD00::5]');
    expect(hosts.allows('::1', 3001)).toBe(true);
    expect(hosts.allows('[::1]', 3001)).toBe(true);
    expect(hosts.allows('::1', 3000)).toBe(false);
    expect(hosts.allows('fd00::5', 1)).toBe(true);
  });

  it('rejects malformed entries instead of guessing', () => {
    expect(() => parseAllowedHosts('::1')).toThrow(/invalid entry/);
    expect(() => parseAllowedHosts('host:99999')).toThrow(/invalid entry/);
    expect(() => parseAllowedHosts('user@host')).toThrow(/invalid entry/);
    expect(() => parseAllowedHosts('[::1')).toThrow(/invalid entry/);
  });

  it('uses the given default only when the variable is unset', () => {
    const local = allowedHostsFromEnv({}, DEFAULT_ALLOWED_HOSTS.local);
    expect(local.allows('localhost', 3001)).toBe(true);
    expect(local.allows('127.0.0.1', 3001)).toBe(true);
    expect(allowedHostsFromEnv({}).entries).toEqual([]);
    expect(allowedHostsFromEnv({ ELEMENT_ALLOWED_HOSTS: '' }, DEFAULT_ALLOWED_HOSTS.local).entries).toEqual(
      [],
    );
  });
});
