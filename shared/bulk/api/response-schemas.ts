import * as z from '../../validation/zod';

/**
 * Response shapes of the bulk API (request bodies are in requests.ts); job-view.ts returns these types
 * and the OpenAPI document is generated from these schemas.
 */
export const bulkJobStatusSchema = z.enum([
  'CREATED',
  'RUNNING',
  'COMPLETED',
  'CANCELLED',
  'CANCELLATION_PENDING',
  'ABORTED',
  'ERROR',
]);
const direction = z.enum(['DOWNLOAD', 'UPLOAD']);
const dateTime = z.iso.datetime();

/** A new job (`POST /bulk/query`, `/bulk/download`, `/bulk/{objectName}`): CE spells the instance both ways. */
export const bulkJobCreatedSchema = z.object({
  id: z.string().check(z.describe('The job id')),
  status: bulkJobStatusSchema,
  instanceId: z.int(),
  instance_id: z.int(),
});

/** `POST /bulk/{objectName}/uploads`: the new job and where to PUT the file. */
export const bulkPresignedUploadSchema = z.extend(bulkJobCreatedSchema, {
  uploadUrl: z.url(),
  method: z.literal('PUT'),
  headers: z.record(z.string(), z.string()).check(z.describe('Send exactly these headers with the PUT')),
  expiresAt: dateTime,
});

/** What the job was asked to do (CE v3 `jobCriteria`). */
const jobCriteria = z.object({
  objectName: z.string(),
  identifierFieldName: z.optional(z.string()).check(z.describe('Upload: the field used to upsert')),
  query: z.optional(z.string()).check(z.describe('Download: the ServiceNow encoded query')),
  selectFields: z.optional(z.array(z.string())),
  orderBy: z.optional(z.string()),
  limit: z.optional(z.int()),
  partitions: z.optional(z.int()),
});

/**
 * `GET /bulk/{id}/status`, `GET /bulk/jobs`, `PUT /bulk/{id}/cancel`: CE v2 names plus the v3 and
 * job-list spellings, so clients of either keep working.
 */
export const bulkJobSchema = z.object({
  id: z.string(),
  instanceId: z.int(),
  objectName: z.string(),
  direction,
  status: bulkJobStatusSchema,
  recordsCount: z.int().check(z.describe('Download: rows written. Upload: rows handled (written + failed)')),
  recordsFailedCount: z.int(),
  progress: z.int().check(z.gte(0), z.lte(100)),
  fileFormat: z.optional(z.enum(['CSV', 'JSON', 'JSONL'])),
  createdDate: dateTime,
  updatedDate: dateTime,
  startedDate: z.optional(dateTime),
  completedDate: z.optional(dateTime),
  statusMessage: z.optional(z.string()),
  notificationStatus: z.optional(z.enum(['DELIVERED', 'FAILED'])),
  jobStatus: bulkJobStatusSchema.check(z.describe('CE v3 spelling of status')),
  jobDirection: direction,
  recordCount: z.int(),
  errorCount: z.int(),
  completionTime: z.nullable(dateTime),
  notificationUrl: z.nullable(z.string()),
  metaData: z.object({ 'callback-payload': z.optional(z.unknown()) }),
  jobCriteria,
  instance_id: z.int(),
  object_name: z.string().check(z.describe('CE job-list spelling of objectName')),
  job_status: bulkJobStatusSchema,
  job_direction: direction,
  record_count: z.int(),
  error_count: z.int(),
  completion_time: z.nullable(dateTime),
  notification_url: z.nullable(z.string()),
});
export type BulkJobView = z.infer<typeof bulkJobSchema>;

/** `GET /bulk/{id}/errors` items: one row an upload could not write. */
export const bulkRowErrorSchema = z.object({
  rowNumber: z.int().check(z.describe('1-based position among the data records (CSV header excluded)')),
  reason: z.string(),
  status: z.optional(z.int()).check(z.describe("ServiceNow's HTTP status for the row, when it answered")),
  providerMessage: z.optional(z.string()),
});

/** `GET /bulk/{id}/{objectName}` while the file is converted to the asked format (202, Retry-After). */
export const bulkConvertingSchema = z.object({
  id: z.string(),
  status: z.literal('CONVERTING'),
  format: z.string().check(z.describe('The media type being produced')),
  message: z.string(),
});
