import type { ServerResponse } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * A text body as UTF-8 bytes. When its UTF-8 length equals its length every character is ASCII, and
 * then Latin-1 gives the very same bytes by a plain copy, several times faster than UTF-8 encoding a
 * ~190 KB hub page. (A Buffer beats `response.end(string)`: Node would first join the string to the
 * header block, then encode it.)
 */
export const textBytes = (text: string): Buffer =>
  Buffer.from(text, Buffer.byteLength(text, 'utf8') === text.length ? 'latin1' : 'utf8');

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
      : structured.isBase64Encoded
        ? Buffer.from(structured.body, 'base64')
        : textBytes(structured.body);
  for (const [name, value] of Object.entries(structured.headers ?? {})) {
    response.setHeader(name, String(value));
  }
  if (structured.cookies?.length) response.setHeader('Set-Cookie', structured.cookies);
  response.setHeader('Content-Length', body.length);
  response.writeHead(structured.statusCode ?? 200);
  response.end(body);
};
