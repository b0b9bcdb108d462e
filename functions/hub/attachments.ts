import {
  ATTACHMENT_UPLOAD,
  type AttachmentAddress,
  addAttachment,
  attachmentFileHeaders,
  listRecordAttachments,
  parseMultipartFile,
  readAttachment,
  readAttachmentFile,
  removeAttachment,
} from '../../shared/hub/attachments';
import { multipartBodyOf, response } from '../middleware';
import type { HubRequest, HubRouteTable } from './types';

/** Media types the hub entry point accepts besides JSON, for `POST /{objectName}/{id}/attachments`. */
export const ATTACHMENT_UPLOAD_CONTENT_TYPES: readonly string[] = ['multipart/form-data'];

const addressOf = ({ params }: HubRequest): AttachmentAddress => ({
  objectName: params.objectName,
  recordId: params.id,
  attachmentId: params.attachmentId,
});

export const attachmentsRoutes: HubRouteTable = {
  'GET /{objectName}/{id}/attachments': async (request) => {
    const paging = { query: request.query, authorization: request.event.headers?.authorization };
    const page = await listRecordAttachments(request.context, addressOf(request), paging);
    return response(200, page.attachments, page.headers);
  },
  // 200 + metadata, as Cloud Elements answers a create.
  'POST /{objectName}/{id}/attachments': async (request) => {
    const { body, contentType } = multipartBodyOf(request.event, ATTACHMENT_UPLOAD);
    const file = await parseMultipartFile(body, contentType);
    return response(200, await addAttachment(request.context, addressOf(request), file));
  },
  'GET /{objectName}/{id}/attachments/{attachmentId}': async (request) =>
    readAttachment(request.context, addressOf(request)),
  'GET /{objectName}/{id}/attachments/{attachmentId}/file': async (request) => {
    const file = await readAttachmentFile(request.context, addressOf(request));
    return response(200, file.bytes, attachmentFileHeaders(file));
  },
  // 200 like every delete of the hub (CE's deletes answer 200).
  'DELETE /{objectName}/{id}/attachments/{attachmentId}': async (request) => {
    await removeAttachment(request.context, addressOf(request));
    return {};
  },
};
