import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOCAL_BLOB_PATH, type LocalBlobUrls } from '../../shared/adapters/local/blob-urls';
import type { BlobStore } from '../../shared/ports/blob-store';
import type { RawRoute } from './local-server';
import { writeJson } from './write-result';

export interface BlobRouteOptions {
  blobStore: BlobStore;
  urls: LocalBlobUrls;
  /** Called after a presigned PUT stored its object (local mode's S3 event notification). */
  onUploaded?(key: string): Promise<void>;
}

/**
 * Serves local mode's presigned blob URLs like S3 serves its own: GET streams the object, PUT streams the
 * request body into it (the Content-Type must be the one signed) and then fires `onUploaded`. A missing,
 * tampered or expired signature is a 403, as S3 answers.
 */
export const createBlobRoute = (options: BlobRouteOptions): RawRoute => ({
  prefix: `${LOCAL_BLOB_PATH}/`,
  async handle(request: IncomingMessage, response: ServerResponse, url: URL) {
    const method = request.method === 'PUT' ? 'PUT' : request.method === 'GET' ? 'GET' : undefined;
    if (method === undefined) {
      request.resume();
      return writeJson(response, 405, { message: 'Presigned blob URLs take GET or PUT' });
    }
    const contentType = method === 'PUT' ? (request.headers['content-type'] ?? '') : undefined;
    const key = options.urls.verify(method, url.pathname, url.searchParams, contentType);
    if (key === undefined) {
      request.resume();
      return writeJson(response, 403, { message: 'The URL signature is invalid or has expired' });
    }
    if (method === 'GET') {
      const object = await options.blobStore.get(key);
      if (object === undefined) {
        return writeJson(response, 404, { message: 'The object does not exist (expired?)' });
      }
      response.writeHead(200, {
        'Content-Type': object.contentType ?? 'application/octet-stream',
        'Content-Length': object.contentLength,
        ...(object.etag === undefined ? {} : { ETag: object.etag }),
      });
      object.body.on('error', () => response.destroy());
      object.body.pipe(response);
      return;
    }
    await options.blobStore.put(key, request, contentType ? { contentType } : {});
    response.writeHead(200, { 'Content-Length': 0 });
    response.end();
    await options.onUploaded?.(key);
  },
});
