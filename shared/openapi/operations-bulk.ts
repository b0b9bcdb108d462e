import { errorRef } from './responses';
import { arrayOf, jsonBody, schemaRef } from './schemas';
import type { OperationDescription } from './types';

/**
 * The bulk API, keyed like OPERATIONS (`METHOD /path` without the `/hubs/helpdesk` prefix); bodies are
 * the zod schemas of shared/bulk/api.
 */
const created = schemaRef('BulkJobCreated');
const job = schemaRef('BulkJob');

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
    requestBody: jsonBody(schemaRef('BulkDownloadBody')),
    response: created,
  },
  'GET /bulk/jobs': {
    tag: 'bulk',
    summary: 'List bulk jobs, newest first',
    description:
      "where: AND of = conditions on object_name, job_status, job_direction (e.g. job_status='COMPLETED'); pageSize (default 100, max 500); nextPage from Elements-Next-Page-Token.",
    response: arrayOf('BulkJob'),
    paged: true,
  },
  'GET /bulk/{id}/status': { tag: 'bulk', summary: 'The status and counts of a bulk job', response: job },
  'GET /bulk/{id}/errors': {
    tag: 'bulk',
    summary: 'The rows an upload could not write, with the reason',
    description: 'pageSize (default 200, max 1000); nextPage from Elements-Next-Page-Token.',
    response: arrayOf('BulkRowError'),
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
    // CSV text, JSON lines, or a JSON array (application/json; format=array): no one JSON Schema type.
    response: { description: 'The file in the asked format' },
    responseMediaTypes: ['text/csv', 'application/json', 'application/jsonl'],
    otherResponses: {
      '202': {
        description: 'The file is being converted to the asked format: ask again after Retry-After seconds',
        headers: {
          'Elements-Request-Id': { $ref: '#/components/headers/Elements-Request-Id' },
          'Retry-After': { $ref: '#/components/headers/Retry-After' },
        },
        content: { 'application/json': { schema: schemaRef('BulkConverting') } },
      },
      '302': {
        description: 'The file: a presigned URL valid for 5 minutes (when the blob store can presign)',
        headers: {
          'Elements-Request-Id': { $ref: '#/components/headers/Elements-Request-Id' },
          Location: { $ref: '#/components/headers/Location' },
        },
      },
      '406': errorRef('406'),
      '410': errorRef('410'),
    },
  },
  'POST /bulk/{id}': {
    tag: 'bulk',
    summary: 'Upload a file into the object {id} (multipart/form-data)',
    description: `The file is checked before anything is stored: binary or mismatched content is 415, an empty file 400, a file above the multipart limit (4 MiB in AWS, ELEMENT_BULK_MAX_MULTIPART_BYTES) 413 — use POST /bulk/{objectName}/uploads for larger files. Rows are written in the background; failed rows are listed by GET /bulk/{id}/errors. ${callbackNote}`,
    requestBody: {
      required: true,
      content: { 'multipart/form-data': { schema: schemaRef('BulkUploadForm') } },
    },
    response: created,
  },
  'POST /bulk/{id}/uploads': {
    tag: 'bulk',
    summary: 'Start an upload of a large file through a presigned S3 PUT URL',
    description:
      'Creates the job (CREATED) and answers {id, status, instanceId, uploadUrl, method: "PUT", headers, expiresAt}. PUT the file to uploadUrl with exactly those headers before expiresAt (15 minutes); the job starts when the object lands (S3 notification -> bulk queue). A job whose URL expired without a file becomes ABORTED. The URL points to S3 in AWS and to the local server in local mode; a deployment whose file store cannot presign answers 501 (send the file to POST /bulk/{objectName} instead).',
    requestBody: jsonBody(schemaRef('BulkPresignedUploadBody')),
    response: schemaRef('BulkPresignedUpload'),
    otherResponses: { '501': errorRef('501') },
  },
};
