import { NotFoundError, PayloadTooLargeError } from '../../errors';
import { resolveResource } from '../../resources';
import {
  deleteAttachment,
  downloadAttachment,
  getAttachment,
  listAttachments,
  type ServiceNowClient,
  type SnRecord,
  uploadAttachment,
} from '../../servicenow';
import { RETURNED_COUNT_HEADER, TOTAL_COUNT_HEADER } from '../headers';
import { assertRecordId, childPaging, readRecord } from '../journal';
import type { RecordsContext, RecordsContextOf } from '../records/context';
import { MAX_ATTACHMENT_BYTES, tooLargeMessage } from './limits';
import type { UploadedFile } from './multipart';
import { attachmentQuery } from './query';
import { type AttachmentView, attachmentView } from './view';

/** The record whose attachments a route addresses (path parameters as given), and the attachment. */
export interface AttachmentAddress {
  objectName: string | undefined;
  recordId: string | undefined;
  attachmentId?: string | undefined;
}

interface Target {
  context: RecordsContext;
  client: ServiceNowClient;
  table: string;
  id: string;
  /** Resolves once the record is known to exist (and to be inside the resource's slice); 404 otherwise. */
  exists: Promise<SnRecord>;
}

/**
 * The record whose attachments are asked for, once the address is known to be well formed (with the
 * attachment id when `withAttachment`). Its existence check runs alongside the operation's own
 * ServiceNow call (latency of one round trip), and is awaited before anything is answered.
 */
const target = async (
  contextOf: RecordsContextOf,
  address: AttachmentAddress,
  withAttachment = false,
): Promise<Target> => {
  const resolved = resolveResource(address.objectName ?? '');
  const id = assertRecordId(address.recordId);
  if (withAttachment) assertRecordId(address.attachmentId, 'attachment');
  const context = await contextOf();
  const { client } = context;
  const exists = readRecord(
    client,
    { table: resolved.table, id, ...(resolved.filter ? { filter: resolved.filter } : {}) },
    { fields: ['sys_id'] },
  );
  exists.catch(() => undefined); // awaited later; avoid an unhandled rejection meanwhile
  return { context, client, table: resolved.table, id, exists };
};

const text = (record: SnRecord, field: string): string => {
  const value = record[field];
  return typeof value === 'string' ? value : '';
};

/** The attachment, only if it belongs to the addressed record (else 404: it is not "there"). */
const ownedAttachment = async (t: Target, address: AttachmentAddress): Promise<SnRecord> => {
  const attachmentId = assertRecordId(address.attachmentId, 'attachment');
  const [, attachment] = await Promise.all([t.exists, getAttachment(t.client, attachmentId)]);
  if (text(attachment, 'table_name') !== t.table || text(attachment, 'table_sys_id') !== t.id) {
    throw new NotFoundError(`No attachment ${attachmentId} on ${t.table} ${t.id}`);
  }
  return attachment;
};

export interface AttachmentListRequest {
  /** `where`/`orderBy` (CEQL on sys_attachment fields), `page`/`pageSize`/`nextPage`, `returnTotalCount`. */
  query: URLSearchParams;
  /** The request's Authorization header: `nextPage` tokens are keyed on its Element token. */
  authorization: string | undefined;
}

/** One page of a record's attachments, with the paging headers of every hub list. */
export const listRecordAttachments = async (
  contextOf: RecordsContextOf,
  address: AttachmentAddress,
  request: AttachmentListRequest,
): Promise<{ attachments: AttachmentView[]; headers: Record<string, string> }> => {
  const resolved = resolveResource(address.objectName ?? '');
  const recordId = assertRecordId(address.recordId);
  const where = request.query.get('where');
  const orderBy = request.query.get('orderBy');
  const query = attachmentQuery({
    table: resolved.table,
    recordId,
    ...(where ? { where } : {}),
    ...(orderBy ? { orderBy } : {}),
  });
  const t = await target(contextOf, address);
  const paging = childPaging({
    query: request.query,
    authorization: request.authorization,
    scope: { instanceId: t.context.instanceId, table: 'sys_attachment', query },
  });
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
  return {
    attachments: result.records.map((record) => attachmentView(record, t.context.filterNulls)),
    headers,
  };
};

export const readAttachment = async (
  contextOf: RecordsContextOf,
  address: AttachmentAddress,
): Promise<AttachmentView> => {
  const t = await target(contextOf, address, true);
  return attachmentView(await ownedAttachment(t, address), t.context.filterNulls);
};

export interface AttachmentFile {
  bytes: Buffer;
  /** The stored content type (whatever the uploader declared). */
  contentType: string;
  fileName: string;
}

/**
 * The attachment's bytes. Above MAX_ATTACHMENT_BYTES (known from the metadata before any byte is read)
 * -> 413: the Lambda response limit would cut the body otherwise (limits.ts).
 */
export const readAttachmentFile = async (
  contextOf: RecordsContextOf,
  address: AttachmentAddress,
): Promise<AttachmentFile> => {
  const t = await target(contextOf, address, true);
  const attachment = await ownedAttachment(t, address);
  const declared = Number(text(attachment, 'size_bytes'));
  if (Number.isFinite(declared) && declared > MAX_ATTACHMENT_BYTES) {
    throw new PayloadTooLargeError(tooLargeMessage('download', declared));
  }
  const content = await downloadAttachment(t.client, text(attachment, 'sys_id'));
  if (content.bytes.length > MAX_ATTACHMENT_BYTES) {
    throw new PayloadTooLargeError(tooLargeMessage('download', content.bytes.length));
  }
  return {
    bytes: content.bytes,
    contentType: text(attachment, 'content_type') || content.contentType || 'application/octet-stream',
    fileName: text(attachment, 'file_name') || 'file',
  };
};

/** Attaches the file to the record, once the record is known to exist; answers the new metadata. */
export const addAttachment = async (
  contextOf: RecordsContextOf,
  address: AttachmentAddress,
  file: UploadedFile,
): Promise<AttachmentView> => {
  const t = await target(contextOf, address);
  await t.exists;
  const created = await uploadAttachment(t.client, {
    table: t.table,
    tableSysId: t.id,
    fileName: file.fileName,
    contentType: file.contentType,
    bytes: file.bytes,
  });
  return attachmentView(created, t.context.filterNulls);
};

export const removeAttachment = async (
  contextOf: RecordsContextOf,
  address: AttachmentAddress,
): Promise<void> => {
  const t = await target(contextOf, address, true);
  const attachment = await ownedAttachment(t, address);
  await deleteAttachment(t.client, text(attachment, 'sys_id'));
};
