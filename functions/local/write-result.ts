import type { ServerResponse } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

const encoder = new TextEncoder();

/**
 * A text body as UTF-8 bytes, in one pass for the usual ASCII body: `encodeInto` a buffer of one byte per
 * character; when it took every character and wrote as many bytes, every character was ASCII and these
 * are the UTF-8 bytes. Anything else is encoded again as UTF-8. (Measuring the UTF-8 length first, then
 * copying, costs a second pass over a ~190 KB hub page; a Buffer beats `response.end(string)`, which
 * would first join the string to the header block, then encode it.)
 */
export const textBytes = (text: string): Buffer => {
  const bytes = Buffer.allocUnsafe(text.length);
  const { read, written } = encoder.encodeInto(text, bytes);
  return read === text.length && written === text.length ? bytes : Buffer.from(text, 'utf8');
};

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
    // A Vary set before (CORS: Origin) is kept beside the handler's.
    const before = name.toLowerCase() === 'vary' ? response.getHeader('vary') : undefined;
    response.setHeader(name, before === undefined ? String(value) : `${String(before)}, ${String(value)}`);
  }
  if (structured.cookies?.length) response.setHeader('Set-Cookie', structured.cookies);
  response.setHeader('Content-Length', body.length);
  response.writeHead(structured.statusCode ?? 200);
  response.end(body);
};

/** A JSON body with its status: how local mode's own routes (presigned blob URLs, operations) answer. */
export const writeJson = (response: ServerResponse, statusCode: number, body: unknown): void =>
  writeResult(response, {
    statusCode,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
