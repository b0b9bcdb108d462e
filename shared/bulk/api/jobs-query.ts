import { createHmac, timingSafeEqual } from 'node:crypto';
import { badRequest } from '../../errors';
import { type Expression, parseWhere } from '../../hub/ceql';
import type { BulkDirection, BulkJobStatus, ListJobsOptions } from '../jobs';

const STATUSES: readonly BulkJobStatus[] = [
  'CREATED',
  'RUNNING',
  'COMPLETED',
  'CANCELLED',
  'CANCELLATION_PENDING',
  'ABORTED',
  'ERROR',
];

type JobFilter = Pick<ListJobsOptions, 'status' | 'direction' | 'objectName'>;

const FIELDS: Record<string, keyof JobFilter> = {
  object_name: 'objectName',
  objectName: 'objectName',
  job_status: 'status',
  status: 'status',
  jobStatus: 'status',
  job_direction: 'direction',
  direction: 'direction',
  jobDirection: 'direction',
};

const conditions = (expression: Expression): Expression[] => {
  if (expression.kind === 'and') return expression.operands.flatMap(conditions);
  if (expression.kind === 'or') throw badRequest('GET /bulk/jobs: where supports AND of = conditions only');
  return [expression];
};

/**
 * `GET /bulk/jobs?where=object_name='incidents' and job_status='COMPLETED' and job_direction='DOWNLOAD'`
 * (research 6): CEQL syntax, `=` conditions joined by AND on object_name, job_status, job_direction.
 */
export function parseJobsWhere(where: string | null | undefined): JobFilter {
  if (where === null || where === undefined || where.trim() === '') return {};
  const filter: JobFilter = {};
  for (const condition of conditions(parseWhere(where))) {
    if (condition.kind !== 'compare' || condition.operator !== '=') {
      throw badRequest('GET /bulk/jobs: where supports AND of = conditions only');
    }
    const key = Object.hasOwn(FIELDS, condition.field) ? FIELDS[condition.field] : undefined;
    if (key === undefined) {
      throw badRequest(
        `GET /bulk/jobs: unknown field '${condition.field.slice(0, 100)}'; use object_name, job_status or job_direction`,
      );
    }
    const value = String(condition.value.value);
    if (key === 'status') {
      const status = value.toUpperCase() as BulkJobStatus;
      if (!STATUSES.includes(status))
        throw badRequest(`GET /bulk/jobs: job_status must be one of ${STATUSES.join(', ')}`);
      filter.status = status;
    } else if (key === 'direction') {
      const direction = value.toLowerCase();
      if (direction !== 'download' && direction !== 'upload')
        throw badRequest('GET /bulk/jobs: job_direction must be DOWNLOAD or UPLOAD');
      filter.direction = direction as BulkDirection;
    } else {
      filter.objectName = value;
    }
  }
  return filter;
}

/**
 * `Elements-Next-Page-Token` of the job list: the state table's cursor with an HMAC bound to the
 * instance and the filter, so a token cannot be replayed on another instance or edited.
 */
const mac = (key: Buffer, scope: string, cursor: string) =>
  createHmac('sha256', key).update(`bulk-jobs|${scope}|${cursor}`).digest('base64url');

export const signJobsToken = (key: Buffer, scope: string, cursor: string): string =>
  `${Buffer.from(cursor).toString('base64url')}.${mac(key, scope, cursor)}`;

export const verifyJobsToken = (key: Buffer, scope: string, token: string): string => {
  const [payload, signature] = token.split('.');
  if (payload === undefined || signature === undefined || token.length > 2048)
    throw badRequest('Invalid nextPage token');
  const cursor = Buffer.from(payload, 'base64url').toString('utf8');
  const expected = Buffer.from(mac(key, scope, cursor));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    throw badRequest('Invalid nextPage token');
  return cursor;
};
