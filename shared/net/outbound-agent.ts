import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { MAX_SERVICENOW_RESPONSE_HEADER_BYTES } from '../input/limits';
import type { AllowedHosts } from './allowed-hosts';
import { normalizeHost } from './allowed-hosts';
import type { Resolver } from './ssrf-guard';
import { assertPublicAddresses, defaultPort, OutboundUrlRefusedError, systemResolver } from './ssrf-guard';

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

export type GuardedLookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/**
 * A `lookup` for net/tls.connect that resolves, refuses non-public answers and hands the checked
 * addresses straight to the socket. Because the socket connects to exactly what was checked,
 * a DNS answer that changes between a config-time check and the connection (rebinding) cannot
 * slip a private address through: every new connection runs this again.
 */
export const createGuardedLookup =
  (resolver: Resolver = systemResolver): GuardedLookup =>
  (hostname, options, callback) => {
    resolver(hostname).then(
      (resolved) => {
        try {
          const wanted =
            options.family === 4 || options.family === 6
              ? resolved.filter((r) => r.family === options.family)
              : resolved;
          assertPublicAddresses(
            hostname,
            resolved.map((r) => r.address),
          );
          if (options.all) {
            callback(null, wanted);
          } else {
            const first = wanted[0];
            if (first === undefined)
              throw new OutboundUrlRefusedError(`No address for ${hostname}`, 'unresolved');
            callback(null, first.address, first.family);
          }
        } catch (err) {
          callback(err as NodeJS.ErrnoException, []);
        }
      },
      (err: unknown) => callback(err as NodeJS.ErrnoException, []),
    );
  };

export interface OutboundAgentOptions {
  allowedHosts: AllowedHosts;
  resolver?: Resolver;
  /** TCP+TLS connect timeout (ms). */
  connectTimeoutMs?: number;
  /** How long an idle keep-alive socket is kept (ms). */
  keepAliveTimeoutMs?: number;
  /** Max sockets per origin; the ServiceNow client's own semaphore is usually lower. */
  connections?: number;
}

type ConnectOptions = Parameters<buildConnector.connector>[0];
type ConnectCallback = Parameters<buildConnector.connector>[1];

/**
 * The one keep-alive undici Agent for outbound calls. Its connector enforces the SSRF policy on
 * every new connection: plain http only to allowed hosts; IP literals checked directly (Node
 * skips `lookup` for them); names resolved by the guarded lookup. Redirects are never followed
 * (undici's `request` does not follow them; callers treat 3xx as an error).
 */
export const createOutboundAgent = (options: OutboundAgentOptions): Agent => {
  const timeout = options.connectTimeoutMs ?? 10_000;
  const guarded = buildConnector({ timeout, lookup: createGuardedLookup(options.resolver) });
  const plain = buildConnector({ timeout });
  const connect = (opts: ConnectOptions, callback: ConnectCallback) => {
    const host = normalizeHost(opts.hostname);
    const port = opts.port === '' || opts.port === undefined ? defaultPort(opts.protocol) : Number(opts.port);
    if (options.allowedHosts.allows(host, port)) return plain(opts, callback);
    try {
      if (opts.protocol !== 'https:') {
        throw new OutboundUrlRefusedError(
          `Outbound URL must use https; http is only allowed for hosts in ELEMENT_ALLOWED_HOSTS (${host})`,
          'protocol',
        );
      }
      if (isIP(host)) assertPublicAddresses(host, [host]);
    } catch (err) {
      queueMicrotask(() => callback(err as Error, null));
      return;
    }
    return guarded(opts, callback);
  };
  return new Agent({
    connect,
    connections: options.connections ?? 16,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    // ServiceNow's Link header repeats the request URL up to four times (Node's default is 16 KiB).
    maxHeaderSize: MAX_SERVICENOW_RESPONSE_HEADER_BYTES,
  });
};

const shared = new Map<string, Agent>();

/**
 * Process-wide agent per allow-list, so every ServiceNow client in a Lambda container (or the
 * local server) reuses warm keep-alive connections.
 */
export const sharedOutboundAgent = (allowedHosts: AllowedHosts): Agent => {
  const key = allowedHosts.entries.join(',');
  let agent = shared.get(key);
  if (agent === undefined) {
    agent = createOutboundAgent({ allowedHosts });
    shared.set(key, agent);
  }
  return agent;
};
