/**
 * Starting an upload job from the two ways the bulk API takes a file: a multipart `POST /bulk/{objectName}`
 * (the file in the request) and `POST /bulk/{objectName}/uploads` (a presigned URL the caller PUTs to).
 */
import { type BulkCaller, callbackUrlOf } from './caller';
import { createdView } from './job-service';
import { assertLooksLike, type BulkUploadForm, detectUploadFormat } from './multipart';
import { callbackPayloadOf, parseMetaData, parsePresignedUploadBody, uploadOptionsOf } from './requests';
import { resolveBulkObject } from './resolve-object';
import {
  checkUploadTarget,
  startPresignedUpload,
  startStoredUpload,
  type UploadTarget,
} from './upload-service';

/** Where the upload goes: the object, its table checked against ServiceNow before any byte is stored. */
const targetOf = async (
  caller: BulkCaller,
  objectName: string,
  format: UploadTarget['format'],
  options: {
    identifierField?: string | undefined;
    notificationUrl?: string | undefined;
    metaData: Record<string, unknown>;
  },
): Promise<UploadTarget> => {
  const object = await resolveBulkObject(caller.jobs.stateTable, caller.instance, objectName);
  const target: UploadTarget = {
    objectName,
    object,
    format,
    ...(options.identifierField === undefined ? {} : { identifierField: options.identifierField }),
  };
  await checkUploadTarget(await caller.client(), caller.jobs, target, () => caller.pageTokenKey());
  const notificationUrl = await callbackUrlOf(caller, options.notificationUrl);
  const callbackPayload = callbackPayloadOf(options.metaData);
  return {
    ...target,
    ...(notificationUrl === undefined ? {} : { notificationUrl }),
    ...(callbackPayload === undefined ? {} : { callbackPayload }),
  };
};

/** A multipart upload's `file` (CSV, JSON array, JSON lines) and `metaData` field -> a job with the file stored. */
export const startFormUpload = async (caller: BulkCaller, objectName: string, form: BulkUploadForm) => {
  const metaData = parseMetaData(form.fields.metaData);
  const options = uploadOptionsOf(metaData);
  const format = assertLooksLike(form.file.bytes, detectUploadFormat(options.format, form.file));
  const target = await targetOf(caller, objectName, format, {
    identifierField: options.identifierField,
    metaData,
  });
  return createdView(await startStoredUpload(caller.jobs, target, form.file.bytes));
};

/**
 * For files beyond the API's payload limit: creates the job and answers a presigned PUT URL for
 * `incoming/<instanceId>/<jobId>`; the bucket's notification of that key queues the job.
 */
export const startUrlUpload = async (caller: BulkCaller, objectName: string, jsonBody: unknown) => {
  const body = parsePresignedUploadBody(jsonBody ?? {});
  const target = await targetOf(caller, objectName, body.uploadFormat, {
    identifierField: body.identifierFieldName,
    notificationUrl: body.notificationUrl,
    metaData: body.metaData ?? {},
  });
  const { job, url, contentType, expiresAt } = await startPresignedUpload(caller.jobs, target);
  return {
    ...createdView(job),
    uploadUrl: url,
    method: 'PUT',
    headers: { 'Content-Type': contentType },
    expiresAt,
  };
};
