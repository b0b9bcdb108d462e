import { cancelJob, errorReportPage, jobView, listJobPage, ownJob } from '../../shared/bulk/api';
import { InvalidInputError } from '../../shared/errors';
import { pageHeaders } from '../../shared/hub/headers';
import { response } from '../middleware';
import type { BulkRequest, BulkRouteTable } from './context';

const pageSizeOf = (request: BulkRequest, fallback: number, max: number): number => {
  const raw = request.query.get('pageSize');
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new InvalidInputError(`pageSize must be an integer from 1 to ${max}`);
  return n;
};

/** An error report's `nextPage` token: the offset of the next row, base64url. */
const offsetOf = (token: string | null): number => {
  if (token === null || token === '') return 0;
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidInputError('Invalid nextPage token');
  return n;
};

const idOf = (request: BulkRequest) => request.params.id ?? '';

export const jobRoutes: BulkRouteTable = {
  'GET /bulk/jobs': async (request) => {
    const { jobs, nextToken } = await listJobPage(request.jobs, {
      where: request.query.get('where'),
      pageSize: pageSizeOf(request, 100, 500),
      token: request.query.get('nextPage'),
      tokenKey: () => request.pageTokenKey(),
    });
    return response(200, jobs, pageHeaders(jobs.length, nextToken));
  },
  'GET /bulk/{id}/status': async (request) => jobView(await ownJob(request.jobs, idOf(request))),
  /** The rows an upload could not write, paged (`pageSize` default 200, `nextPage`). */
  'GET /bulk/{id}/errors': async (request) => {
    const pageSize = pageSizeOf(request, 200, 1000);
    const offset = offsetOf(request.query.get('nextPage'));
    const { items, more } = await errorReportPage(request.jobs, idOf(request), offset, pageSize);
    const next = more ? Buffer.from(String(offset + pageSize)).toString('base64url') : undefined;
    return response(200, items, pageHeaders(items.length, next));
  },
  'PUT /bulk/{id}/cancel': async (request) => jobView(await cancelJob(request.jobs, idOf(request))),
};
