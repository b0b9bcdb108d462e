import { BadUpstreamError, InvalidInputError } from '../errors';
import type { ServiceNowClient } from './client';
import { hasNextLink } from './client';
import type { ListResult, SnRecord } from './types';

/**
 * ServiceNow Attachment API: metadata rows of `sys_attachment`
 * under `/api/now/attachment`, bytes under `/{sys_id}/file`, uploads as the raw body of
 * `POST /file?table_name&table_sys_id&file_name` with the file's own Content-Type (mandatory; a wrong
 * one stores an unusable file, C.1).
 */
const ATTACHMENT_PATH = '/api/now/attachment';
const ATTACHMENT_ID = /^[A-Za-z0-9]{1,64}$/;

const attachmentPath = (sysId: string, suffix = ''): string => {
  if (!ATTACHMENT_ID.test(sysId))
    throw new InvalidInputError(`Invalid attachment id: ${JSON.stringify(sysId.slice(0, 100))}`);
  return `${ATTACHMENT_PATH}/${sysId}${suffix}`;
};

const resultOf = (body: unknown): unknown =>
  typeof body === 'object' && body !== null && 'result' in body
    ? (body as { result: unknown }).result
    : undefined;

const unexpected = (what: string) =>
  new BadUpstreamError(`ServiceNow returned an unexpected attachment response (${what})`);

export interface AttachmentListParams {
  /** Encoded query on sys_attachment fields, e.g. `table_name=incident^table_sys_id=<id>`. */
  query: string;
  limit: number;
  offset?: number;
}

export const listAttachments = async (
  client: ServiceNowClient,
  params: AttachmentListParams,
): Promise<ListResult> => {
  const response = await client.request({
    method: 'GET',
    path: ATTACHMENT_PATH,
    query: {
      sysparm_query: params.query,
      sysparm_limit: params.limit,
      ...(params.offset ? { sysparm_offset: params.offset } : {}),
    },
  });
  const result = resultOf(response.body);
  if (!Array.isArray(result)) throw unexpected('no list in "result"');
  const total = response.headers['x-total-count'];
  return {
    records: result.filter((row): row is SnRecord => typeof row === 'object' && row !== null),
    totalCount: total === undefined || total === '' ? undefined : Number(total),
    hasNext: hasNextLink(response.headers.link),
    headers: response.headers,
  };
};

/** One metadata row; ServiceNow answers 404 for a missing or unreadable attachment (C.1). */
export const getAttachment = async (client: ServiceNowClient, sysId: string): Promise<SnRecord> => {
  const response = await client.request({ method: 'GET', path: attachmentPath(sysId) });
  const result = resultOf(response.body);
  if (typeof result !== 'object' || result === null || Array.isArray(result)) throw unexpected('no record');
  return result as SnRecord;
};

export interface AttachmentContent {
  bytes: Buffer;
  /** The Content-Type ServiceNow served the file with. */
  contentType: string | undefined;
}

export const downloadAttachment = async (
  client: ServiceNowClient,
  sysId: string,
): Promise<AttachmentContent> => {
  const response = await client.request<unknown>({
    method: 'GET',
    path: attachmentPath(sysId, '/file'),
    responseType: 'binary',
  });
  if (!Buffer.isBuffer(response.body)) throw unexpected('no bytes');
  return { bytes: response.body, contentType: response.headers['content-type'] };
};

export interface AttachmentUpload {
  table: string;
  tableSysId: string;
  fileName: string;
  contentType: string;
  bytes: Uint8Array;
}

/** `POST /api/now/attachment/file` (201 + the new metadata row). */
export const uploadAttachment = async (
  client: ServiceNowClient,
  upload: AttachmentUpload,
): Promise<SnRecord> => {
  const response = await client.request({
    method: 'POST',
    path: `${ATTACHMENT_PATH}/file`,
    query: { table_name: upload.table, table_sys_id: upload.tableSysId, file_name: upload.fileName },
    headers: { 'content-type': upload.contentType },
    body: upload.bytes,
  });
  const result = resultOf(response.body);
  if (typeof result !== 'object' || result === null || Array.isArray(result)) throw unexpected('no record');
  return result as SnRecord;
};

export const deleteAttachment = async (client: ServiceNowClient, sysId: string): Promise<void> => {
  await client.request({ method: 'DELETE', path: attachmentPath(sysId) });
};
