import type { LookupAddress, LookupOptions } from 'node:dns';
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { MAX_SERVICENOW_RESPONSE_HEADER_BYTES } from '../input/limits';
import type { AllowedHosts } from './allowed-hosts';
import { normalizeHost } from './allowed-hosts';
import type { Resolver } from './ssrf-guard';
import {
  assertPublicAddresses,
  defaultPort,
  isIP,
  OutboundUrlRefusedError,
  systemResolver,
} from './ssrf-guard';

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
  /** Max sockets per origin; the ServiceNow client's own semaphore is usually lower. */
  connections?: number;
}

export interface OutboundRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | Uint8Array | null;
  /** The whole exchange: connection, request, response headers and body. */
  timeoutMs: number;
  /** Keep at most this many body bytes; past it the response is cut short (the socket is not reused). */
  maxBodyBytes?: number;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingMessage['headers'];
  /** The body as received (empty when cut short by maxBodyBytes). */
  chunks: Buffer[];
  length: number;
}

/**
 * Why an exchange failed without an answer: `connect` (no connection within the connect timeout; nothing
 * was sent), `timeout` (no whole answer within timeoutMs; the server may have acted on the request).
 */
export class OutboundTimeoutError extends Error {
  readonly code: 'ECONNECT_TIMEOUT' | 'ETIMEDOUT';
  constructor(readonly phase: 'connect' | 'timeout') {
    super(phase === 'connect' ? 'Connection timed out' : 'The exchange timed out');
    this.name = 'OutboundTimeoutError';
    this.code = phase === 'connect' ? 'ECONNECT_TIMEOUT' : 'ETIMEDOUT';
  }
}

/** One keep-alive HTTP client for outbound calls; SSRF-checked on every new connection. */
export interface OutboundAgent {
  /**
   * One exchange. Rejects with OutboundUrlRefusedError (the SSRF policy said no), OutboundTimeoutError,
   * or the socket's error (with its `code`: ECONNREFUSED, ECONNRESET, ENOTFOUND...). Redirects are
   * answers like any other: never followed.
   */
  request(request: OutboundRequest): Promise<OutboundResponse>;
  close(): Promise<void>;
}

interface NodeHttp {
  http: typeof import('node:http');
  https: typeof import('node:https');
}

let nodeHttp: Promise<NodeHttp> | undefined;
/**
 * node:http and node:https load on the first outbound call, not when a function's module loads, and as
 * CommonJS built-ins: an ESM `import()` of node:http builds a namespace of every export, which runs its
 * lazy WebSocket getters and so loads Node's bundled undici (tens of milliseconds on a cold start).
 */
const loadNodeHttp = (): Promise<NodeHttp> =>
  (nodeHttp ??= Promise.resolve({
    http: process.getBuiltinModule('node:http'),
    https: process.getBuiltinModule('node:https'),
  }));

/**
 * The SSRF policy of one request, before any socket: plain http only to allowed hosts; IP literals
 * checked directly (Node skips `lookup` for them); other names go through the guarded lookup.
 * Returns whether the host is allowed (then no lookup check applies).
 */
const checkTarget = (url: URL, allowedHosts: AllowedHosts): boolean => {
  const host = normalizeHost(url.hostname);
  const port = url.port === '' ? defaultPort(url.protocol) : Number(url.port);
  if (allowedHosts.allows(host, port)) return true;
  if (url.protocol !== 'https:') {
    throw new OutboundUrlRefusedError(
      `Outbound URL must use https; http is only allowed for hosts in ELEMENT_ALLOWED_HOSTS (${host})`,
      'protocol',
    );
  }
  if (isIP(host)) assertPublicAddresses(host, [host]);
  return false;
};

/**
 * The one keep-alive client for outbound calls, on node:http/node:https. Three socket pools: plain
 * http and https for hosts in the allow-list, and https whose `lookup` is the guarded lookup for every
 * other host, so the socket connects to exactly the addresses that were checked.
 */
export const createOutboundAgent = (options: OutboundAgentOptions): OutboundAgent => {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const lookup = createGuardedLookup(options.resolver);
  const maxSockets = options.connections ?? 16;
  let pools:
    | Promise<{ node: NodeHttp; plainHttp: Agent; plainHttps: Agent; guardedHttps: Agent }>
    | undefined;
  const poolsOf = () =>
    (pools ??= loadNodeHttp().then((node) => ({
      node,
      plainHttp: new node.http.Agent({ keepAlive: true, maxSockets }),
      plainHttps: new node.https.Agent({ keepAlive: true, maxSockets }),
      guardedHttps: new node.https.Agent({ keepAlive: true, maxSockets, lookup }),
    })));

  return {
    async request(outbound) {
      const allowed = checkTarget(outbound.url, options.allowedHosts);
      const { node, plainHttp, plainHttps, guardedHttps } = await poolsOf();
      const https = outbound.url.protocol === 'https:';
      const agent = !https ? plainHttp : allowed ? plainHttps : guardedHttps;
      return new Promise<OutboundResponse>((resolve, reject) => {
        let settled = false;
        let req: ClientRequest | undefined;
        const fail = (error: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(whole);
          clearTimeout(connecting);
          req?.destroy();
          reject(error);
        };
        const whole = setTimeout(() => fail(new OutboundTimeoutError('timeout')), outbound.timeoutMs);
        let connecting: NodeJS.Timeout | undefined;
        req = (https ? node.https : node.http).request(outbound.url, {
          method: outbound.method,
          headers: outbound.headers,
          agent,
          // ServiceNow's Link header repeats the request URL up to four times (Node's default is 16 KiB).
          maxHeaderSize: MAX_SERVICENOW_RESPONSE_HEADER_BYTES,
        });
        req.on('socket', (socket) => {
          if (!socket.connecting) return;
          connecting = setTimeout(() => fail(new OutboundTimeoutError('connect')), connectTimeoutMs);
          socket.once(https ? 'secureConnect' : 'connect', () => clearTimeout(connecting));
        });
        req.on('error', fail);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let length = 0;
          const max = outbound.maxBodyBytes ?? Number.POSITIVE_INFINITY;
          const finish = () => {
            if (settled) return;
            settled = true;
            clearTimeout(whole);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, chunks, length });
          };
          res.on('data', (chunk: Buffer) => {
            length += chunk.length;
            if (length <= max) chunks.push(chunk);
            else {
              chunks.length = 0;
              finish();
              res.destroy();
            }
          });
          res.on('end', finish);
          res.on('error', fail);
          res.on('aborted', () =>
            fail(Object.assign(new Error('The response was cut off'), { code: 'ECONNRESET' })),
          );
        });
        req.end(outbound.body ?? undefined);
      });
    },

    async close() {
      if (pools === undefined) return;
      const { plainHttp, plainHttps, guardedHttps } = await pools;
      for (const agent of [plainHttp, plainHttps, guardedHttps]) agent.destroy();
    },
  };
};

const shared = new Map<string, OutboundAgent>();

/**
 * Process-wide agent per allow-list, so every ServiceNow client in a Lambda container (or the
 * local server) reuses warm keep-alive connections.
 */
export const sharedOutboundAgent = (allowedHosts: AllowedHosts): OutboundAgent => {
  const key = allowedHosts.entries.join(',');
  let agent = shared.get(key);
  if (agent === undefined) {
    agent = createOutboundAgent({ allowedHosts });
    shared.set(key, agent);
  }
  return agent;
};
