import { UnsupportedMediaTypeError } from '../../shared/errors';
import { parseMultipartFields } from '../../shared/hub/attachments/multipart';
import { mediaTypeOf } from './json-body-parser';
import type { ApiEvent } from './types';

/** Text fields of a urlencoded or multipart form (CE sends `metaData` as a form field); files are skipped. */
export const formFieldsOf = (event: ApiEvent): Promise<Record<string, string>> => {
  const contentType = event.headers?.['content-type'] ?? '';
  const mediaType = mediaTypeOf(contentType);
  const raw = event.body ?? '';
  if (raw === '') return Promise.resolve({});
  const body = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  if (mediaType === 'application/x-www-form-urlencoded') {
    return Promise.resolve(Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  }
  if (mediaType !== 'multipart/form-data') return Promise.resolve({});
  return parseMultipartFields(body, contentType);
};

/**
 * The raw body of a multipart/form-data request (415 otherwise), refused before decoding when it is far
 * above `maxBytes`: base64 inflates by 4/3 and multipart framing adds a little, hence the 64 KiB margin.
 */
export const multipartBodyOf = (
  event: ApiEvent,
  limits: { maxBytes: number; unsupported: string; tooLarge: () => Error },
): { body: Buffer; contentType: string } => {
  const contentType = event.headers?.['content-type'] ?? '';
  if (mediaTypeOf(contentType) !== 'multipart/form-data')
    throw new UnsupportedMediaTypeError(limits.unsupported);
  const raw = event.body ?? '';
  const encodedLength = event.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw);
  if (encodedLength > limits.maxBytes + 64 * 1024) throw limits.tooLarge();
  return { body: Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8'), contentType };
};
