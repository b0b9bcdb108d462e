import type busboy from 'busboy';
import { type ElementError, InvalidInputError, PayloadTooLargeError } from '../../errors';
import { MAX_ATTACHMENT_BYTES, tooLargeMessage } from './limits';

export interface UploadedFile {
  fileName: string;
  /** The part's own Content-Type (kept: a wrong one stores an unusable file). */
  contentType: string;
  bytes: Buffer;
}

/** The form field CE's tests send the file in. */
export const FILE_FIELD = 'file';

export interface MultipartForm {
  file: UploadedFile;
  /** The text fields (e.g. bulk's `metaData`), each at most 64 KiB. */
  fields: Record<string, string>;
}

interface Parts {
  file?: UploadedFile;
  fields: Record<string, string>;
  oversized: boolean;
}

/**
 * The first `file` part (when `maxBytes` is given; otherwise files are skipped) and the text fields.
 * A malformed or truncated body is a 400. busboy reports it on the parser and again on the open file
 * stream ("Unexpected end of form"): every file stream gets an error listener, since an `error` event
 * nobody listens to is thrown out of the event loop and ends the process.
 */
const readParts = async (body: Buffer, contentType: string, maxBytes: number | undefined): Promise<Parts> => {
  // Loaded by the calls that carry a multipart body, not with the function's module.
  const { default: createParser } = await import('busboy');
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = () => {
      if (settled) return;
      settled = true;
      reject(
        new InvalidInputError('Malformed multipart/form-data body (truncated or not matching its boundary)'),
      );
    };
    let parser: busboy.Busboy;
    try {
      parser = createParser({
        headers: { 'content-type': contentType },
        defParamCharset: 'utf8',
        // busboy stops at fileSize bytes and flags `limit`: one byte more tells "too large" from "exactly max".
        limits: { fileSize: (maxBytes ?? 0) + 1, files: 5, fields: 50, parts: 60, fieldSize: 64 * 1024 },
      });
    } catch {
      reject(new InvalidInputError('Body must be multipart/form-data with a boundary'));
      return;
    }
    const parts: Parts = { fields: {}, oversized: false };
    parser.on('field', (name, value) => {
      parts.fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      stream.on('error', fail);
      if (maxBytes === undefined || name !== FILE_FIELD || parts.file !== undefined || parts.oversized) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) parts.oversized = true;
        else chunks.push(chunk);
      });
      stream.on('limit', () => {
        parts.oversized = true;
      });
      stream.on('end', () => {
        if (parts.oversized) return;
        parts.file = {
          fileName: info.filename || 'file',
          contentType: info.mimeType || 'application/octet-stream',
          bytes: Buffer.concat(chunks),
        };
      });
    });
    parser.on('error', fail);
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      resolve(parts);
    });
    try {
      parser.end(body);
    } catch {
      fail();
    }
  });
};

/**
 * The `file` part and the text fields of a `multipart/form-data` body (hub attachments, bulk uploads).
 * 400 when the body is not valid multipart or has no `file` part, `tooLarge()` (413) when the file
 * exceeds `maxBytes`. A part without a Content-Type is `text/plain` (RFC 7578 4.4); non-ASCII file names
 * (`filename*`, or UTF-8 in `filename`) are kept.
 */
export const parseMultipartForm = async (
  body: Buffer,
  contentType: string,
  maxBytes: number,
  tooLarge: () => ElementError,
): Promise<MultipartForm> => {
  const parts = await readParts(body, contentType, maxBytes);
  if (parts.oversized) throw tooLarge();
  if (parts.file === undefined)
    throw new InvalidInputError(`multipart/form-data body has no "${FILE_FIELD}" file part`);
  return { file: parts.file, fields: parts.fields };
};

/** Only the text fields of a `multipart/form-data` body (file parts are skipped unread). */
export const parseMultipartFields = async (
  body: Buffer,
  contentType: string,
): Promise<Record<string, string>> => (await readParts(body, contentType, undefined)).fields;

/** The `file` part of an attachment upload; 413 past MAX_ATTACHMENT_BYTES. */
export const parseMultipartFile = async (
  body: Buffer,
  contentType: string,
  maxBytes = MAX_ATTACHMENT_BYTES,
): Promise<UploadedFile> =>
  (
    await parseMultipartForm(
      body,
      contentType,
      maxBytes,
      () => new PayloadTooLargeError(tooLargeMessage('upload')),
    )
  ).file;
