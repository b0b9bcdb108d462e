/**
 * The simulator's HTTP layer on node:http: reads the request, applies injected faults, authenticates,
 * routes to the API handlers and applies the cost model's delay.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Semaphore } from '../../shared/resilience';
import type { AuthKind, AuthService } from './auth';
import {
  envelope,
  HIBERNATING_HTML,
  insufficientRights,
  notAuthenticated,
  rateLimitExceeded,
  serverError,
  transactionCancelled,
  unknownResource,
} from './envelopes';
import type { Fault, FaultSource } from './faults';
import { AGGREGATE_PATH, aggregateRoute } from './routes/aggregate';
import { ATTACHMENT_PATH, attachmentRoute } from './routes/attachment';
import { BATCH_PATH, batchRoute } from './routes/batch';
import {
  empty,
  fail,
  type Principal,
  type RouteContext,
  type SimRequest,
  type SimResponse,
} from './routes/context';
import { authorizeRoute, tokenRoute } from './routes/oauth';
import { RecordShaper } from './routes/shape';
import { TABLE_PATH, tableRoute } from './routes/table';
import { SimDatabaseError } from './store/errors';
import type { SimDatabase } from './store/types';

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  /** 0 when the connection was reset by a fault. */
  status: number;
  authorization: AuthKind;
  /** The request carried a Cookie header. */
  cookie: boolean;
  /** Database work units spent (cost model); absent when no query ran. */
  cost?: number;
}

export interface SimServerOptions {
  db: SimDatabase;
  auth: AuthService;
  faults: FaultSource;
  strictQueries: boolean;
  linkHeaderOnSinglePage: boolean;
  costDelayMicrosPerUnit: number;
  /** The request log keeps the newest entries only. */
  requestLogLimit?: number;
  /** Requests served at once; later ones wait their turn, as on an instance with few worker threads. */
  maxConcurrentRequests?: number;
}

