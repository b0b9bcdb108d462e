import {
  assertLooksLike,
  callbackPayloadOf,
  createdView,
  detectUploadFormat,
  parseBulkUploadForm,
  parseMetaData,
  parsePresignedUploadBody,
  resolveBulkObject,
  startJob,
  tooLargeUpload,
  uploadOptionsOf,
} from '../../shared/bulk/api';
import { FORMAT_CONTENT_TYPE } from '../../shared/bulk/download';
import { newJobId } from '../../shared/bulk/jobs';
import { readFunctionEnv } from '../../shared/config/env';
import { ElementError, InvalidInputError, UnsupportedMediaTypeError } from '../../shared/errors';
import { catalogFor, type RecordsContext, tableMetadata } from '../../shared/hub/records';
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

/** Seconds a presigned upload URL stays valid. */
export const UPLOAD_URL_TTL_SECONDS = 900;

/** Key of an uploaded file: the S3 notification of this key starts the job (functions/bulk/worker.ts). */
export const incomingKey = (instanceId: number | string, jobId: string) => `incoming/${instanceId}/${jobId}`;

/** The object must be a table ServiceNow knows, and an upsert key one of its fields: checked before any byte is stored. */
const checkTarget = async (request: BulkRequest, table: string, identifierField: string | undefined) => {
  const ctx: RecordsContext = {
    client: await request.client(),
    instanceId: request.instance.id,
    filterNulls: false,
    pageTokenKey: () => request.pageTokenKey(),
  };
  const metadata = await tableMetadata(ctx, table);
  if (identifierField !== undefined) {
    const catalog = await catalogFor(ctx, metadata, []);
    if (!catalog.has(identifierField)) {
      throw new InvalidInputError(`Unknown identifierFieldName '${identifierField}' on ${table}`);
    }
  }
};

/** `POST /bulk/{objectName}`: multipart `file` (CSV, JSON array, JSON lines) + `metaData`. */
const upload = async (request: BulkRequest) => {
  const { event } = request;
  const objectName = request.params.id ?? '';
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
  const object = await resolveBulkObject(request.deps.stateTable, request.instance, objectName);
  await checkTarget(
    request,
    object.table,
    object.transformation === undefined ? options.identifierField : undefined,
  );
  const notificationUrl = await callbackUrlOf(request);
  const callbackPayload = callbackPayloadOf(metaData);
  const blobs = request.blobStore();
  request.queue(); // 503 before storing anything when the stack has no queue
  const id = newJobId();
  const blobKey = incomingKey(request.instance.id, id);
  await blobs.put(blobKey, form.file.bytes, { contentType: FORMAT_CONTENT_TYPE[format] });
  try {
    const job = await startJob(request.jobs, {
      id,
      direction: 'upload',
      objectName,
      table: object.table,
      upload: {
        blobKey,
        format,
        ...(options.identifierField === undefined ? {} : { identifierField: options.identifierField }),
        ...(object.transformation === undefined ? {} : { transformation: object.transformation }),
      },
      ...(notificationUrl === undefined ? {} : { notificationUrl }),
      ...(callbackPayload === undefined ? {} : { callbackPayload }),
    });
    return createdView(job);
  } catch (error) {
    await blobs.delete(blobKey).catch(() => undefined);
    throw error;
  }
};

/**
 * `POST /bulk/{objectName}/uploads`: for files beyond the API's payload limit. Creates the job and
 * answers a presigned S3 PUT URL for `incoming/<instanceId>/<jobId>`; the bucket's notification of
 * that key queues the job (functions/bulk/worker.ts). Local mode has no presigned URLs: 501, use the
 * multipart route (no gateway limit there).
 */
const presignedUpload = async (request: BulkRequest) => {
  const objectName = request.params.id ?? '';
  const body = parsePresignedUploadBody(request.event.jsonBody ?? {});
  const object = await resolveBulkObject(request.deps.stateTable, request.instance, objectName);
  const identifierField = body.identifierFieldName;
  await checkTarget(request, object.table, object.transformation === undefined ? identifierField : undefined);
  const notificationUrl = await callbackUrlOf(request, body.notificationUrl);
  const callbackPayload = callbackPayloadOf(body.metaData ?? {});
  const id = newJobId();
  const blobKey = incomingKey(request.instance.id, id);
  const contentType = FORMAT_CONTENT_TYPE[body.uploadFormat];
  // Presign first: without a URL no job is created (nobody could ever start it).
  const url = await request.blobStore().presignPutUrl(blobKey, UPLOAD_URL_TTL_SECONDS, { contentType });
  if (url === undefined) {
    throw new ElementError(
      501,
      `Presigned uploads need S3 (AWS mode); in local mode send the file to POST /bulk/${objectName} as multipart/form-data`,
    );
  }
  const expiresAt = new Date(request.deps.now().getTime() + UPLOAD_URL_TTL_SECONDS * 1000).toISOString();
  const job = await startJob(
    request.jobs,
    {
      id,
      direction: 'upload',
      objectName,
      table: object.table,
      upload: {
        blobKey,
        format: body.uploadFormat,
        awaitingFileUntil: expiresAt,
        ...(identifierField === undefined ? {} : { identifierField }),
        ...(object.transformation === undefined ? {} : { transformation: object.transformation }),
      },
      ...(notificationUrl === undefined ? {} : { notificationUrl }),
      ...(callbackPayload === undefined ? {} : { callbackPayload }),
    },
    // The S3 notification of the key queues it; queueing now would find no file.
    { queue: false },
  );
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
