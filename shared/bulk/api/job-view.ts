import type { BulkJob } from '../jobs';
import type { BulkJobView } from './response-schemas';

const FILE_FORMAT = { csv: 'CSV', json: 'JSON', jsonl: 'JSONL' } as const;

/** 0-100: stored by the upload worker, derived from the filter's count for downloads. */
export const progressOf = (job: BulkJob): number => {
  if (job.status === 'COMPLETED') return 100;
  if (job.progress !== undefined) return job.progress;
  const total = job.download?.total;
  if (total === undefined || total === 0) return 0;
  return Math.min(99, Math.floor((job.recordsCount / total) * 100));
};

/** What the job was asked to do (CE v3 `jobCriteria`): the object, the ServiceNow query, fields, order, limit. */
const jobCriteriaOf = (job: BulkJob) => {
  const download = job.download?.job;
  if (download === undefined) {
    return {
      objectName: job.objectName,
      ...(job.upload?.identifierField === undefined
        ? {}
        : { identifierFieldName: job.upload.identifierField }),
    };
  }
  return {
    objectName: job.objectName,
    query: download.encodedQuery,
    ...(download.fields === undefined || download.fields.length === 0
      ? {}
      : { selectFields: [...download.fields] }),
    ...(download.orderBy === undefined ? {} : { orderBy: download.orderBy }),
    ...(download.limit === undefined ? {} : { limit: download.limit }),
    ...(download.partitions === undefined ? {} : { partitions: download.partitions }),
  };
};

type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

/** The same fields with snake_case names (`jobStatus` -> `job_status`). */
const snakeCased = <T extends Record<string, unknown>>(fields: T) =>
  Object.fromEntries(
    Object.entries(fields).map(([name, value]) => [
      name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      value,
    ]),
  ) as { [K in keyof T & string as SnakeCase<K>]: T[K] };

/**
 * The job as the API shows it (`GET /bulk/{id}/status`, `GET /bulk/jobs`): CE v2 names (status,
 * recordsCount, recordsFailedCount) plus the v3 / job-list spellings (jobStatus, jobDirection,
 * recordCount, errorCount, object_name...) so clients of either keep working. Never the file keys,
 * the callback URL or the transformation.
 */
export const jobView = (job: BulkJob): BulkJobView => {
  const format = job.download?.job.format ?? job.upload?.format;
  const direction = job.direction === 'download' ? 'DOWNLOAD' : 'UPLOAD';
  const metaData = job.callbackPayload === undefined ? {} : { 'callback-payload': job.callbackPayload };
  const listFields = {
    jobStatus: job.status,
    jobDirection: direction,
    recordCount: job.recordsCount,
    errorCount: job.recordsFailedCount,
    completionTime: job.completedAt ?? null,
    notificationUrl: job.notificationUrl ?? null,
  } satisfies Partial<BulkJobView>;
  return {
    id: job.id,
    instanceId: Number(job.instanceId),
    objectName: job.objectName,
    direction,
    status: job.status,
    recordsCount: job.recordsCount,
    recordsFailedCount: job.recordsFailedCount,
    progress: progressOf(job),
    ...(format === undefined ? {} : { fileFormat: FILE_FORMAT[format] }),
    createdDate: job.createdAt,
    updatedDate: job.updatedAt,
    ...(job.startedAt === undefined ? {} : { startedDate: job.startedAt }),
    ...(job.completedAt === undefined ? {} : { completedDate: job.completedAt }),
    ...(job.error === undefined ? {} : { statusMessage: job.error }),
    ...(job.upload?.awaitingFileUntil !== undefined && job.status === 'CREATED'
      ? { statusMessage: `Waiting for the file (upload URL valid until ${job.upload.awaitingFileUntil})` }
      : {}),
    ...(job.callback === undefined ? {} : { notificationStatus: job.callback.status }),
    // CE v3 spellings, and the job list's snake_case ones.
    ...listFields,
    metaData,
    jobCriteria: jobCriteriaOf(job),
    instance_id: Number(job.instanceId),
    object_name: job.objectName,
    ...snakeCased(listFields),
  };
};
