import { checkCallbackUrl } from '../../shared/bulk/callback';
import { type BulkJob, bulkMessage, type CreateJobInput, createJob, updateJob } from '../../shared/bulk/jobs';
import { UnavailableError } from '../../shared/errors';
import { type BulkRequest, headerOf } from './context';

export const CALLBACK_HEADER = 'Elements-Async-Callback-Url';

/** The job's callback URL (header wins over the body's notificationUrl), SSRF-checked now: 400 if refused. */
export const callbackUrlOf = async (request: BulkRequest, fromBody?: string): Promise<string | undefined> => {
  const url = headerOf(request.event, CALLBACK_HEADER) ?? fromBody;
  if (url === undefined || url.trim() === '') return undefined;
  return checkCallbackUrl(url.trim(), { allowedHosts: request.deps.allowedHosts });
};

const now = (request: BulkRequest) => () => request.deps.now().getTime();

/**
 * Creates the job and queues its first message. When the queue refuses, the job is marked ERROR and
 * the caller gets a 503: a CREATED job nobody will ever run must not be left behind.
 */
export async function startJob(
  request: BulkRequest,
  input: Omit<CreateJobInput, 'instanceId'>,
  options: { queue?: boolean } = {},
): Promise<BulkJob> {
  const queue = request.queue();
  const job = await createJob(
    request.deps.stateTable,
    { ...input, instanceId: String(request.instance.id) },
    now(request),
  );
  if (options.queue === false) return job;
  const kind = job.direction === 'download' ? 'download-chunk' : 'upload';
  let failed = true;
  try {
    failed =
      (await queue.sendBatch([bulkMessage({ jobId: job.id, instanceId: job.instanceId, kind, chunk: 0 })]))
        .failed.length > 0;
  } catch {
    failed = true;
  }
  if (failed) {
    await updateJob(
      request.deps.stateTable,
      job,
      {
        status: 'ERROR',
        error: 'The job could not be queued',
        completedAt: request.deps.now().toISOString(),
      },
      now(request),
      { conditional: false },
    );
    throw new UnavailableError('The bulk job could not be queued; try again later');
  }
  return job;
}

/**
 * The answer CE gives for a new job (`BulkQuery` / `BulkUploadResponse`): CE documents
 * `instance_id` for a query and `instanceId` for an upload, so both are there.
 */
export const createdView = (job: BulkJob) => ({
  id: job.id,
  status: job.status,
  instanceId: Number(job.instanceId),
  instance_id: Number(job.instanceId),
});
