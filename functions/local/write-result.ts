import type { ServerResponse } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * Writes a Lambda result the way API Gateway would: `cookies` become Set-Cookie headers and a
 * base64 body is decoded. A result without statusCode is API Gateway's "inferred" format: a 200 JSON body.
 */
export const writeResult = (response: ServerResponse, result: unknown): void => {
  const structured: APIGatewayProxyStructuredResultV2 =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(result) };

  const body =
    structured.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8');
  for (const [name, value] of Object.entries(structured.headers ?? {})) {
    response.setHeader(name, String(value));
  }
  if (structured.cookies?.length) response.setHeader('Set-Cookie', structured.cookies);
  response.setHeader('Content-Length', body.length);
  response.writeHead(structured.statusCode ?? 200);
  response.end(body);
};
