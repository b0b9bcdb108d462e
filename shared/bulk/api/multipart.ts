import { InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../errors';
import { parseMultipartForm } from '../../hub/attachments/multipart';
import { jsonShape, type UploadFormat, uploadFormat } from '../upload';

export interface BulkUploadForm {
  file: { fileName: string; contentType: string; bytes: Buffer };
  /** Text fields (`metaData`). */
  fields: Record<string, string>;
}

export const tooLargeUpload = (maxBytes: number, presigned: boolean) =>
  new PayloadTooLargeError(
    `Bulk upload file exceeds the ${maxBytes} byte limit of a multipart upload` +
      (presigned ? '; upload larger files with POST /bulk/{objectName}/uploads (presigned URL)' : ''),
  );

/**
 * The `file` part and the text fields of a `multipart/form-data` bulk upload (the same parser as the
 * hub's attachment upload). 400 for a malformed body or no `file` part, 413 past `maxBytes`.
 */
export const parseBulkUploadForm = (
  body: Buffer,
  contentType: string,
  maxBytes: number,
  presigned: boolean,
): Promise<BulkUploadForm> =>
  parseMultipartForm(body, contentType, maxBytes, () => tooLargeUpload(maxBytes, presigned));

const EXTENSIONS: Record<string, UploadFormat> = {
  csv: 'csv',
  json: 'json',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
};
const GENERIC_TYPES = new Set(['application/octet-stream', 'text/plain', '']);

/**
 * The file's format: metaData `format` first, else the part's Content-Type, else the file name's
 * extension. Anything else is a 415 naming the supported formats.
 */
export function detectUploadFormat(
  declared: UploadFormat | undefined,
  file: { fileName: string; contentType: string },
): UploadFormat {
  if (declared !== undefined) return declared;
  const mediaType = file.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!GENERIC_TYPES.has(mediaType)) return uploadFormat(mediaType);
  const extension = /\.([A-Za-z0-9]+)$/.exec(file.fileName)?.[1]?.toLowerCase() ?? '';
  const format = Object.hasOwn(EXTENSIONS, extension) ? EXTENSIONS[extension] : undefined;
  if (format === undefined) return uploadFormat(mediaType || undefined);
  return format;
}

/**
 * Cheap checks before anything is stored, so a file of the wrong kind is refused now (415/400) rather
 * than becoming a job that fails: text only (no NUL byte, valid UTF-8 in the first 64 KB), JSON starts
 * with `[` (an array) or `{` (one record per line), a CSV has a header line. Answers the format the
 * content has: JSON declared either way is what its first character says (jsonShape).
 */
export function assertLooksLike(bytes: Buffer, declared: UploadFormat): UploadFormat {
  if (bytes.length === 0) throw new InvalidInputError('The uploaded file is empty');
  const head = bytes.subarray(0, 64 * 1024);
  if (head.includes(0))
    throw new UnsupportedMediaTypeError(`The uploaded file is binary, not ${declared.toUpperCase()} text`);
  let text: string;
  try {
    // A multi-byte character cut at the 64 KB boundary is fine: stream mode keeps the tail pending.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    throw new UnsupportedMediaTypeError('The uploaded file is not UTF-8 text');
  }
  const start = text.replace(/^\ufeff/, '').trimStart();
  if (start === '') throw new InvalidInputError('The uploaded file is empty');
  const format = jsonShape(declared, start);
  if (format !== 'csv' && !start.startsWith('[') && !start.startsWith('{')) {
    throw new UnsupportedMediaTypeError(
      'A JSON upload must be an array of objects ([{...}, ...]) or one JSON object per line',
    );
  }
  if (format === 'csv' && (start.startsWith('{') || start.startsWith('['))) {
    throw new UnsupportedMediaTypeError(
      'The file looks like JSON, not CSV; set metaData.format to json or jsonl',
    );
  }
  return format;
}
