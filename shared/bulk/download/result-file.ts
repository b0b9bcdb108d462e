import { ConflictError, InternalError, InvalidInputError } from '../../errors';
import { type BlobStore, InvalidPartError, NoSuchUploadError } from '../../ports';
import { type DownloadFormat, FORMAT_EXTENSION } from './format';
import type { DownloadCursor, DownloadJob } from './types';

const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;

const jobPrefix = (jobId: string): string => {
  if (!JOB_ID.test(jobId)) throw new InvalidInputError('Invalid bulk job id');
  return `jobs/${jobId}`;
};

export const resultKey = (jobId: string, format: DownloadFormat): string =>
  `${jobPrefix(jobId)}/result.${FORMAT_EXTENSION[format]}`;

/** The carry object written by the chunk whose committed count is `chunk` (a retry rewrites the same one). */
export const carryKey = (jobId: string, chunk: number, stream?: number): string =>
  `${jobPrefix(jobId)}/carry/${stream === undefined ? '' : `s${String(stream).padStart(3, '0')}-`}${String(chunk).padStart(6, '0')}`;

export const carryPrefix = (jobId: string): string => `${jobPrefix(jobId)}/carry/`;

/**
 * Completes the result file of a fully read download from the parts its cursor committed (idempotent: an
 * upload completed by an earlier attempt whose commit was lost is recognised by the object's presence).
 * ListParts gives each part's latest ETag, which is the one S3 accepts (see BlobStore.listParts). A
 * partitioned job passes its streams: each committed `nextPart` parts after its `partBase`.
 */
export async function completeDownload(
  blobStore: BlobStore,
  job: Pick<DownloadJob, 'id' | 'format'>,
  cursor: Pick<DownloadCursor, 'nextPart' | 'uploadId'>,
  streams: readonly { partBase: number; nextPart: number }[] = [{ partBase: 0, nextPart: cursor.nextPart }],
): Promise<{ key: string }> {
  const key = resultKey(job.id, job.format);
  const { uploadId } = cursor;
  if (uploadId === undefined) return { key }; // written whole by its only chunk
  const wanted = (partNumber: number) =>
    streams.some((s) => partNumber > s.partBase && partNumber <= s.partBase + s.nextPart);
  const expected = streams.reduce((sum, s) => sum + s.nextPart, 0);
  try {
    const parts = (await blobStore.listParts(key, uploadId)).filter((p) => wanted(p.partNumber));
    if (parts.length !== expected) {
      throw new InternalError(`${expected - parts.length} part(s) of bulk job ${job.id} are missing`);
    }
    await blobStore.completeMultipartUpload(key, uploadId, parts);
  } catch (error) {
    if (error instanceof InvalidPartError) {
      // Only a partitioned job can get here: a stream came out under S3's least part size.
      throw new ConflictError(
        'A partition of this download came out smaller than S3 accepts (rows deleted while it ran?); run it again with fewer partitions',
      );
    }
    if (!(error instanceof NoSuchUploadError) || (await blobStore.head(key)) === undefined) throw error;
  }
  return { key };
}

/** Drops everything a download wrote: its multipart upload, carry objects and (if any) result file. */
export async function discardDownload(
  blobStore: BlobStore,
  job: Pick<DownloadJob, 'id' | 'format'>,
  cursor: Pick<DownloadCursor, 'uploadId'>,
): Promise<void> {
  const key = resultKey(job.id, job.format);
  if (cursor.uploadId !== undefined) await blobStore.abortMultipartUpload(key, cursor.uploadId);
  await deleteCarries(blobStore, job.id);
  await blobStore.delete(key);
}

/** Carry objects are spent once the chunk after them committed; the job's end removes them all. */
export async function deleteCarries(blobStore: BlobStore, jobId: string): Promise<void> {
  let listCursor: string | undefined;
  do {
    const page = await blobStore.list(
      carryPrefix(jobId),
      listCursor === undefined ? {} : { cursor: listCursor },
    );
    for (const item of page.items) await blobStore.delete(item.key);
    listCursor = page.cursor;
  } while (listCursor !== undefined);
}
