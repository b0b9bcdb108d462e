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
