import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { UnsupportedMediaTypeError } from '../../shared/errors';
import { parseUntrustedJson } from '../../shared/input';
import type { ApiEvent } from './types';

export interface JsonBodyParserOptions {
  /**
   * Media types (besides JSON) the route takes, e.g. `text/csv` for a bulk upload. Their bodies are
   * left in `event.body` untouched for the handler.
   */
  acceptedContentTypes?: readonly string[];
  /** Largest JSON body; default MAX_JSON_BODY_BYTES (shared/input/limits.ts). */
  maxBodyBytes?: number;
}

/** `application/json` and structured-syntax suffixes such as `application/merge-patch+json`. */
const isJsonMediaType = (mediaType: string) =>
  mediaType === 'application/json' || mediaType.endsWith('+json');

export const mediaTypeOf = (contentType: string | undefined): string | undefined =>
  contentType?.split(';')[0]?.trim().toLowerCase() || undefined;

/**
 * Parses JSON bodies into `event.jsonBody`. A body sent without a Content-Type is read as JSON
 * (curl and many clients omit it for small payloads); a body of any other type the route did not
 * declare is refused with 415. Size and depth are bounded (shared/input/limits.ts)
 * before anything walks the parsed value.
 */
export const jsonBodyParserMiddleware = (
  options: JsonBodyParserOptions = {},
): MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2> => {
  const accepted = new Set((options.acceptedContentTypes ?? []).map((type) => type.toLowerCase()));
  return {
    name: 'jsonBodyParser',
    before: (request) => {
      const { event } = request;
      if (event.body === undefined || event.body === '') return;
      const mediaType = mediaTypeOf(event.headers?.['content-type']);
      if (mediaType !== undefined && !isJsonMediaType(mediaType)) {
        if (accepted.has(mediaType)) return;
        throw new UnsupportedMediaTypeError(
          `Unsupported Media Type - the server cannot handle Content-Type ${mediaType.slice(0, 100)}; send application/json`,
        );
      }
      const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      event.jsonBody = parseUntrustedJson(
        text,
        'request body',
        options.maxBodyBytes === undefined ? {} : { maxBytes: options.maxBodyBytes },
      );
    },
  };
};
