/**
 * Domain core of bulk upload (CE `POST /bulk/{objectName}`): stream-parse
 * the uploaded file, write rows to ServiceNow with bounded concurrency, stream failures to a report.
 */
export type { BatchItemOutcome } from './batch';
export { insertBatch } from './batch';
export type { ErrorReport, ErrorReportFormat } from './error-report';
export { createErrorReport } from './error-report';
export type { ParsedRow, ParseOptions, UploadFormat } from './parse';
export {
  assertUploadSize,
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_MAX_UPLOAD_BYTES,
  jsonShape,
  parseUpload,
  toRecord,
  uploadFormat,
} from './parse';
export type { RowFailure, UploadProgress, UploadResult, UploadRowsOptions } from './write';
export { DEFAULT_UPLOAD_CONCURRENCY, identifierQuery, uploadRows } from './write';
