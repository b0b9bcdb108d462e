import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export interface HttpEventInput {
  method?: string;
  /** Path below the base path, e.g. `/ping`. */
  path?: string;
  routePath?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: string | Buffer;
  /** Defaults to `application/json` when a string body is given. */
  contentType?: string | null;
  requestId?: string;
  pathParameters?: Record<string, string>;
  /** The simple-response context of the Lambda authorizer (`requestContext.authorizer.lambda`). */
  authorizer?: Record<string, string>;
}

const BASE_PATH = '/elements/api-v2';

/** The headers API Gateway adds to every request (a curl client behind the default endpoint). */
export const GATEWAY_HEADERS = {
  host: 'abc123.execute-api.eu-west-1.amazonaws.com',
  'user-agent': 'curl/8.5.0',
  'x-amzn-trace-id': 'Root=1-67891233-abcdef012345678912345678',
  'x-forwarded-for': '203.0.113.10',
  'x-forwarded-port': '443',
  'x-forwarded-proto': 'https',
} as const;

/**
 * A payload format 2.0 event as API Gateway's HTTP API sends it (shape from a captured event:
 * lower-cased headers, `$default` stage, base64 for binary bodies).
 */
export const httpEvent = (input: HttpEventInput = {}): APIGatewayProxyEventV2 => {
  const method = input.method ?? 'GET';
  const path = `${BASE_PATH}${input.path ?? '/ping'}`;
  const routeKey = `${method} ${BASE_PATH}${input.routePath ?? input.path ?? '/ping'}`;
  const rawQueryString = new URLSearchParams(input.query ?? {}).toString();
  const headers: Record<string, string> = {
    accept: '*/*',
    'content-length': '0',
    ...GATEWAY_HEADERS,
  };
  let body: string | undefined;
  let isBase64Encoded = false;
  if (input.body !== undefined) {
    const contentType = input.contentType === undefined ? 'application/json' : input.contentType;
    if (contentType !== null) headers['content-type'] = contentType;
    if (Buffer.isBuffer(input.body)) {
      body = input.body.toString('base64');
      isBase64Encoded = true;
      headers['content-length'] = String(input.body.length);
    } else {
      body = input.body;
      headers['content-length'] = String(Buffer.byteLength(input.body));
    }
  }
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;

  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString,
    ...(input.cookies ? { cookies: input.cookies } : {}),
    headers,
    ...(input.query ? { queryStringParameters: input.query } : {}),
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'curl/8.5.0' },
      requestId: input.requestId ?? 'JKJaXmPLvHcESHA=',
      routeKey,
      stage: '$default',
      time: '24/Nov/2026:10:00:00 +0000',
      timeEpoch: 1_795_514_400_000,
      ...(input.authorizer ? { authorizer: { lambda: input.authorizer } } : {}),
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded,
  };
};

export const lambdaContext = (overrides: Partial<Context> = {}): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'snow-element-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:snow-element-test',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  logGroupName: '/aws/lambda/snow-element-test',
  logStreamName: '2026/11/24/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
  ...overrides,
});

/** Parses a structured result's JSON body. */
export const jsonBodyOf = (result: { body?: string }): unknown =>
  result.body === undefined ? undefined : JSON.parse(result.body);
