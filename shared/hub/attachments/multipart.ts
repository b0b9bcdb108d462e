import busboy from 'busboy';
import { badRequest, ElementError } from '../../errors';
import { MAX_ATTACHMENT_BYTES, tooLargeMessage } from './limits';

export interface UploadedFile {
  fileName: string;
  /** The part's own Content-Type (kept: a wrong one stores an unusable file, research C.1). */
  contentType: string;
  bytes: Buffer;
}

/** The form field CE's tests send the file in (research cloud-elements-servicenow.md 3.1). */
export const FILE_FIELD = 'file';

export interface MultipartForm {
  file: UploadedFile;
  /** The text fields (e.g. bulk's `metaData`), each at most 64 KiB. */
  fields: Record<string, string>;
}

/**
 * The `file` part and the text fields of a `multipart/form-data` body (hub attachments, bulk uploads).
 * 400 when the body is not valid multipart or has no `file` part, `tooLarge()` (413) when the file
 * exceeds `maxBytes`. A part without a Content-Type is `text/plain` (RFC 7578 4.4); non-ASCII file names
 * (`filename*`, or UTF-8 in `filename`) are kept.
 */
export const parseMultipartForm = (
  body: Buffer,
  contentType: string,
  maxBytes: number,
  tooLarge: () => ElementError,
): Promise<MultipartForm> =>
  new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        defParamCharset: 'utf8',
        // busboy stops at fileSize bytes and flags `limit`: one byte more tells "too large" from "exactly max".
        limits: { fileSize: maxBytes + 1, files: 5, fields: 50, parts: 60, fieldSize: 64 * 1024 },
      });
    } catch {
      reject(badRequest('Body must be multipart/form-data with a boundary'));
      return;
    }
    let found: UploadedFile | undefined;
    const fields: Record<string, string> = {};
    let oversized = false;
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== FILE_FIELD || found !== undefined) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) oversized = true;
        else chunks.push(chunk);
      });
      stream.on('limit', () => {
        oversized = true;
      });
      stream.on('end', () => {
        if (oversized) return;
        found = {
          fileName: info.filename || 'file',
          contentType: info.mimeType || 'application/octet-stream',
          bytes: Buffer.concat(chunks),
        };
      });
    });
    parser.on('error', () => reject(badRequest('Malformed multipart/form-data body')));
    parser.on('close', () => {
      if (oversized) reject(tooLarge());
      else if (found === undefined)
        reject(badRequest(`multipart/form-data body has no "${FILE_FIELD}" file part`));
      else resolve({ file: found, fields });
    });
    parser.end(body);
  });

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
      () => new ElementError(413, tooLargeMessage('upload')),
    )
  ).file;
