import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { createLocalSecretStore } from '../../shared/adapters/local/secret-store';
import { createLocalStateTable } from '../../shared/adapters/local/state-table';
import type { AuthorizerContext } from '../../shared/auth/authorizer-context';
import { readFunctionEnv } from '../../shared/config/env';
import {
  type ElementError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  toElementError,
  UnauthorizedError,
} from '../../shared/errors';
import { createLogger, type Logger } from '../../shared/logging';
import { type AllowedHosts, DEFAULT_ALLOWED_HOSTS, parseAllowedHosts } from '../../shared/net/allowed-hosts';
import { type AuthorizerHandler, createAuthorizerHandler } from '../authorizer/authorize';
import { type CorsOrigins, corsPreflightHeaders, corsResponseHeaders, parseCorsOrigins } from '../cors';
import { errorResponse } from '../middleware/error-response';
import { newRequestId } from '../middleware/request-id';
import type { LambdaHttpHandler } from '../middleware/types';
import {
  API_BASE_PATH,
  AUTHORIZER_CACHE_SECONDS,
  LAMBDA_FUNCTIONS,
  type LambdaFunctionDefinition,
  ROUTES,
} from '../routes';
import { type Dependencies, setDependencies } from '../runtime/dependencies';
import { authorizerEventFrom } from './authorizer-event';
import { eventFromRequest } from './event-from-request';
import { createLambdaContext } from './lambda-context';
import { createRouteMatcher, type LocalRoute } from './route-matcher';
import { writeResult } from './write-result';

/** API Gateway's HTTP API payload limit. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface LocalServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback by default. */
  host?: string;
  /**
   * Variables the handlers read, as a Lambda reads its configuration. Merged into `process.env`
   * (handlers run in this process) and restored on close.
   */
  env?: Record<string, string | undefined>;
  /**
   * Test seam: extra routes served beside the product's ROUTES, with their handlers. Keeps test-only
   * routes out of `functions/routes.ts`, which infra deploys.
   */
  extraRoutes?: readonly LocalRoute[];
  extraHandlers?: Record<string, LambdaHttpHandler>;
  maxBodyBytes?: number;
  logger?: Logger;
  /**
   * The ports every handler of this process shares (functions/runtime/dependencies.ts). Default: when
   * `env.ELEMENT_DATA_DIR` is given, local adapters on that directory, closed with the server; otherwise
   * whatever getDependencies() builds from process.env.
   */
  dependencies?: Dependencies;
  /**
   * Test seam: the authorizer run before protected routes; defaults to functions/authorizer/handler.ts
   * over ROUTES plus extraRoutes.
   */
  authorizer?: AuthorizerHandler;
  /** How long a decision is reused per Authorization header; defaults to AUTHORIZER_CACHE_SECONDS. */
  authorizerCacheSeconds?: number;
  now?: () => number;
  /**
   * Plain HTTP handlers for paths outside the API base path, given the request before its body is read
   * (they stream it): local mode's presigned blob URLs (functions/local/blob-route.ts), as S3 serves them.
   */
  rawRoutes?: readonly RawRoute[];
}

export interface RawRoute {
  /** Path prefix, e.g. `/local-blobs/`. */
  prefix: string;
  handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void>;
}

export interface LocalServerHandle {
  /** `http://127.0.0.1:<port>/elements/api-v2`: append a route path to call it. */
  url: string;
  origin: string;
  port: number;
  close(): Promise<void>;
}

const DEFAULT_TEST_FUNCTION: LambdaFunctionDefinition = {
  entry: '',
  description: 'test route',
  timeoutSeconds: 30,
  memoryMb: 256,
};

class BodyTooLargeError extends Error {}

const EMPTY_BODY = Buffer.alloc(0);

/** Reads the whole body, or drains it and throws once it exceeds the limit (so the 413 reaches the client). */
const readBody = (request: IncomingMessage, limit: number): Promise<Buffer> => {
  // Neither Content-Length nor Transfer-Encoding: HTTP/1.1 says there is no body (RFC 9112 6.3), so a
  // GET need not wait a turn for 'end'. The stream is still drained, and its errors still swallowed.
  const { headers } = request;
  if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
    request.on('error', () => undefined);
    request.resume();
    return Promise.resolve(EMPTY_BODY);
  }
  return new Promise((resolveBody, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    let tooLarge = declared > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () =>
      tooLarge ? reject(new BodyTooLargeError()) : resolveBody(Buffer.concat(chunks)),
    );
    request.on('error', reject);
  });
};

