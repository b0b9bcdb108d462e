import { downloadBodySchema, presignedUploadBodySchema } from '../bulk/api';
import type { OperationDescription } from './operations';
import { requestSchemaOf } from './schemas';
import type { JsonSchema } from './types';

/**
 * The bulk API, keyed like OPERATIONS (`METHOD /path`
 * without the `/hubs/helpdesk` prefix). Request schemas come from the zod schemas the handler uses.
 */
const STATUSES = ['CREATED', 'RUNNING', 'COMPLETED', 'CANCELLED', 'CANCELLATION_PENDING', 'ABORTED', 'ERROR'];

const created: JsonSchema = {
  type: 'object',
  required: ['id', 'status', 'instanceId'],
  properties: {
    id: { type: 'string', description: 'The job id' },
    status: { type: 'string', enum: ['CREATED'] },
    instanceId: { type: 'integer' },
  },
};

const job: JsonSchema = {
  type: 'object',
  required: [
    'id',
    'status',
    'objectName',
    'direction',
    'recordsCount',
    'recordsFailedCount',
    'progress',
    'createdDate',
  ],
  properties: {
    id: { type: 'string' },
    instanceId: { type: 'integer' },
    objectName: { type: 'string' },
    direction: { type: 'string', enum: ['DOWNLOAD', 'UPLOAD'] },
    status: { type: 'string', enum: STATUSES },
    recordsCount: {
      type: 'integer',
      description: 'Download: rows written. Upload: rows handled (written + failed)',
    },
    recordsFailedCount: { type: 'integer' },
    progress: { type: 'integer', minimum: 0, maximum: 100 },
    fileFormat: { type: 'string', enum: ['CSV', 'JSON', 'JSONL'] },
    createdDate: { type: 'string', format: 'date-time' },
    updatedDate: { type: 'string', format: 'date-time' },
    startedDate: { type: 'string', format: 'date-time' },
    completedDate: { type: 'string', format: 'date-time' },
    statusMessage: { type: 'string' },
    notificationStatus: { type: 'string', enum: ['DELIVERED', 'FAILED'] },
    jobStatus: { type: 'string', description: 'CE v3 spelling of status' },
    jobDirection: { type: 'string' },
    recordCount: { type: 'integer' },
    errorCount: { type: 'integer' },
    object_name: { type: 'string', description: 'CE job-list spelling of objectName' },
    job_status: { type: 'string' },
    job_direction: { type: 'string' },
  },
};

const rowError: JsonSchema = {
  type: 'object',
  required: ['rowNumber', 'reason'],
  properties: {
    rowNumber: {
      type: 'integer',
      description: '1-based position among the data records (CSV header excluded)',
    },
    reason: { type: 'string' },
    status: { type: 'integer', description: "ServiceNow's HTTP status for the row, when it answered" },
    providerMessage: { type: 'string' },
  },
};

const uploadForm: JsonSchema = {
  type: 'object',
  required: ['file'],
  properties: {
    file: {
      type: 'string',
      contentMediaType: 'application/octet-stream',
      description: 'CSV (header row), a JSON array of objects, or JSON lines',
    },
    metaData: {
      type: 'string',
      contentMediaType: 'application/json',
      description:
        'JSON: {"format": "csv"|"json"|"jsonl", "identifierFieldName": "number" (upsert), "callback-payload": {...}}',
    },
  },
};

const callbackNote =
  "When the job ends, its summary {id, instanceId, objectName, direction, status, recordsCount, recordsFailedCount, completedAt, callback-payload?} is POSTed to the Elements-Async-Callback-Url header (or notificationUrl), signed with Elements-Webhook-Signature (HMAC-SHA256 of the body with the instance's event.notification.signature.key) when set. The URL is refused with 400 when the SSRF guard refuses it.";

