import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ElementError } from '../../shared/errors';
import { createLogger, type Logger } from '../../shared/logging';
import { errorResponse, toElementError } from '../middleware/error-response';
import { newRequestId } from '../middleware/request-id';
import type { LambdaHttpHandler } from '../middleware/types';
import { API_BASE_PATH, LAMBDA_FUNCTIONS, type LambdaFunctionDefinition, ROUTES } from '../routes';
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

class PayloadTooLargeError extends Error {}

/** Reads the whole body, or drains it and throws once it exceeds the limit (so the 413 reaches the client). */
const readBody = (request: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolveBody, reject) => {
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
      tooLarge ? reject(new PayloadTooLargeError()) : resolveBody(Buffer.concat(chunks)),
    );
    request.on('error', reject);
  });

/**
 * Serves the Lambda handlers over HTTP the way API Gateway's HTTP API does: each request becomes a
 * payload 2.0 event for the function its route names, handlers are imported on first use.
 */
export const startLocalServer = async (options: LocalServerOptions = {}): Promise<LocalServerHandle> => {
  const logger = options.logger ?? createLogger({ serviceName: 'snow-element-local' });
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const extraHandlers = options.extraHandlers ?? {};
  const match = createRouteMatcher([...ROUTES, ...(options.extraRoutes ?? [])]);
  const handlers = new Map<string, Promise<LambdaHttpHandler>>();

  const restoreEnv: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(options.env ?? {})) {
    restoreEnv[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
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

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const requestId = newRequestId();
    const method = request.method ?? 'GET';
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    let body: Buffer;
    try {
      body = await readBody(request, maxBodyBytes);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        return fail(response, requestId, new ElementError(413, `Request body exceeds ${maxBodyBytes} bytes`));
      }
      throw error;
    }

    const below = pathname === API_BASE_PATH || pathname.startsWith(`${API_BASE_PATH}/`);
    const matched = below
      ? match(method, pathname.slice(API_BASE_PATH.length))
      : ({ kind: 'notFound' } as const);
    if (matched.kind === 'notFound') {
      return fail(response, requestId, new ElementError(404, `No route for ${method} ${pathname}`));
    }
    if (matched.kind === 'methodNotAllowed') {
      return fail(
        response,
        requestId,
        new ElementError(405, `Method Not Allowed - ${method} is not supported on ${pathname}`, {
          headers: { Allow: matched.allow.join(', ') },
        }),
      );
    }

    const { route, pathParameters } = matched;
    const definition = functionDefinition(route.functionName);
    const routeKey = `${route.method} ${API_BASE_PATH}${route.path}`;
    const event = eventFromRequest({ request, body, requestId, routeKey, pathParameters });
    const handler = await loadHandler(route.functionName);
    const context = createLambdaContext({
      functionName: route.functionName,
      memoryMb: definition.memoryMb,
      timeoutSeconds: definition.timeoutSeconds,
    });
    const started = Date.now();
    const result = await handler(event, context);
    writeResult(response, result);
    logger.debug('request', {
      requestId,
      method,
      path: pathname,
      status: response.statusCode,
      durationMs: Date.now() - started,
    });
  };

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      // Only reached when a handler is missing or throws past its middlewares, as a Lambda crash would.
      logger.error('Local invocation failed', { path: request.url, method: request.method, error });
      if (!response.headersSent) fail(response, newRequestId(), toElementError(error));
      else response.destroy();
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
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
      }).then(() => {
        for (const [name, value] of Object.entries(restoreEnv)) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      });
      return closing;
    },
  };
};
