import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';

/**
 * The REQUEST authorizer event (payload 2.0) API Gateway's HTTP API sends before invoking a protected
 * route's function, built from that function's event: same headers, route key and request context, the
 * identity source (`$request.header.Authorization`) as a one-element list.
 */
export const authorizerEventFrom = (event: APIGatewayProxyEventV2): APIGatewayRequestAuthorizerEventV2 => {
  const { requestContext } = event;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:${requestContext.accountId}:${requestContext.apiId}/${requestContext.stage}/${requestContext.http.method}${event.rawPath}`,
    identitySource: event.headers.authorization === undefined ? [] : [event.headers.authorization],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers,
    ...(event.queryStringParameters ? { queryStringParameters: event.queryStringParameters } : {}),
    requestContext,
    ...(event.pathParameters ? { pathParameters: event.pathParameters } : {}),
  };
};
