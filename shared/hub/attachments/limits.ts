import { PayloadTooLargeError } from '../../errors';

/**
 * Largest attachment the hub moves through API Gateway + Lambda, in either direction.
 *
 * Why 4 MiB: a synchronous Lambda invocation carries at most 6 MB of request and 6 MB of response
 * (API Gateway's HTTP API itself allows 10 MB), and binary bodies travel base64-encoded in the
 * payload 2.0 event and result (+33 %): 4 MiB of file is 5.6 MB on the wire, leaving room for the
 * multipart framing and headers. Anything larger would be cut off by AWS with an unhelpful 413/502,
 * so the hub refuses it itself with 413 and a message saying so. Local mode enforces the same limit
 * so both modes behave alike.
 */
export const MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024;

export const tooLargeMessage = (what: 'upload' | 'download', size?: number): string =>
  `Attachment ${what} exceeds the hub's ${MAX_ATTACHMENT_BYTES} byte limit` +
  (size === undefined ? '' : ` (${size} bytes)`) +
  ' (API Gateway/Lambda payload limits); attach larger files in ServiceNow directly';

/** What an upload must be, for the entry point that reads its body before parsing it. */
export const ATTACHMENT_UPLOAD = {
  maxBytes: MAX_ATTACHMENT_BYTES,
  unsupported: 'Upload attachments as multipart/form-data with the file in a "file" part',
  tooLarge: () => new PayloadTooLargeError(tooLargeMessage('upload')),
};
