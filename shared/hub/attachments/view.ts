import type { SnRecord } from '../../servicenow';
import { toHubRecord } from '../records/shape';

/** An attachment as the hub answers it: ServiceNow's metadata (all strings, C.1) plus `id` (= sys_id). */
export type AttachmentView = { id: string } & Record<string, unknown>;

/** Empty fields are dropped while the instance filters nulls (`filter.response.nulls`), like records. */
export const attachmentView = (record: SnRecord, filterNulls: boolean): AttachmentView =>
  toHubRecord({ ...record }, filterNulls) as AttachmentView;

/**
 * `Content-Disposition: attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 /
 * RFC 5987), so a file name can never break out of the header.
 */
export const contentDisposition = (fileName: string): string => {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_') || 'file';
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
};

/**
 * Headers of a downloaded attachment. Its content type is whatever the uploader declared: never let a
 * browser sniff or render it (a text/html attachment must not run on the API's origin).
 */
export const attachmentFileHeaders = (file: { contentType: string; fileName: string }) => ({
  'Content-Type': file.contentType,
  'Content-Disposition': contentDisposition(file.fileName),
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'private, no-store',
});
