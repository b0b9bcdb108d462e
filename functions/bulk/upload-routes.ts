import { parseBulkUploadForm, startFormUpload, startUrlUpload, tooLargeUpload } from '../../shared/bulk/api';
import { readFunctionEnv } from '../../shared/config/env';
import { multipartBodyOf } from '../middleware';
import type { BulkRequest, BulkRouteTable } from './context';

/**
 * Largest file a multipart `POST /bulk/{objectName}` takes (ELEMENT_BULK_MAX_MULTIPART_BYTES). In AWS
 * 4 MiB: a synchronous Lambda request carries at most 6 MB, base64 (+33 %) included, so larger files
 * go through `POST /bulk/{objectName}/uploads` (presigned S3 PUT). Local mode has no gateway: its
 * server's own body limit applies.
 */
const maxMultipartBytes = (request: BulkRequest): number =>
  readFunctionEnv(request.env).ELEMENT_BULK_MAX_MULTIPART_BYTES ??
  (request.deps.mode === 'aws' ? 4 * 1024 * 1024 : 1024 * 1024 * 1024);

export const uploadRoutes: BulkRouteTable = {
  /** Multipart `file` (CSV, JSON array, JSON lines) + `metaData`. */
  'POST /bulk/{id}': async (request) => {
    const maxBytes = maxMultipartBytes(request);
    const presigned = request.deps.mode === 'aws';
    const { body, contentType } = multipartBodyOf(request.event, {
      maxBytes,
      unsupported:
        'Upload the file as multipart/form-data: a "file" part and an optional "metaData" JSON field',
      tooLarge: () => tooLargeUpload(maxBytes, presigned),
    });
    const form = await parseBulkUploadForm(body, contentType, maxBytes, presigned);
    return startFormUpload(request, request.params.id ?? '', form);
  },
  /** Files beyond the API's payload limit; local mode has no presigned URLs (501: use the multipart route). */
  'POST /bulk/{id}/uploads': (request) =>
    startUrlUpload(request, request.params.id ?? '', request.event.jsonBody),
};