export const BULK_OPERATIONS: Record<string, OperationDescription> = {
  'POST /bulk/query': {
    tag: 'bulk',
    summary: 'Start a download job from a query: q=select * from incidents where ... order by ...',
    description: `Query: q (required; a field list instead of * and "order by" work too), from / lastRunDate and to (ISO dates on bulk.query.field_name, default sys_updated_on), partitions (1-16, parallel sys_id ranges), format (text/csv, application/json = one record per line, application/jsonl). Optional metaData form field or JSON. Unknown fields are refused with 400. ${callbackNote}`,
    response: created,
  },
  'POST /bulk/download': {
    tag: 'bulk',
    summary: 'Start a download job (CE bulk v3 body)',
    description: `continueFromJobId: without "from", take the rows changed since that earlier COMPLETED download of the same object started. partitions (1-16): read that many sys_id ranges in parallel into the same file (not with orderBy or limit). ${callbackNote}`,
    requestBody: {
      required: true,
      content: { 'application/json': { schema: requestSchemaOf(downloadBodySchema) } },
    },
    response: created,
  },
  'GET /bulk/jobs': {
    tag: 'bulk',
    summary: 'List bulk jobs, newest first',
    description:
      "where: AND of = conditions on object_name, job_status, job_direction (e.g. job_status='COMPLETED'); pageSize (default 100, max 500); nextPage from Elements-Next-Page-Token.",
    response: { type: 'array', items: job },
    paged: true,
  },
  'GET /bulk/{id}/status': { tag: 'bulk', summary: 'The status and counts of a bulk job', response: job },
  'GET /bulk/{id}/errors': {
    tag: 'bulk',
    summary: 'The rows an upload could not write, with the reason',
    description: 'pageSize (default 200, max 1000); nextPage from Elements-Next-Page-Token.',
    response: { type: 'array', items: rowError },
    paged: true,
  },
  'PUT /bulk/{id}/cancel': {
    tag: 'bulk',
    summary:
      'Cancel a job: CANCELLED at once when not started, else CANCELLATION_PENDING until the worker stops',
    response: job,
  },
  'GET /bulk/{id}/{objectName}': {
    tag: 'bulk',
    summary: 'The file of a COMPLETED download',
    description:
      "Any job in any format, by Accept: text/csv, application/json (JSON lines; the job's own array for a job created as application/json), application/jsonl, application/json; format=array, or */* (the job's own format). A format other than the job's is converted once by the worker: 202 with Retry-After until it is ready. The answer is a 302 to a presigned URL valid for 5 minutes (S3 in AWS, the local server in local mode). 406 for an Accept naming no format, 409 while the job is not COMPLETED.",
    response: { type: 'string' },
    responseMediaType: 'text/csv',
  },
  'POST /bulk/{id}': {
    tag: 'bulk',
    summary: 'Upload a file into the object {id} (multipart/form-data)',
    description: `The file is checked before anything is stored: binary or mismatched content is 415, an empty file 400, a file above the multipart limit (4 MiB in AWS, ELEMENT_BULK_MAX_MULTIPART_BYTES) 413 — use POST /bulk/{objectName}/uploads for larger files. Rows are written in the background; failed rows are listed by GET /bulk/{id}/errors. ${callbackNote}`,
    requestBody: { required: true, content: { 'multipart/form-data': { schema: uploadForm } } },
    response: created,
  },
  'POST /bulk/{id}/uploads': {
    tag: 'bulk',
    summary: 'Start an upload of a large file through a presigned S3 PUT URL',
    description:
      'Creates the job (CREATED) and answers {id, status, instanceId, uploadUrl, method: "PUT", headers, expiresAt}. PUT the file to uploadUrl with exactly those headers before expiresAt (15 minutes); the job starts when the object lands (S3 notification -> bulk queue). A job whose URL expired without a file becomes ABORTED. Local mode has no presigned URLs: 501, use POST /bulk/{objectName}.',
    requestBody: {
      required: true,
      content: { 'application/json': { schema: requestSchemaOf(presignedUploadBodySchema) } },
    },
    response: {
      type: 'object',
      required: ['id', 'status', 'instanceId', 'uploadUrl', 'method', 'headers', 'expiresAt'],
      properties: {
        ...(created.properties as Record<string, JsonSchema>),
        uploadUrl: { type: 'string', format: 'uri' },
        method: { type: 'string', enum: ['PUT'] },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        expiresAt: { type: 'string', format: 'date-time' },
      },
    },
  },
};
