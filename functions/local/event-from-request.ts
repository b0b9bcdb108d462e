import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mediaTypeOf } from '../middleware/json-body-parser';

/** Content types API Gateway hands over as text; everything else arrives base64-encoded. */
const isTextMediaType = (mediaType: string | undefined) =>
  mediaType === undefined ||
  mediaType.startsWith('text/') ||
  mediaType === 'application/json' ||
  mediaType.endsWith('+json') ||
  mediaType === 'application/xml' ||
  mediaType.endsWith('+xml') ||
  mediaType === 'application/x-www-form-urlencoded' ||
  mediaType === 'application/javascript';

export interface EventFromRequestInput {
  request: IncomingMessage;
  body: Buffer;
  requestId: string;
  /** `GET /elements/api-v2/instances/{id}`, or `$default` when no route matched. */
  routeKey: string;
  pathParameters: Record<string, string>;
  now?: Date;
  /** `request.url` already parsed (against any origin) by the caller, so it is not parsed twice. */
  url?: URL;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number) => String(value).padStart(2, '0');
/** API Gateway's `requestContext.time` format: `12/Mar/2020:19:03:58 +0000`. */
export const gatewayTime = (date: Date) =>
  `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
  `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;

/**
 * Builds the payload format 2.0 event API Gateway's HTTP API would send for this request: header names
 * lower-cased and repeated values comma-joined, cookies moved to `cookies`, repeated query parameters
 * comma-joined, binary bodies base64-encoded.
 */
export const eventFromRequest = (input: EventFromRequestInput): APIGatewayProxyEventV2 => {
  const { request, body } = input;
  const now = input.now ?? new Date();
  const url = input.url ?? new URL(request.url ?? '/', 'http://localhost');

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index]!.toLowerCase();
    const value = request.rawHeaders[index + 1]!;
    if (name === 'cookie') {
      cookies = [...(cookies ?? []), ...value.split(';').map((cookie) => cookie.trim())].filter(Boolean);
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }

  const queryStringParameters: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    queryStringParameters[key] =
      queryStringParameters[key] === undefined ? value : `${queryStringParameters[key]},${value}`;
  }

  const isText = isTextMediaType(mediaTypeOf(headers['content-type']));
  const hasBody = body.length > 0;
  const method = request.method ?? 'GET';

  return {
    version: '2.0',
    routeKey: input.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(url.search.length > 1 ? { queryStringParameters } : {}),
    ...(Object.keys(input.pathParameters).length > 0 ? { pathParameters: input.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0]!,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      routeKey: input.routeKey,
      stage: '$default',
      time: gatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !isText,
  };
};
