import { GoneError } from '../../errors';
import { FORMAT_CONTENT_TYPE, FORMAT_EXTENSION } from '../download';
import { downloadFile } from './download-service';
import type { BulkJobContext } from './job-service';

/** Seconds a presigned download URL stays valid: long enough to start, short enough not to leak for long. */
export const DOWNLOAD_URL_TTL_SECONDS = 300;

export interface DownloadAnswer {
  status: 200 | 202 | 302;
  body?: unknown;
  headers: Record<string, string>;
}

/**
 * The finished file of a download in the format `accept` asks for. A 302 to a short-lived presigned URL
 * where the blob store can make one (in AWS: Lambda responses are buffered and capped at 6 MB, so files
 * never travel through the function); otherwise (tests) the body itself. A format other than the job's
 * own is converted once by the worker: 202 + Retry-After until it is ready.
 */
export const serveDownload = async (
  jobs: BulkJobContext,
  id: string,
  objectName: string,
  accept: string | undefined,
): Promise<DownloadAnswer> => {
  const found = await downloadFile(jobs, id, objectName, accept);
  const { job, format } = found;
  if (found.status === 'converting') {
    const seconds = found.retryAfterSeconds;
    const message = `The file is being converted to ${FORMAT_CONTENT_TYPE[format]}; ask again in ${seconds} s`;
    return {
      status: 202,
      body: { id: job.id, status: 'CONVERTING', format: FORMAT_CONTENT_TYPE[format], message },
      headers: { 'Retry-After': String(seconds), 'Cache-Control': 'no-store' },
    };
  }
  const blobs = jobs.blobStore();
  const url = await blobs.presignGetUrl(found.key, DOWNLOAD_URL_TTL_SECONDS);
  if (url !== undefined)
    return { status: 302, headers: { Location: url, 'Cache-Control': 'private, no-store', Vary: 'Accept' } };
  const object = await blobs.get(found.key);
  if (object === undefined) throw new GoneError('The bulk file has expired');
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return {
    status: 200,
    body: Buffer.concat(chunks).toString('utf8'),
    headers: {
      'Content-Type': FORMAT_CONTENT_TYPE[format],
      'Content-Disposition': `attachment; filename="${job.objectName}.${FORMAT_EXTENSION[format]}"`,
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
      Vary: 'Accept',
    },
  };
};
