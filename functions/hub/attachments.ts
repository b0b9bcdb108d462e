import { NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../shared/errors';
import {
  attachmentQuery,
  attachmentView,
  contentDisposition,
  MAX_ATTACHMENT_BYTES,
  parseMultipartFile,
  tooLargeMessage,
} from '../../shared/hub/attachments';
import { RETURNED_COUNT_HEADER, TOTAL_COUNT_HEADER } from '../../shared/hub/headers';
import { assertRecordId, childPaging, readRecord } from '../../shared/hub/journal';
import { filtersNulls } from '../../shared/hub/null-filter';
import { resolveResource } from '../../shared/resources';
import {
  deleteAttachment,
  downloadAttachment,
  getAttachment,
  listAttachments,
  type ServiceNowClient,
  type SnRecord,
  uploadAttachment,
} from '../../shared/servicenow';
import { response } from '../middleware';
import { mediaTypeOf } from '../middleware/json-body-parser';
import type { HubRequest, HubRouteTable } from './types';

/**
 * Media types the hub entry point must accept besides JSON (withMiddleware's `acceptedContentTypes`),
 * for `POST /{objectName}/{id}/attachments`.
 */
export const ATTACHMENT_UPLOAD_CONTENT_TYPES: readonly string[] = ['multipart/form-data'];

interface Target {
  client: ServiceNowClient;
  table: string;
  id: string;
  /** Resolves once the record is known to exist (and to be inside the resource's slice); 404 otherwise. */
  exists: Promise<SnRecord>;
}

/**
 * The record whose attachments a route addresses. Its existence check runs alongside the route's
 * own ServiceNow call (latency of one round trip), and is awaited before anything is answered.
 */
const target = async (request: HubRequest): Promise<Target> => {
  const resolved = resolveResource(request.params.objectName ?? '');
  const id = assertRecordId(request.params.id);
  const client = await request.client();
  const exists = readRecord(
    client,
    { table: resolved.table, id, ...(resolved.filter ? { filter: resolved.filter } : {}) },
    { fields: ['sys_id'] },
  );
  exists.catch(() => undefined); // awaited later; avoid an unhandled rejection meanwhile
  return { client, table: resolved.table, id, exists };
};

const text = (record: SnRecord, field: string): string => {
  const value = record[field];
  return typeof value === 'string' ? value : '';
};

/** The attachment, only if it belongs to the addressed record (else 404: it is not "there"). */
const ownedAttachment = async (request: HubRequest, t: Target): Promise<SnRecord> => {
  const attachmentId = assertRecordId(request.params.attachmentId, 'attachment');
  const [, attachment] = await Promise.all([t.exists, getAttachment(t.client, attachmentId)]);
  if (text(attachment, 'table_name') !== t.table || text(attachment, 'table_sys_id') !== t.id) {
    throw new NotFoundError(`No attachment ${attachmentId} on ${t.table} ${t.id}`);
  }
  return attachment;
};

/** `GET /{objectName}/{id}/attachments`: CEQL `where`/`orderBy` on sys_attachment fields, `page`/`pageSize`. */
const list = async (request: HubRequest) => {
  const resolved = resolveResource(request.params.objectName ?? '');
  const recordId = assertRecordId(request.params.id);
  const where = request.query.get('where');
  const orderBy = request.query.get('orderBy');
  const query = attachmentQuery({
    table: resolved.table,
    recordId,
    ...(where ? { where } : {}),
    ...(orderBy ? { orderBy } : {}),
  });
  const paging = childPaging({
    query: request.query,
    authorization: request.event.headers?.authorization,
    scope: { instanceId: request.instance.id, table: 'sys_attachment', query },
  });
  const t = await target(request);
  const [, result] = await Promise.all([
    t.exists,
    listAttachments(t.client, { query, limit: paging.limit, offset: paging.offset }),
  ]);
  const headers: Record<string, string> = {
    [RETURNED_COUNT_HEADER]: String(result.records.length),
    ...paging.nextPageHeaders(result.hasNext),
  };
  if (paging.params.returnTotalCount && result.totalCount !== undefined)
    headers[TOTAL_COUNT_HEADER] = String(result.totalCount);
  const filterNulls = filtersNulls(request.instance.configuration);
  return response(
    200,
    result.records.map((record) => attachmentView(record, filterNulls)),
    headers,
  );
};

const metadata = async (request: HubRequest) =>
  attachmentView(
    await ownedAttachment(request, await target(request)),
    filtersNulls(request.instance.configuration),
  );

/**
 * `GET .../attachments/{attachmentId}/file`: the bytes with the stored Content-Type and a
 * Content-Disposition carrying the file name. Above MAX_ATTACHMENT_BYTES (known from the metadata
 * before any byte is read) -> 413: the Lambda response limit would cut the body otherwise (limits.ts).
 */
const download = async (request: HubRequest) => {
  const t = await target(request);
  const attachment = await ownedAttachment(request, t);
  const declared = Number(text(attachment, 'size_bytes'));
  if (Number.isFinite(declared) && declared > MAX_ATTACHMENT_BYTES) {
    throw new PayloadTooLargeError(tooLargeMessage('download', declared));
  }
  const content = await downloadAttachment(t.client, text(attachment, 'sys_id'));
  if (content.bytes.length > MAX_ATTACHMENT_BYTES) {
    throw new PayloadTooLargeError(tooLargeMessage('download', content.bytes.length));
  }
  return response(200, content.bytes, {
    'Content-Type': text(attachment, 'content_type') || content.contentType || 'application/octet-stream',
    'Content-Disposition': contentDisposition(text(attachment, 'file_name') || 'file'),
    // The content type is whatever the uploader declared: never let a browser sniff or render it
    // (a text/html attachment must not run on the API's origin).
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, no-store',
  });
};

/** `POST /{objectName}/{id}/attachments`, multipart/form-data with a `file` part -> 200 + metadata (as Cloud Elements answers a create). */
const upload = async (request: HubRequest) => {
  const { event } = request;
  const contentType = event.headers?.['content-type'] ?? '';
  if (mediaTypeOf(contentType) !== 'multipart/form-data') {
    throw new UnsupportedMediaTypeError(
      'Upload attachments as multipart/form-data with the file in a "file" part',
    );
  }
  const raw = event.body ?? '';
  // Base64 inflates by 4/3: an event body far above the limit is refused before decoding it.
  const encodedLength = event.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw);
  if (encodedLength > MAX_ATTACHMENT_BYTES + 64 * 1024)
    throw new PayloadTooLargeError(tooLargeMessage('upload'));
  const body = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  const file = await parseMultipartFile(body, contentType);
  const t = await target(request);
  await t.exists;
  const created = await uploadAttachment(t.client, {
    table: t.table,
    tableSysId: t.id,
    fileName: file.fileName,
    contentType: file.contentType,
    bytes: file.bytes,
  });
  return response(200, attachmentView(created, filtersNulls(request.instance.configuration)));
};

const remove = async (request: HubRequest) => {
  const t = await target(request);
  const attachment = await ownedAttachment(request, t);
  await deleteAttachment(t.client, text(attachment, 'sys_id'));
  // 200 like every delete of the hub (CE's deletes answer 200).
  return {};
};

export const attachmentsRoutes: HubRouteTable = {
  'GET /{objectName}/{id}/attachments': list,
  'POST /{objectName}/{id}/attachments': upload,
  'GET /{objectName}/{id}/attachments/{attachmentId}': metadata,
  'GET /{objectName}/{id}/attachments/{attachmentId}/file': download,
  'DELETE /{objectName}/{id}/attachments/{attachmentId}': remove,
};
