import { createInterface } from 'node:readline';
import { jobView, parseJobsWhere, signJobsToken, verifyJobsToken } from '../../shared/bulk/api';
import {
  type BulkJob,
  bulkMessage,
  getJob,
  listJobs,
  requestCancel,
  TERMINAL_STATUSES,
  updateJob,
} from '../../shared/bulk/jobs';
import { ConflictError, InvalidInputError, NotFoundError } from '../../shared/errors';
import { NEXT_PAGE_TOKEN_HEADER, RETURNED_COUNT_HEADER } from '../../shared/hub/headers';
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

const now = (request: BulkRequest) => () => request.deps.now().getTime();

/**
 * The caller's job (404 otherwise). A presigned upload whose URL expired with no file is ABORTED
 * here, on read: nothing else would ever end it.
 */
const ownJob = async (request: BulkRequest): Promise<BulkJob> => {
  const id = request.params.id ?? '';
  const job = await getJob(request.deps.stateTable, String(request.instance.id), id);
  if (job === undefined) throw new NotFoundError(`No bulk job ${id.slice(0, 128)}`);
  const until = job.upload?.awaitingFileUntil;
  // A minute of grace: a PUT that started just before expiry may still be landing.
  if (
    job.status === 'CREATED' &&
    until !== undefined &&
    Date.parse(until) + 60_000 < request.deps.now().getTime()
  ) {
    return updateJob(
      request.deps.stateTable,
      job,
      {
        status: 'ABORTED',
        error: 'No file was uploaded before the upload URL expired',
        completedAt: request.deps.now().toISOString(),
      },
      now(request),
    ).catch(() => job);
  }
  return job;
};

const status = async (request: BulkRequest) => jobView(await ownJob(request));

/**
 * `PUT /bulk/{id}/cancel`: a job not started yet is CANCELLED at once (and its callback queued), a
 * running one becomes CANCELLATION_PENDING until the worker stops it at its next check.
 */
const cancel = async (request: BulkRequest) => {
  const before = await ownJob(request);
  if (TERMINAL_STATUSES.has(before.status)) {
    throw new ConflictError(`The bulk job is already ${before.status}; there is nothing to cancel`);
  }
  const job = await requestCancel(
    request.deps.stateTable,
    String(request.instance.id),
    request.params.id ?? '',
    now(request),
  );
  if (job === undefined) throw new NotFoundError('No such bulk job');
  if (job.status === 'CANCELLED' && job.startedAt === undefined) {
    if (job.upload !== undefined)
      await request
        .blobStore()
        .delete(job.upload.blobKey)
        .catch(() => undefined);
    if (job.notificationUrl !== undefined) {
      // The worker delivers the callback; a failed send only loses the notification, not the cancel.
      await request
        .queue()
        .sendBatch([
          {
            ...bulkMessage({ jobId: job.id, instanceId: job.instanceId, kind: 'notify' }),
            id: `${job.id}-notify`,
          },
        ])
        .catch(() => undefined);
    }
  }
  return jobView(job);
};

/** `GET /bulk/jobs`: newest first, CEQL `where` over the job fields (parseJobsWhere), token paging. */
const jobs = async (request: BulkRequest) => {
  const where = request.query.get('where');
  const { matches, ...filter } = parseJobsWhere(where);
  const pageSize = pageSizeOf(request, 100, 500);
  const scope = `${request.instance.id}|${where ?? ''}`;
  const token = request.query.get('nextPage');
  let cursor = token ? verifyJobsToken(request.pageTokenKey(), scope, token) : undefined;
  const items: BulkJob[] = [];
  // Filters apply after each index read; reading at most what is still missing means nothing read is
  // dropped, and the next token resumes exactly after the last job shown (bounded reads per call).
  for (let reads = 0; reads < 10 && items.length < pageSize; reads++) {
    const page = await listJobs(request.deps.stateTable, String(request.instance.id), {
      ...filter,
      limit: pageSize - items.length,
      ...(cursor === undefined ? {} : { cursor }),
    });
    items.push(...(matches === undefined ? page.items : page.items.filter(matches)));
    cursor = page.cursor;
    if (cursor === undefined) break;
  }
  const headers: Record<string, string> = { [RETURNED_COUNT_HEADER]: String(items.length) };
  if (cursor !== undefined)
    headers[NEXT_PAGE_TOKEN_HEADER] = signJobsToken(request.pageTokenKey(), scope, cursor);
  return response(200, items.map(jobView), headers);
};

const offsetOf = (token: string | null): number => {
  if (token === null || token === '') return 0;
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidInputError('Invalid nextPage token');
  return n;
};

/**
 * `GET /bulk/{id}/errors`: the rows an upload could not write, `{rowNumber, reason, status?,
 * providerMessage?}`, from the job's error report, paged (`pageSize` default 200, `nextPage`).
 */
const errors = async (request: BulkRequest) => {
  const job = await ownJob(request);
  const pageSize = pageSizeOf(request, 200, 1000);
  const offset = offsetOf(request.query.get('nextPage'));
  const items: unknown[] = [];
  let more = false;
  let index = 0;
  // One report per upload segment, in row order: read on across them until the page is full.
  for (const key of job.upload?.errorReportKeys ?? []) {
    if (more) break;
    const object = await request.blobStore().get(key);
    if (object === undefined) continue;
    const lines = createInterface({ input: object.body, crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      if (index >= offset + pageSize) {
        more = true;
        break;
      }
      if (index >= offset) items.push(JSON.parse(line));
      index++;
    }
    lines.close();
    object.body.destroy();
  }
  const headers: Record<string, string> = { [RETURNED_COUNT_HEADER]: String(items.length) };
  if (more) headers[NEXT_PAGE_TOKEN_HEADER] = Buffer.from(String(offset + pageSize)).toString('base64url');
  return response(200, items, headers);
};

export const jobRoutes: BulkRouteTable = {
  'GET /bulk/jobs': jobs,
  'GET /bulk/{id}/status': status,
  'GET /bulk/{id}/errors': errors,
  'PUT /bulk/{id}/cancel': cancel,
};
