import {
  assertLooksLike,
  callbackPayloadOf,
  checkUploadTarget,
  createdView,
  detectUploadFormat,
  parseBulkUploadForm,
  parseMetaData,
  parsePresignedUploadBody,
  resolveBulkObject,
  startPresignedUpload,
  startStoredUpload,
  tooLargeUpload,
  type UploadTarget,
  uploadOptionsOf,
} from '../../shared/bulk/api';
import { readFunctionEnv } from '../../shared/config/env';
import { UnsupportedMediaTypeError } from '../../shared/errors';
import { mediaTypeOf } from '../middleware/json-body-parser';
import { type BulkRequest, type BulkRouteTable, callbackUrlOf, headerOf } from './context';

/**
 * Largest file a multipart `POST /bulk/{objectName}` takes (ELEMENT_BULK_MAX_MULTIPART_BYTES). In AWS
 * 4 MiB: a synchronous Lambda request carries at most 6 MB, base64 (+33 %) included, so larger files
 * go through `POST /bulk/{objectName}/uploads` (presigned S3 PUT). Local mode has no gateway: its
 * server's own body limit applies.
 */
export const maxMultipartBytes = (request: BulkRequest): number =>
  readFunctionEnv(request.env).ELEMENT_BULK_MAX_MULTIPART_BYTES ??
  (request.deps.mode === 'aws' ? 4 * 1024 * 1024 : 1024 * 1024 * 1024);

/** Where the upload goes: the object, its table checked against ServiceNow before any byte is stored. */
const targetOf = async (
  request: BulkRequest,
  format: UploadTarget['format'],
  options: {
    identifierField?: string | undefined;
    notificationUrl?: string | undefined;
    metaData: Record<string, unknown>;
  },
): Promise<UploadTarget> => {
  const objectName = request.params.id ?? '';
  const object = await resolveBulkObject(request.deps.stateTable, request.instance, objectName);
  const target: UploadTarget = {
    objectName,
    object,
    format,
    ...(options.identifierField === undefined ? {} : { identifierField: options.identifierField }),
  };
  await checkUploadTarget(await request.client(), request.jobs, target, () => request.pageTokenKey());
  const notificationUrl = await callbackUrlOf(request, options.notificationUrl);
  const callbackPayload = callbackPayloadOf(options.metaData);
  return {
    ...target,
    ...(notificationUrl === undefined ? {} : { notificationUrl }),
    ...(callbackPayload === undefined ? {} : { callbackPayload }),
  };
};

/** `POST /bulk/{objectName}`: multipart `file` (CSV, JSON array, JSON lines) + `metaData`. */
const upload = async (request: BulkRequest) => {
  const { event } = request;
  const contentType = headerOf(event, 'content-type') ?? '';
  if (mediaTypeOf(contentType) !== 'multipart/form-data') {
    throw new UnsupportedMediaTypeError(
      'Upload the file as multipart/form-data: a "file" part and an optional "metaData" JSON field',
    );
  }
  const maxBytes = maxMultipartBytes(request);
  const raw = event.body ?? '';
  const encodedLength = event.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw);
  // Multipart framing adds a little; far beyond the limit is refused before decoding anything.
  if (encodedLength > maxBytes + 64 * 1024) throw tooLargeUpload(maxBytes, request.deps.mode === 'aws');
  const form = await parseBulkUploadForm(
    Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8'),
    contentType,
    maxBytes,
    request.deps.mode === 'aws',
  );
  const metaData = parseMetaData(form.fields.metaData);
  const options = uploadOptionsOf(metaData);
  const format = assertLooksLike(form.file.bytes, detectUploadFormat(options.format, form.file));
  const target = await targetOf(request, format, { identifierField: options.identifierField, metaData });
  return createdView(await startStoredUpload(request.jobs, target, form.file.bytes));
};

/**
 * `POST /bulk/{objectName}/uploads`: for files beyond the API's payload limit. Creates the job and
 * answers a presigned S3 PUT URL for `incoming/<instanceId>/<jobId>`; the bucket's notification of
 * that key queues the job. Local mode has no presigned URLs: 501, use the multipart route (no gateway
 * limit there).
 */
const presignedUpload = async (request: BulkRequest) => {
  const body = parsePresignedUploadBody(request.event.jsonBody ?? {});
  const target = await targetOf(request, body.uploadFormat, {
    identifierField: body.identifierFieldName,
    notificationUrl: body.notificationUrl,
    metaData: body.metaData ?? {},
  });
  const { job, url, contentType, expiresAt } = await startPresignedUpload(request.jobs, target);
  return {
    ...createdView(job),
    uploadUrl: url,
    method: 'PUT',
    headers: { 'Content-Type': contentType },
    expiresAt,
  };
};

export const uploadRoutes: BulkRouteTable = {
  'POST /bulk/{id}': upload,
  'POST /bulk/{id}/uploads': presignedUpload,
};
