import { z } from 'zod';

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
  id: z.string().describe('The job id'),
  status: bulkJobStatusSchema,
  instanceId: z.number().int(),
  instance_id: z.number().int(),
});

/** `POST /bulk/{objectName}/uploads`: the new job and where to PUT the file. */
export const bulkPresignedUploadSchema = bulkJobCreatedSchema.extend({
  uploadUrl: z.url(),
  method: z.literal('PUT'),
  headers: z.record(z.string(), z.string()).describe('Send exactly these headers with the PUT'),
  expiresAt: dateTime,
});

/** What the job was asked to do (CE v3 `jobCriteria`). */
const jobCriteria = z.object({
  objectName: z.string(),
  identifierFieldName: z.string().optional().describe('Upload: the field used to upsert'),
  query: z.string().optional().describe('Download: the ServiceNow encoded query'),
  selectFields: z.array(z.string()).optional(),
  orderBy: z.string().optional(),
  limit: z.number().int().optional(),
  partitions: z.number().int().optional(),
});

/**
 * `GET /bulk/{id}/status`, `GET /bulk/jobs`, `PUT /bulk/{id}/cancel`: CE v2 names plus the v3 and
 * job-list spellings, so clients of either keep working.
 */
export const bulkJobSchema = z.object({
  id: z.string(),
  instanceId: z.number().int(),
  objectName: z.string(),
  direction,
  status: bulkJobStatusSchema,
  recordsCount: z.number().int().describe('Download: rows written. Upload: rows handled (written + failed)'),
  recordsFailedCount: z.number().int(),
  progress: z.number().int().min(0).max(100),
  fileFormat: z.enum(['CSV', 'JSON', 'JSONL']).optional(),
  createdDate: dateTime,
  updatedDate: dateTime,
  startedDate: dateTime.optional(),
  completedDate: dateTime.optional(),
  statusMessage: z.string().optional(),
  notificationStatus: z.enum(['DELIVERED', 'FAILED']).optional(),
  jobStatus: bulkJobStatusSchema.describe('CE v3 spelling of status'),
  jobDirection: direction,
  recordCount: z.number().int(),
  errorCount: z.number().int(),
  completionTime: dateTime.nullable(),
  notificationUrl: z.string().nullable(),
  metaData: z.object({ 'callback-payload': z.unknown().optional() }),
  jobCriteria,
  instance_id: z.number().int(),
  object_name: z.string().describe('CE job-list spelling of objectName'),
  job_status: bulkJobStatusSchema,
  job_direction: direction,
  record_count: z.number().int(),
  error_count: z.number().int(),
  completion_time: dateTime.nullable(),
  notification_url: z.string().nullable(),
});
export type BulkJobView = z.infer<typeof bulkJobSchema>;

/** `GET /bulk/{id}/errors` items: one row an upload could not write. */
export const bulkRowErrorSchema = z.object({
  rowNumber: z.number().int().describe('1-based position among the data records (CSV header excluded)'),
  reason: z.string(),
  status: z.number().int().optional().describe("ServiceNow's HTTP status for the row, when it answered"),
  providerMessage: z.string().optional(),
});

/** `GET /bulk/{id}/{objectName}` while the file is converted to the asked format (202, Retry-After). */
export const bulkConvertingSchema = z.object({
  id: z.string(),
  status: z.literal('CONVERTING'),
  format: z.string().describe('The media type being produced'),
  message: z.string(),
});
