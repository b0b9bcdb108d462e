/**
 * Record attachments for the hub: CEQL on sys_attachment
 * scoped to one record, multipart uploads, the payload limit and response shapes. The ServiceNow
 * calls themselves are in shared/servicenow/attachments.ts.
 */
export { ATTACHMENT_FIELDS, attachmentCatalog } from './catalog';
export { ATTACHMENT_UPLOAD, MAX_ATTACHMENT_BYTES, tooLargeMessage } from './limits';
export {
  FILE_FIELD,
  type MultipartForm,
  parseMultipartFields,
  parseMultipartFile,
  parseMultipartForm,
  type UploadedFile,
} from './multipart';
export { type AttachmentQuery, attachmentQuery } from './query';
export {
  type AttachmentAddress,
  type AttachmentFile,
  type AttachmentListRequest,
  addAttachment,
  listRecordAttachments,
  readAttachment,
  readAttachmentFile,
  removeAttachment,
} from './service';
export { type AttachmentView, attachmentFileHeaders, attachmentView, contentDisposition } from './view';
