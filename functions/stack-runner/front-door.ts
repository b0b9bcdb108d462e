/**
 * The HTTP API of the template on a local port: its routes to their Lambda integrations (payload format
 * 2.0), each route's Lambda REQUEST authorizer first (simple responses, identity source, result cache),
 * the CORS preflight the API answers itself when it has a CorsConfiguration, API Gateway's limits and
 * its own error bodies, and one access log line per request in the stage's format.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { authorizerEventFrom } from '../local/authorizer-event';
import { eventFromRequest, gatewayTime } from '../local/event-from-request';
import { createRouteMatcher } from '../local/route-matcher';
import { writeResult } from '../local/write-result';
import type { InvokeResult } from './invoker';

/** HTTP API payload limit (10 MB). */
export const HTTP_API_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** HTTP API's integration timeout when the template sets none (30 s, its maximum). */
export const HTTP_API_DEFAULT_INTEGRATION_TIMEOUT_MS = 30_000;

export interface AuthorizerSpec {
  id: string;
  name: string;
  functionName: string;
  /** `$request.header.Authorization` ... */
  identitySource: string[];
  resultTtlSeconds: number;
  simpleResponses: boolean;
  payloadFormatVersion: string;
  /** false when the function's resource policy does not let API Gateway invoke it (the gateway answers 500). */
  invokeAllowed?: boolean;
}

export interface RouteSpec {
  routeKey: string;
  method: string;
  path: string;
  functionName: string;
  integrationTimeoutMs: number;
  authorizer?: AuthorizerSpec;
  /** false when the function's resource policy does not let API Gateway invoke it (the gateway answers 500). */
  invokeAllowed?: boolean;
}

export interface CorsConfiguration {
  AllowOrigins?: string[];
  AllowMethods?: string[];
  AllowHeaders?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
  AllowCredentials?: boolean;
}

export interface FrontDoorOptions {
  port: number;
  host: string;
  apiId: string;
  region: string;
  accountId: string;
  routes: RouteSpec[];
  cors?: CorsConfiguration;
  /** The stage's access log format (`$context.*` variables), if it logs. */
  accessLogFormat?: string;
  invoke(functionName: string, event: unknown): Promise<InvokeResult>;
  onAccessLog?(line: string): void;
  onIntegrationFailure?(failure: { routeKey: string; functionName: string; result: InvokeResult }): void;
  now?: () => number;
}

interface Exchange {
  requestId: string;
  started: number;
  request: IncomingMessage;
  path: string;
  routeKey: string;
  status?: number;
  responseLength?: number;
  integrationLatency?: number;
  integrationStatus?: number;
  integrationErrorMessage?: string;
  authorizerError?: string;
  errorMessage?: string;
}

/** API Gateway's own answers, with the bodies it sends. */
const GATEWAY_MESSAGES: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** `$request.header.X` / `$request.querystring.X` values of the identity source, or undefined when one is missing. */
const identityValues = (sources: readonly string[], event: APIGatewayProxyEventV2): string[] | undefined => {
  const values: string[] = [];
  for (const source of sources) {
    const header = /^\$request\.header\.(.+)$/i.exec(source);
    const query = /^\$request\.querystring\.(.+)$/i.exec(source);
    const value = header
      ? event.headers[header[1]!.toLowerCase()]
      : query
        ? event.queryStringParameters?.[query[1]!]
        : undefined;
    if (value === undefined || value === '') return undefined;
    values.push(value);
  }
  return values;
};

const originAllowed = (cors: CorsConfiguration, origin: string | undefined): string | undefined => {
  if (!origin) return undefined;
  const origins = cors.AllowOrigins ?? [];
  if (origins.includes('*')) return cors.AllowCredentials ? origin : '*';
  return origins.includes(origin) ? origin : undefined;
};

