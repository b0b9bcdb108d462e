import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Expression, parseWhere } from '../../ceql';
import { InvalidInputError } from '../../errors';
import type { BulkDirection, BulkJobStatus, ListJobsOptions } from '../jobs';
import { bulkJobStatusSchema } from './response-schemas';

const STATUSES: readonly BulkJobStatus[] = bulkJobStatusSchema.options;

type JobFilter = Pick<ListJobsOptions, 'status' | 'direction' | 'objectName'>;

/** The job fields `where` can name (CE's job-list names, and ours), as the job list shows them. */
type JobField =
  | 'object_name'
  | 'job_status'
  | 'job_direction'
  | 'record_count'
  | 'error_count'
  | 'created_date';

const FIELDS: Record<string, JobField> = {
  object_name: 'object_name',
  objectName: 'object_name',
  job_status: 'job_status',
  status: 'job_status',
  jobStatus: 'job_status',
  job_direction: 'job_direction',
  direction: 'job_direction',
  jobDirection: 'job_direction',
  record_count: 'record_count',
  recordCount: 'record_count',
  recordsCount: 'record_count',
  error_count: 'error_count',
  errorCount: 'error_count',
  recordsFailedCount: 'error_count',
  created_date: 'created_date',
  createdDate: 'created_date',
};

const NUMERIC: ReadonlySet<JobField> = new Set(['record_count', 'error_count']);

/** What `where` is evaluated against. */
export interface JobFacts {
  objectName: string;
  status: BulkJobStatus;
  direction: BulkDirection;
  recordsCount: number;
  recordsFailedCount: number;
  createdAt: string;
}

const factOf = (job: JobFacts, field: JobField): string | number => {
  switch (field) {
    case 'object_name':
      return job.objectName;
    case 'job_status':
      return job.status;
    case 'job_direction':
      return job.direction.toUpperCase();
    case 'record_count':
      return job.recordsCount;
    case 'error_count':
      return job.recordsFailedCount;
    case 'created_date':
      return job.createdAt;
  }
};

const fieldOf = (name: string): JobField => {
  const field = Object.hasOwn(FIELDS, name) ? FIELDS[name] : undefined;
  if (field === undefined) {
    throw new InvalidInputError(
      `GET /bulk/jobs: unknown field '${name.slice(0, 100)}'; use object_name, job_status, job_direction, record_count, error_count or created_date`,
    );
  }
  return field;
};

/** A literal in the field's terms: statuses and directions upper-cased (and checked), counts as numbers. */
const valueFor = (field: JobField, value: string | number | boolean): string | number => {
  const text = String(value);
  if (NUMERIC.has(field)) {
    const n = Number(text);
    if (!Number.isFinite(n)) throw new InvalidInputError(`GET /bulk/jobs: ${field} compares with numbers`);
    return n;
  }
  if (field === 'job_status') {
    const status = text.toUpperCase() as BulkJobStatus;
    if (!STATUSES.includes(status))
      throw new InvalidInputError(`GET /bulk/jobs: job_status must be one of ${STATUSES.join(', ')}`);
    return status;
  }
  if (field === 'job_direction') {
    const direction = text.toUpperCase();
    if (direction !== 'DOWNLOAD' && direction !== 'UPLOAD')
      throw new InvalidInputError('GET /bulk/jobs: job_direction must be DOWNLOAD or UPLOAD');
    return direction;
  }
  return text;
};

const compare = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

const likeRegExp = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('%')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );

/** The expression as a predicate over jobs; every field and value is checked once, up front. */
const compile = (expression: Expression): ((job: JobFacts) => boolean) => {
  if (expression.kind === 'and' || expression.kind === 'or') {
    const parts = expression.operands.map(compile);
    return expression.kind === 'and'
      ? (job) => parts.every((part) => part(job))
      : (job) => parts.some((part) => part(job));
  }
  const field = fieldOf(expression.field);
  switch (expression.kind) {
    case 'compare': {
      const value = valueFor(field, expression.value.value);
      const op = expression.operator;
      return (job) => {
        const c = compare(factOf(job, field), value);
        return op === '='
          ? c === 0
          : op === '!='
            ? c !== 0
            : op === '<'
              ? c < 0
              : op === '<='
                ? c <= 0
                : op === '>'
                  ? c > 0
                  : c >= 0;
      };
    }
    case 'in': {
      const values = expression.values.map((literal) => valueFor(field, literal.value));
      return (job) => values.includes(factOf(job, field)) !== expression.negated;
    }
    case 'like': {
      const regexp = likeRegExp(expression.pattern);
      return (job) => regexp.test(String(factOf(job, field))) !== expression.negated;
    }
    case 'null':
      return () => expression.negated;
  }
};

/** The `=` conditions of a top-level AND that the job index can filter on before reading further. */
const indexFilter = (expression: Expression): JobFilter => {
  const filter: JobFilter = {};
  const conditions = expression.kind === 'and' ? expression.operands : [expression];
  for (const condition of conditions) {
    if (condition.kind !== 'compare' || condition.operator !== '=') continue;
    const field = fieldOf(condition.field);
    const value = valueFor(field, condition.value.value);
    if (field === 'object_name') filter.objectName = String(value);
    else if (field === 'job_status') filter.status = value as BulkJobStatus;
    else if (field === 'job_direction') filter.direction = String(value).toLowerCase() as BulkDirection;
  }
  return filter;
};

export interface JobsQuery extends JobFilter {
  /** Absent when the index filter says it all. */
  matches?: (job: JobFacts) => boolean;
}

/**
 * `GET /bulk/jobs?where=object_name='incidents' and job_status='COMPLETED' and record_count > 0`
 *: CEQL over object_name, job_status, job_direction, record_count, error_count and
 * created_date, with AND, OR, parentheses, comparisons, IN and LIKE. Top-level `=` conditions on the
 * first three filter the index read; the rest is checked on each job.
 */
export function parseJobsWhere(where: string | null | undefined): JobsQuery {
  if (where === null || where === undefined || where.trim() === '') return {};
  const expression = parseWhere(where);
  const matches = compile(expression);
  return { ...indexFilter(expression), matches };
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
    throw new InvalidInputError('Invalid nextPage token');
  const cursor = Buffer.from(payload, 'base64url').toString('utf8');
  const expected = Buffer.from(mac(key, scope, cursor));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    throw new InvalidInputError('Invalid nextPage token');
  return cursor;
};
