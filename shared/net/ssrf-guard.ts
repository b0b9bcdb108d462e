import ipaddr from 'ipaddr.js';
import { InvalidInputError } from '../errors';
import type { AllowedHosts } from './allowed-hosts';
import { normalizeHost } from './allowed-hosts';

/**
 * Refuses outbound targets that would let a caller reach our own network (SSRF): loopback,
 * private, CGNAT, link-local, cloud metadata, unspecified, multicast/broadcast/reserved, and
 * IPv4-mapped IPv6 forms of those. Hosts in ELEMENT_ALLOWED_HOSTS are exempt (local demo).
 *
 * Status 400 because a refused target is normally a bad `servicenow.subdomain`; callers that hit
 * it at request time (DNS changed since configuration) may map it to something else.
 */
export class OutboundUrlRefusedError extends InvalidInputError {
  readonly reason: string;
  constructor(message: string, reason: string) {
    super(message);
    this.name = 'OutboundUrlRefusedError';
    this.reason = reason;
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves every address of a host name (A and AAAA). Injectable so tests never touch DNS. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/**
 * node:dns and node:net load when a URL is first checked or called, not with the module: every function
 * that can make an outbound call imports this guard, and only some of its requests go out.
 */
export const systemResolver: Resolver = async (hostname) => {
  const dns = process.getBuiltinModule('node:dns').promises;
  const results = await dns.lookup(hostname, { all: true, verbatim: true });
  return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

/** 4 or 6 for an IP literal, 0 otherwise: node:net's isIP (see systemResolver for why not imported). */
export const isIP = (host: string): number => process.getBuiltinModule('node:net').isIP(host);

export interface OutboundPolicy {
  allowedHosts: AllowedHosts;
  resolver?: Resolver;
}

/**
 * The ipaddr.js range of an address, after unwrapping IPv4-mapped IPv6 (`::ffff:127.0.0.1`
 * is loopback, not "ipv4Mapped"). Only `unicast` is a public address.
 */
export const addressRange = (address: string): string => {
  if (!ipaddr.isValid(address)) return 'invalid';
  return ipaddr.process(address).range();
};

/** Well-known metadata endpoints get their own wording; both are also covered by their ranges. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254']);

export const isPublicAddress = (address: string): boolean => addressRange(address) === 'unicast';

const describe = (address: string): string => {
  const normalized = ipaddr.isValid(address) ? ipaddr.process(address).toString() : address;
  if (METADATA_ADDRESSES.has(normalized)) return 'a cloud metadata address';
  const range = addressRange(address);
  return range === 'invalid' ? 'an invalid address' : `a non-public address (${range})`;
};

/** Throws unless every address is public. Refusing on ANY bad address defeats split answers. */
export const assertPublicAddresses = (host: string, addresses: readonly string[]): void => {
  if (addresses.length === 0) {
    throw new OutboundUrlRefusedError(`Outbound host ${host} did not resolve to any address`, 'unresolved');
  }
  for (const address of addresses) {
    if (!isPublicAddress(address)) {
      throw new OutboundUrlRefusedError(
        `Outbound host ${host} resolves to ${describe(address)}; add it to ELEMENT_ALLOWED_HOSTS to allow it`,
        addressRange(address),
      );
    }
  }
};

export const defaultPort = (protocol: string): number => (protocol === 'http:' ? 80 : 443);

/** Hostname of a URL without IPv6 brackets. */
export const urlHostname = (url: URL): string => normalizeHost(url.hostname);

/**
 * Static checks on a URL: http(s) only, no userinfo, plain http only for allowed hosts.
 * Returns whether the host is allowed (and therefore exempt from address checks).
 */
export const assertOutboundUrlShape = (url: URL, allowedHosts: AllowedHosts): { allowed: boolean } => {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new OutboundUrlRefusedError(`Outbound URL must use https (got ${url.protocol})`, 'protocol');
  }
  if (url.username !== '' || url.password !== '') {
    throw new OutboundUrlRefusedError('Outbound URL must not contain user information', 'userinfo');
  }
  const host = urlHostname(url);
  const port = url.port === '' ? defaultPort(url.protocol) : Number(url.port);
  const allowed = allowedHosts.allows(host, port);
  if (url.protocol === 'http:' && !allowed) {
    throw new OutboundUrlRefusedError(
      `Outbound URL must use https; http is only allowed for hosts in ELEMENT_ALLOWED_HOSTS (${host})`,
      'protocol',
    );
  }
  return { allowed };
};

/**
 * Full check of a URL (shape + DNS). Use it to validate configuration early; it is NOT what
 * protects requests: the outbound agent re-checks on every connection and pins the address it
 * checked (see outbound-agent.ts), so DNS rebinding between this check and the request fails.
 */
export const checkOutboundUrl = async (input: string | URL, policy: OutboundPolicy): Promise<URL> => {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new OutboundUrlRefusedError('Outbound URL is not a valid URL', 'invalid');
  }
  const { allowed } = assertOutboundUrlShape(url, policy.allowedHosts);
  if (allowed) return url;
  const host = urlHostname(url);
  if (isIP(host)) {
    assertPublicAddresses(host, [host]);
    return url;
  }
  const resolver = policy.resolver ?? systemResolver;
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolver(host);
  } catch {
    throw new OutboundUrlRefusedError(`Outbound host ${host} could not be resolved`, 'unresolved');
  }
  assertPublicAddresses(
    host,
    addresses.map((a) => a.address),
  );
  return url;
};