/**
 * Serves the Lambda handlers over HTTP the way API Gateway's HTTP API does: each request becomes a
 * payload 2.0 event for the function its route names, handlers are imported on first use.
 */
export const startLocalServer = async (options: LocalServerOptions = {}): Promise<LocalServerHandle> => {
  const logger = options.logger ?? createLogger({ serviceName: 'snow-element-local' });
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  // Decided once: the logger builds the whole log item (reading the environment twice) before it
  // compares levels, a cost every request would pay for a line that is almost never printed.
  const logRequests = logger.level <= LogLevelThreshold.DEBUG;
  const extraHandlers = options.extraHandlers ?? {};
  const allRoutes = [...ROUTES, ...(options.extraRoutes ?? [])];
  const match = createRouteMatcher(allRoutes);
  const handlers = new Map<string, Promise<LambdaHttpHandler>>();
  const now = options.now ?? Date.now;
  let authorizer = options.authorizer;
  const authorizerCacheMs = (options.authorizerCacheSeconds ?? AUTHORIZER_CACHE_SECONDS) * 1000;
  /**
   * Decisions by route kind and header value, like API Gateway's cache of the platform and hub
   * authorizers (one cache each, keyed on the Authorization header).
   */
  const decisions = new Map<string, { context: AuthorizerContext; expiresAt: number }>();

  const restoreEnv: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(options.env ?? {})) {
    restoreEnv[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }

  const restoreEnvironment = () => {
    for (const [name, value] of Object.entries(restoreEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };

  // One state table / secret store for every handler and the authorizer, on the data dir this server
  // was given: getDependencies() would otherwise memoize whatever the first caller's environment said.
  let ownedStateTable: { close(): Promise<void> } | undefined;
  const dataDir = options.env?.ELEMENT_DATA_DIR;
  if (options.dependencies) {
    setDependencies(options.dependencies);
  } else if (dataDir) {
    let allowedHosts: AllowedHosts;
    try {
      const env = readFunctionEnv(process.env);
      allowedHosts = parseAllowedHosts(env.ELEMENT_ALLOWED_HOSTS ?? DEFAULT_ALLOWED_HOSTS.local);
    } catch (error) {
      restoreEnvironment();
      throw error;
    }
    const stateTable = createLocalStateTable({ dataDir });
    ownedStateTable = stateTable;
    setDependencies({
      mode: 'local',
      stateTable,
      secretStore: createLocalSecretStore({ dataDir }),
      allowedHosts,
      now: () => new Date(),
    });
  }
  const installedDependencies = options.dependencies !== undefined || dataDir !== undefined;
  let cors: CorsOrigins;
  try {
    cors = parseCorsOrigins(process.env.ELEMENT_CORS_ORIGINS);
  } catch (error) {
    restoreEnvironment();
    throw error;
  }

  const functionDefinition = (name: string): LambdaFunctionDefinition =>
    (LAMBDA_FUNCTIONS as Record<string, LambdaFunctionDefinition>)[name] ?? DEFAULT_TEST_FUNCTION;

  const loadHandler = (name: string): Promise<LambdaHttpHandler> => {
    let loaded = handlers.get(name);
    if (!loaded) {
      const extra = extraHandlers[name];
      loaded = extra
        ? Promise.resolve(extra)
        : import(pathToFileURL(resolve(REPOSITORY_ROOT, functionDefinition(name).entry)).href).then(
            (module: { handler?: LambdaHttpHandler }) => {
              if (typeof module.handler !== 'function') throw new Error(`${name} does not export a handler`);
              return module.handler;
            },
          );
      handlers.set(name, loaded);
      // A failed import (syntax error while editing) is retried on the next request.
      loaded.catch(() => handlers.delete(name));
    }
    return loaded;
  };

  const fail = (response: ServerResponse, requestId: string, error: ElementError) =>
    writeResult(response, errorResponse(requestId, error));

  /** What API Gateway does before a protected route's function: the cached or fresh authorizer context. */
  const authorize = async (
    kind: 'platform' | 'hub',
    event: ReturnType<typeof eventFromRequest>,
  ): Promise<AuthorizerContext> => {
    const header = event.headers.authorization ?? '';
    const key = `${kind}\n${header}`;
    const cached = decisions.get(key);
    if (cached && cached.expiresAt > now()) return cached.context;
    authorizer ??= createAuthorizerHandler({ routes: allRoutes, logger });
    const result = await authorizer(authorizerEventFrom(event));
    if (result.isAuthorized !== true || !result.context) {
      return { outcome: 'deny', status: '401', message: new UnauthorizedError().message };
    }
    if (authorizerCacheMs > 0) {
      // Expired entries go first, so the map cannot grow with every header ever seen.
      if (decisions.size > 10_000) {
        for (const [entryKey, entry] of decisions) if (entry.expiresAt <= now()) decisions.delete(entryKey);
      }
      decisions.set(key, { context: result.context, expiresAt: now() + authorizerCacheMs });
    }
    return result.context;
  };

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const requestId = newRequestId();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://localhost');
    const { pathname } = url;
    // What API Gateway's CORS configuration does: preflights answered before any route, and the
    // allowed origin's headers on every response.
    const origin = request.headers.origin;
    if (
      method === 'OPTIONS' &&
      cors.kind !== 'none' &&
      origin !== undefined &&
      request.headers['access-control-request-method'] !== undefined
    ) {
      request.resume();
      response.writeHead(204, corsPreflightHeaders(cors, origin));
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(corsResponseHeaders(cors, origin))) {
      response.setHeader(name, value);
    }
    const raw = options.rawRoutes?.find((candidate) => pathname.startsWith(candidate.prefix));
    if (raw !== undefined) return raw.handle(request, response, url);
    let body: Buffer;
    try {
      body = await readBody(request, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        return fail(
          response,
          requestId,
          new PayloadTooLargeError(`Request body exceeds ${maxBodyBytes} bytes`),
        );
      }
      throw error;
    }

    const below = pathname === API_BASE_PATH || pathname.startsWith(`${API_BASE_PATH}/`);
    const matched = below
      ? match(method, pathname.slice(API_BASE_PATH.length))
      : ({ kind: 'notFound' } as const);
    if (matched.kind === 'notFound') {
      return fail(response, requestId, new NotFoundError(`No route for ${method} ${pathname}`));
    }
    if (matched.kind === 'methodNotAllowed') {
      return fail(
        response,
        requestId,
        new MethodNotAllowedError(`Method Not Allowed - ${method} is not supported on ${pathname}`, {
          headers: { Allow: matched.allow.join(', ') },
        }),
      );
    }

    const { route, pathParameters } = matched;
    const definition = functionDefinition(route.functionName);
    const routeKey = `${route.method} ${API_BASE_PATH}${route.path}`;
    const event = eventFromRequest({ request, body, requestId, routeKey, pathParameters, url });
    if (route.auth === 'platform' || route.auth === 'hub') {
      // API Gateway answers 401 itself when the identity source is missing, without calling the authorizer.
      if (!event.headers.authorization) return fail(response, requestId, new UnauthorizedError());
      const context = await authorize(route.auth, event);
      (event.requestContext as { authorizer?: { lambda: AuthorizerContext } }).authorizer = {
        lambda: context,
      };
    }
    const handler = await loadHandler(route.functionName);
    const context = createLambdaContext({
      functionName: route.functionName,
      memoryMb: definition.memoryMb,
      timeoutSeconds: definition.timeoutSeconds,
    });
    const started = Date.now();
    const result = await handler(event, context);
    writeResult(response, result);
    if (logRequests) {
      logger.debug('request', {
        requestId,
        method,
        path: pathname,
        status: response.statusCode,
        durationMs: Date.now() - started,
      });
    }
  };

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      // Only reached when a handler is missing or throws past its middlewares, as a Lambda crash would.
      logger.error('Local invocation failed', { path: request.url, method: request.method, error });
      if (!response.headersSent) fail(response, newRequestId(), toElementError(error));
      else response.destroy();
    });
  });

  const releaseDependencies = async () => {
    if (!installedDependencies) return;
    setDependencies(undefined);
    await ownedStateTable?.close();
  };

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (error) {
    await releaseDependencies();
    restoreEnvironment();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}${API_BASE_PATH}`,
    origin,
    port: address.port,
    close: () => {
      closing ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        // Keep-alive sockets would otherwise hold close() open for the client's idle timeout.
        server.closeAllConnections();
      })
        .then(releaseDependencies)
        .finally(restoreEnvironment);
      return closing;
    },
  };
};