export interface SimServer {
  readonly requests: RequestLogEntry[];
  listen(port: number, host: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

/** Largest request body accepted (attachments up to this size). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** X-RateLimit-Rule: the sys_id of the (simulated) matching rate-limit rule (C.8). */
const RATE_LIMIT_RULE = '7d3e9d0a1b2c3d4e5f60718293a4b5c6';

/** OAuth query parameters whose values never reach the request log (secrets rule of the project brief). */
const SECRET_PARAM = /secret|password|token|code|assertion/i;

function loggedQuery(path: string, params: URLSearchParams): Record<string, string> {
  const oauth = path.startsWith('/oauth_');
  const out: Record<string, string> = {};
  for (const [name, value] of params) out[name] = oauth && SECRET_PARAM.test(name) ? '[redacted]' : value;
  return out;
}

function authKind(header: string | undefined): AuthKind {
  const scheme = header?.split(' ', 1)[0]?.toLowerCase();
  return scheme === 'basic' || scheme === 'bearer' ? scheme : 'none';
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function faultResponse(fault: Fault, now: Date): SimResponse | undefined {
  switch (fault.kind) {
    case 'status': {
      const retry = fault.retryAfterSeconds;
      if (fault.status === 429) {
        // C.8: a denied rate-limit rule sends Retry-After plus the X-RateLimit-* headers.
        const after = retry ?? 1;
        return fail(rateLimitExceeded(), {
          'retry-after': String(after),
          'x-ratelimit-limit': '100',
          'x-ratelimit-reset': String(Math.floor(now.getTime() / 1000) + after),
          'x-ratelimit-rule': RATE_LIMIT_RULE,
        });
      }
      return fail(serverError(fault.status), retry === undefined ? {} : { 'retry-after': String(retry) });
    }
    case 'quota':
      return fail(transactionCancelled());
    case 'forbidden':
      return fail(insufficientRights(fault.detail ?? null));
    case 'hibernate':
      // A.4: a hibernating developer instance answers 200 with HTML.
      return { status: 200, headers: { 'content-type': 'text/html;charset=UTF-8' }, body: HIBERNATING_HTML };
    case 'sessionOverflow':
      // A.4: session queue overflow -> 202 with no content.
      return empty(202);
    default:
      return undefined;
  }
}

export function createSimServer(options: SimServerOptions): SimServer {
  const { db, auth, faults } = options;
  const logLimit = options.requestLogLimit ?? 10_000;
  const requests: RequestLogEntry[] = [];
  const attachments = new Map<string, Buffer>();
  const userSysIds = new Map<string, string>();
  let baseUrl = 'http://127.0.0.1';
  let shaper: RecordShaper | undefined;

  const log = (entry: RequestLogEntry): void => {
    requests.push(entry);
    // Trim in chunks so a long benchmark does not pay an O(n) shift per request.
    if (requests.length > logLimit + Math.min(1000, logLimit)) requests.splice(0, requests.length - logLimit);
  };

  const principalFor = (userName: string): Principal => {
    let sysId = userSysIds.get(userName);
    if (sysId === undefined && db.table('sys_user')) {
      const found = db.query('sys_user', {
        query: `user_name=${userName}`,
        limit: 1,
        offset: 0,
        noCount: true,
      });
      sysId = found.rows[0]?.sys_id;
      if (sysId) userSysIds.set(userName, sysId);
    }
    return { userName, userSysId: sysId };
  };

  const route = async (
    req: SimRequest,
    principal: Principal,
    cost: { units: number },
  ): Promise<SimResponse> => {
    shaper ??= new RecordShaper(db, baseUrl);
    const ctx: RouteContext = {
      db,
      baseUrl,
      principal,
      faults,
      strictQueries: options.strictQueries,
      linkHeaderOnSinglePage: options.linkHeaderOnSinglePage,
      attachments,
      cost,
      dispatch: (inner) => routeSafely(inner, principal, cost),
    };
    let match = TABLE_PATH.exec(req.path);
    if (match) return tableRoute(req, ctx, shaper, match);
    match = ATTACHMENT_PATH.exec(req.path);
    if (match) return attachmentRoute(req, ctx, match);
    match = AGGREGATE_PATH.exec(req.path);
    if (match) return aggregateRoute(req, ctx, match);
    if (BATCH_PATH.test(req.path)) return batchRoute(req, ctx);
    return fail(unknownResource());
  };

  /** Typed database failures -> ServiceNow envelopes ([UNVERIFIED] texts for the write failures). */
  const routeSafely = async (
    req: SimRequest,
    principal: Principal,
    cost: { units: number },
  ): Promise<SimResponse> => {
    try {
      return await route(req, principal, cost);
    } catch (error) {
      if (!(error instanceof SimDatabaseError)) throw error;
      if (error.code === 'unknown_table') return fail(unknownResource());
      if (error.code === 'duplicate_sys_id') return fail(envelope(403, 'Operation Failed', error.message));
      return fail(envelope(400, 'Invalid request', error.message));
    }
  };

  /** Everything but faults and transport: OAuth endpoints, authentication, APIs. */
  const dispatch = async (req: SimRequest, cost: { units: number }): Promise<SimResponse> => {
    if (req.path === '/oauth_token.do') return tokenRoute(req, auth);
    if (req.path === '/oauth_auth.do') return authorizeRoute(req, auth);
    const user = auth.authenticate(req.headers.authorization).userName;
    if (!user) return fail(notAuthenticated());
    return routeSafely(req, principalFor(user), cost);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', baseUrl);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    // A.1: X-http-method-override replaces the verb.
    const method = (headers['x-http-method-override'] ?? req.method ?? 'GET').toUpperCase();
    const entry: RequestLogEntry = {
      method,
      path: url.pathname,
      query: loggedQuery(url.pathname, url.searchParams),
      status: 0,
      authorization: authKind(headers.authorization),
      cookie: headers.cookie !== undefined,
    };
    log(entry);
    const body = await readBody(req);

    let response: SimResponse | undefined;
    for (const fault of faults.next({ method, path: url.pathname })) {
      if (fault.kind === 'latency') {
        await sleep(fault.ms);
      } else if (fault.kind === 'reset') {
        req.socket.destroy();
        return;
      } else {
        response = faultResponse(fault, db.clock.now());
      }
    }
    if (!response) {
      const cost = { units: 0 };
      response = await dispatch({ method, path: url.pathname, query: url.searchParams, headers, body }, cost);
      const units = cost.units;
      if (units > 0) {
        entry.cost = units;
        const delayMs = (units * options.costDelayMicrosPerUnit) / 1000;
        if (delayMs >= 1) await sleep(delayMs);
        else if (delayMs > 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }
    entry.status = response.status;
    const payload = response.body === undefined ? undefined : Buffer.from(response.body);
    res.writeHead(response.status, {
      ...response.headers,
      ...(payload ? { 'content-length': String(payload.length) } : {}),
    });
    if (payload && method !== 'HEAD' && response.status !== 204) res.end(payload);
    else res.end();
  };

  const slots =
    options.maxConcurrentRequests === undefined ? undefined : new Semaphore(options.maxConcurrentRequests);
  const server: Server = createServer((req, res) => {
    (slots === undefined ? handle(req, res) : slots.run(() => handle(req, res))).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const failure = fail(serverError(500));
      res.writeHead(500, failure.headers);
      res.end(
        JSON.stringify({ error: { message: 'Internal Server Error', detail: message }, status: 'failure' }),
      );
    });
  });

  return {
    requests,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const hostPart = host.includes(':') ? `[${host}]` : host;
          baseUrl = `http://${hostPart}:${address.port}`;
          resolve({ url: baseUrl, port: address.port });
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
