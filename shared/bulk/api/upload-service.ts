/**
 * What the bulk upload API does apart from HTTP: check the target before any byte is stored, then start
 * an upload job from a file already received (removing the file when the job cannot start) or from a
 * presigned URL the caller will PUT the file to.
 */
import { ElementError, InvalidInputError } from '../../errors';
import { catalogFor, type RecordsContext, tableMetadata } from '../../hub/records';
import type { ServiceNowClient } from '../../servicenow';
import { FORMAT_CONTENT_TYPE } from '../download';
import { type BulkJob, newJobId } from '../jobs';
import type { UploadFormat } from '../upload';
import { type BulkJobContext, startJob } from './job-service';
import type { BulkObject } from './resolve-object';

/** Seconds a presigned upload URL stays valid. */
export const UPLOAD_URL_TTL_SECONDS = 900;

/** Key of an uploaded file: the S3 notification of this key starts the job (shared/bulk/worker). */
export const incomingKey = (instanceId: number | string, jobId: string) => `incoming/${instanceId}/${jobId}`;

export interface UploadTarget {
  objectName: string;
  object: BulkObject;
  format: UploadFormat;
  /** Upsert key (ignored for a common resource, whose transformation decides). */
  identifierField?: string;
  notificationUrl?: string;
  callbackPayload?: unknown;
}

/** The object must be a table ServiceNow knows, and an upsert key one of its fields. */
export const checkUploadTarget = async (
  client: ServiceNowClient,
  context: BulkJobContext,
  target: UploadTarget,
  pageTokenKey: () => Buffer,
): Promise<void> => {
  const { table, transformation } = target.object;
  const ctx: RecordsContext = {
    client,
    instanceId: Number(context.instanceId),
    filterNulls: false,
    pageTokenKey,
  };
  const metadata = await tableMetadata(ctx, table);
  const identifierField = transformation === undefined ? target.identifierField : undefined;
  if (identifierField !== undefined) {
    const catalog = await catalogFor(ctx, metadata, []);
    if (!catalog.has(identifierField)) {
      throw new InvalidInputError(`Unknown identifierFieldName '${identifierField}' on ${table}`);
    }
  }
};

const uploadJob = (target: UploadTarget, id: string, blobKey: string, awaitingFileUntil?: string) => {
  const { object, identifierField } = target;
  return {
    id,
    direction: 'upload' as const,
    objectName: target.objectName,
    table: object.table,
    upload: {
      blobKey,
      format: target.format,
      ...(awaitingFileUntil === undefined ? {} : { awaitingFileUntil }),
      ...(identifierField === undefined ? {} : { identifierField }),
      ...(object.transformation === undefined ? {} : { transformation: object.transformation }),
    },
    ...(target.notificationUrl === undefined ? {} : { notificationUrl: target.notificationUrl }),
    ...(target.callbackPayload === undefined ? {} : { callbackPayload: target.callbackPayload }),
  };
};

/** Stores the received file and starts its job; the file is removed again when the job cannot start. */
export const startStoredUpload = async (
  context: BulkJobContext,
  target: UploadTarget,
  file: Buffer,
): Promise<BulkJob> => {
  const blobs = context.blobStore();
  context.queue(); // 503 before storing anything when the stack has no queue
  const id = newJobId();
  const blobKey = incomingKey(context.instanceId, id);
  await blobs.put(blobKey, file, { contentType: FORMAT_CONTENT_TYPE[target.format] });
  try {
    return await startJob(context, uploadJob(target, id, blobKey));
  } catch (error) {
    await blobs.delete(blobKey).catch(() => undefined);
    throw error;
  }
};

/**
 * Creates the job of a file the caller will PUT to the answered presigned URL; the bucket's notification
 * of that key queues the job. Presigned first: without a URL no job is created (nobody could start it);
 * a blob store that cannot presign (local mode) is a 501.
 */
export const startPresignedUpload = async (
  context: BulkJobContext,
  target: UploadTarget,
): Promise<{ job: BulkJob; url: string; contentType: string; expiresAt: string }> => {
  const id = newJobId();
  const blobKey = incomingKey(context.instanceId, id);
  const contentType = FORMAT_CONTENT_TYPE[target.format];
  const url = await context.blobStore().presignPutUrl(blobKey, UPLOAD_URL_TTL_SECONDS, { contentType });
  if (url === undefined) {
    throw new ElementError(
      501,
      `Presigned uploads need S3 (AWS mode); in local mode send the file to POST /bulk/${target.objectName} as multipart/form-data`,
    );
  }
  const expiresAt = new Date(context.now().getTime() + UPLOAD_URL_TTL_SECONDS * 1000).toISOString();
  // The S3 notification of the key queues it; queueing now would find no file.
  const job = await startJob(context, uploadJob(target, id, blobKey, expiresAt), { queue: false });
  return { job, url, contentType, expiresAt };
};
