/** The bulk API's request side: q parsing, request bodies, download planning, job views. */

export { negotiateFormat } from './accept';
export { type BulkQuery, parseBulkQuery } from './bulk-query';
export { type BulkCaller, callbackUrlOf } from './caller';
export { type DownloadRequest, MAX_DOWNLOAD_PAGE_SIZE, planDownload } from './download-plan';
export { continuedFrom, type DownloadFile, downloadFile } from './download-service';
export {
  type BulkJobContext,
  cancelJob,
  checkedCallbackUrl,
  createdView,
  errorReportPage,
  listJobPage,
  ownJob,
  startJob,
} from './job-service';
export { jobView, progressOf } from './job-view';
export { parseJobsWhere, signJobsToken, verifyJobsToken } from './jobs-query';
export {
  assertLooksLike,
  type BulkUploadForm,
  detectUploadFormat,
  parseBulkUploadForm,
  tooLargeUpload,
} from './multipart';
export {
  callbackPayloadOf,
  type DownloadBody,
  downloadBodySchema,
  MAX_CALLBACK_PAYLOAD_BYTES,
  parseDownloadBody,
  parseMetaData,
  parsePresignedUploadBody,
  presignedUploadBodySchema,
  type UploadOptions,
  uploadOptionsOf,
} from './requests';
export { type BulkObject, resolveBulkObject } from './resolve-object';
export { DOWNLOAD_URL_TTL_SECONDS, type DownloadAnswer, serveDownload } from './serve-download';
export { startBodyDownload, startQueryDownload } from './start-download';
export { startFormUpload, startUrlUpload } from './start-upload';
export {
  checkUploadTarget,
  incomingKey,
  startPresignedUpload,
  startStoredUpload,
  UPLOAD_URL_TTL_SECONDS,
  type UploadTarget,
} from './upload-service';