export const startFrontDoor = async (options: FrontDoorOptions) => {
  const now = options.now ?? Date.now;
  const match = createRouteMatcher(
    options.routes.map((route) => ({ method: route.method, path: route.path, functionName: route.routeKey })),
  );
  const routesByKey = new Map(options.routes.map((route) => [route.routeKey, route]));
  const cache = new Map<string, { expires: number; isAuthorized: boolean; context: unknown }>();

  const accessLog = (exchange: Exchange) => {
    if (!options.accessLogFormat || !options.onAccessLog) return;
    const values: Record<string, string | number | undefined> = {
      requestId: exchange.requestId,
      requestTime: gatewayTime(new Date(exchange.started)),
      httpMethod: exchange.request.method,
      path: exchange.path,
      routeKey: exchange.routeKey,
      status: exchange.status,
      protocol: `HTTP/${exchange.request.httpVersion}`,
      responseLength: exchange.responseLength,
      responseLatency: now() - exchange.started,
      integrationLatency: exchange.integrationLatency,
      integrationStatus: exchange.integrationStatus,
      integrationErrorMessage: exchange.integrationErrorMessage,
      'authorizer.error': exchange.authorizerError,
      'error.message': exchange.errorMessage,
      'identity.sourceIp': exchange.request.socket.remoteAddress,
      'identity.userAgent': exchange.request.headers['user-agent'],
    };
    const line = options.accessLogFormat.replace(/\$context\.([A-Za-z0-9_.]+)/g, (_m, name: string) => {
      const value = values[name];
      return value === undefined || value === '' ? '-' : JSON.stringify(String(value)).slice(1, -1);
    });
    options.onAccessLog(line);
  };

  const corsHeaders = (request: IncomingMessage): Record<string, string> => {
    const allowed = options.cors && originAllowed(options.cors, request.headers.origin);
    if (!options.cors || !allowed) return {};
    return {
      'access-control-allow-origin': allowed,
      ...(options.cors.AllowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
      ...(options.cors.ExposeHeaders?.length
        ? { 'access-control-expose-headers': options.cors.ExposeHeaders.join(',') }
        : {}),
    };
  };

  const gatewayAnswer = (
    response: ServerResponse,
    exchange: Exchange,
    status: number,
    errorMessage?: string,
  ) => {
    const body = JSON.stringify({ message: GATEWAY_MESSAGES[status] ?? 'Error' });
    exchange.status = status;
    exchange.responseLength = Buffer.byteLength(body);
    exchange.errorMessage = errorMessage ?? GATEWAY_MESSAGES[status];
    response.writeHead(status, {
      ...corsHeaders(exchange.request),
      'content-type': 'application/json',
      'content-length': exchange.responseLength,
      'apigw-requestid': exchange.requestId,
    });
    response.end(body);
  };

  const readBody = (request: IncomingMessage): Promise<Buffer | 'tooLarge'> =>
    new Promise((resolve, reject) => {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > HTTP_API_MAX_REQUEST_BYTES) {
        request.resume();
        resolve('tooLarge');
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= HTTP_API_MAX_REQUEST_BYTES) chunks.push(chunk);
      });
      request.on('end', () =>
        resolve(size > HTTP_API_MAX_REQUEST_BYTES ? 'tooLarge' : Buffer.concat(chunks)),
      );
      request.on('error', reject);
    });

  /** The authorizer's decision: allow with its context, or the status API Gateway answers instead. */
  const authorize = async (
    route: RouteSpec,
    authorizer: AuthorizerSpec,
    event: APIGatewayProxyEventV2,
    exchange: Exchange,
  ): Promise<{ context: unknown } | { status: number }> => {
    const identity = identityValues(authorizer.identitySource, event);
    if (!identity) return { status: 401 };
    const cacheKey = `${authorizer.id}\n${identity.join('\n')}`;
    const cached = cache.get(cacheKey);
    let decision = cached && cached.expires > now() ? cached : undefined;
    if (!decision) {
      if (authorizer.invokeAllowed === false) {
        exchange.authorizerError = 'Invalid permissions on Lambda function';
        return { status: 500 };
      }
      const authorizerEvent = { ...authorizerEventFrom(event), identitySource: identity };
      const result = await options.invoke(authorizer.functionName, authorizerEvent);
      if (!result.ok) {
        exchange.authorizerError = `${result.errorType}: ${result.errorMessage}`;
        options.onIntegrationFailure?.({
          routeKey: route.routeKey,
          functionName: authorizer.functionName,
          result,
        });
        return { status: 500 };
      }
      const answer = JSON.parse(result.payload) as { isAuthorized?: unknown; context?: unknown } | null;
      if (!authorizer.simpleResponses || typeof answer?.isAuthorized !== 'boolean') {
        exchange.authorizerError = 'The response from the Lambda Authorizer is not in the expected format';
        return { status: 500 };
      }
      decision = {
        expires: now() + authorizer.resultTtlSeconds * 1000,
        isAuthorized: answer.isAuthorized,
        context: answer.context,
      };
      if (authorizer.resultTtlSeconds > 0) cache.set(cacheKey, decision);
    }
    return decision.isAuthorized ? { context: decision.context ?? {} } : { status: 403 };
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const exchange: Exchange = {
      requestId: randomUUID(),
      started: now(),
      request,
      path: url.pathname,
      routeKey: '-',
    };
    response.on('finish', () => accessLog(exchange));
    const body = await readBody(request);
    if (body === 'tooLarge') return gatewayAnswer(response, exchange, 413);
    const method = request.method ?? 'GET';
    if (
      options.cors &&
      method === 'OPTIONS' &&
      request.headers.origin &&
      request.headers['access-control-request-method']
    ) {
      // The API answers preflight itself when it has a CORS configuration.
      const allowed = corsHeaders(request);
      const headers: Record<string, string> = { ...allowed };
      if (allowed['access-control-allow-origin']) {
        headers['access-control-allow-methods'] = (options.cors.AllowMethods ?? []).join(',');
        if (options.cors.AllowHeaders?.length)
          headers['access-control-allow-headers'] = options.cors.AllowHeaders.join(',');
        if (options.cors.MaxAge !== undefined)
          headers['access-control-max-age'] = String(options.cors.MaxAge);
      }
      exchange.status = 204;
      exchange.responseLength = 0;
      response.writeHead(204, { ...headers, 'apigw-requestid': exchange.requestId });
      response.end();
      return;
    }
    const found = match(method, url.pathname);
    const route = found.kind === 'found' ? routesByKey.get(found.route.functionName) : undefined;
    if (found.kind !== 'found' || !route) return gatewayAnswer(response, exchange, 404);
    exchange.routeKey = route.routeKey;
    const event = eventFromRequest({
      request,
      body,
      requestId: exchange.requestId,
      routeKey: route.routeKey,
      pathParameters: found.pathParameters,
      url,
      now: new Date(exchange.started),
    });
    // API Gateway tells the integration how the client connected; this door serves plain HTTP.
    event.headers['x-forwarded-proto'] = 'http';
    event.headers['x-forwarded-port'] = String(request.socket.localPort ?? '');
    Object.assign(event.requestContext, {
      accountId: options.accountId,
      apiId: options.apiId,
      domainPrefix: options.apiId,
    });
    if (route.authorizer) {
      const decision = await authorize(route, route.authorizer, event, exchange);
      if ('status' in decision) return gatewayAnswer(response, exchange, decision.status);
      Object.assign(event.requestContext, { authorizer: { lambda: decision.context } });
    }
    if (route.invokeAllowed === false) {
      exchange.integrationErrorMessage = 'Invalid permissions on Lambda function';
      return gatewayAnswer(response, exchange, 500);
    }
    const integrationStarted = now();
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      options.invoke(route.functionName, event),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), route.integrationTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    exchange.integrationLatency = now() - integrationStarted;
    if (result === 'timeout') {
      exchange.integrationErrorMessage = 'Integration timeout';
      return gatewayAnswer(response, exchange, 503);
    }
    if (!result.ok) {
      exchange.integrationStatus = 200;
      exchange.integrationErrorMessage = `${result.errorType}: ${result.errorMessage}`;
      options.onIntegrationFailure?.({ routeKey: route.routeKey, functionName: route.functionName, result });
      return gatewayAnswer(response, exchange, 500);
    }
    exchange.integrationStatus = 200;
    let parsed: unknown;
    try {
      parsed = JSON.parse(result.payload);
    } catch {
      return gatewayAnswer(response, exchange, 500, 'Malformed Lambda proxy response');
    }
    for (const [name, value] of Object.entries(corsHeaders(request))) response.setHeader(name, value);
    response.setHeader('apigw-requestid', exchange.requestId);
    writeResult(response, typeof parsed === 'string' ? { statusCode: 200, body: parsed } : parsed);
    exchange.status = response.statusCode;
    exchange.responseLength = Number(response.getHeader('content-length') ?? 0);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: 'Internal Server Error' }));
      }
      process.stderr.write(`stack runner: front door error: ${String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    origin: `http://${options.host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
