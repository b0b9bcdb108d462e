import type { OutboundAgent } from '../../net';
import { type AllowedHosts, checkCallbackUrl, checkOutboundUrl, type Resolver } from '../../net';
import type { StateTable } from '../../ports';
import type { BackoffPolicy, RandomSource } from '../../resilience';
import { postWebhookWithRetry, webhookHeaders } from '../../webhooks';
import { type BulkJob, getJob, jobKey, TERMINAL_STATUSES } from '../jobs';

/**
 * The callback URL of a new job (`Elements-Async-Callback-Url` or `notificationUrl`): 400 when refused
 * (shared/net checkCallbackUrl); the delivery checks again.
 */
export { checkCallbackUrl };

/** The JSON POSTed when a job ends. CE does not document the shape; this is ours. */
export const callbackBody = (job: BulkJob): string =>
  JSON.stringify({
    id: job.id,
    instanceId: Number(job.instanceId),
    objectName: job.objectName,
    direction: job.direction === 'download' ? 'DOWNLOAD' : 'UPLOAD',
    status: job.status,
    recordsCount: job.recordsCount,
    recordsFailedCount: job.recordsFailedCount,
    ...(job.completedAt === undefined ? {} : { completedAt: job.completedAt }),
    ...(job.error === undefined ? {} : { statusMessage: job.error }),
    ...(job.callbackPayload === undefined ? {} : { 'callback-payload': job.callbackPayload }),
  });

const CALLBACK_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 30_000, minMs: 100 };

export interface CallbackDeps {
  /** The SSRF-guarded keep-alive agent (`sharedOutboundAgent(allowedHosts)`). */
  http: OutboundAgent;
  allowedHosts: AllowedHosts;
  resolver?: Resolver;
  /** The instance's `event.notification.signature.key` (from its secret), if set. */
  signingKey(instanceId: string): Promise<string | undefined>;
  /** Attempts within this invocation (default 3). */
  attempts?: number;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Backoff between attempts (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
  random?: RandomSource;
}

export interface CallbackOutcome {
  delivered: boolean;
  attempts: number;
  statusCode?: number;
  /** Safe to log: no URL, no body. */
  reason?: string;
}

export const DEFAULT_CALLBACK_ATTEMPTS = 3;

/**
 * POSTs the job summary to its callback URL, signed with `Elements-Webhook-Signature` when the
 * instance has a signature key (bulk callbacks use the same key). A few attempts with
 * exponential backoff inside this invocation; never throws: the job's result does not depend on it.
 */
export async function deliverJobCallback(job: BulkJob, deps: CallbackDeps): Promise<CallbackOutcome> {
  if (job.notificationUrl === undefined) return { delivered: false, attempts: 0, reason: 'no callback URL' };
  let url: URL;
  try {
    url = await checkOutboundUrl(job.notificationUrl, {
      allowedHosts: deps.allowedHosts,
      ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
    });
  } catch (error) {
    return { delivered: false, attempts: 0, reason: error instanceof Error ? error.message : 'invalid URL' };
  }
  const body = callbackBody(job);
  let key: string | undefined;
  try {
    key = await deps.signingKey(job.instanceId);
  } catch {
    key = undefined; // an unreadable secret must not stop the notification; it goes unsigned
  }
  const { attempt, attempts } = await postWebhookWithRetry(
    deps.http,
    url,
    body,
    webhookHeaders(`bulk-${job.id}`, body, key),
    {
      attempts: deps.attempts ?? DEFAULT_CALLBACK_ATTEMPTS,
      timeoutMs: deps.timeoutMs ?? 10_000,
      backoff: CALLBACK_BACKOFF,
      ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
      ...(deps.random === undefined ? {} : { random: deps.random }),
    },
  );
  return {
    delivered: attempt.ok,
    attempts,
    ...(attempt.statusCode === undefined ? {} : { statusCode: attempt.statusCode }),
    ...(attempt.ok ? {} : { reason: attempt.reason }),
  };
}

export interface NotifyJobDeps extends CallbackDeps {
  stateTable: StateTable;
  now: () => Date;
}

/**
 * The completion callback of a terminal job, sent once: a job with a callback URL and no recorded
 * attempt gets it now, and the outcome is recorded on the job so a redelivered message does not send
 * it again. Undefined when there was nothing to send.
 */
export async function notifyJobCompletion(
  deps: NotifyJobDeps,
  instanceId: string,
  jobId: string,
): Promise<{ job: BulkJob; outcome: CallbackOutcome } | undefined> {
  const job = await getJob(deps.stateTable, instanceId, jobId);
  if (job === undefined || !TERMINAL_STATUSES.has(job.status) || job.notificationUrl === undefined) return;
  if (job.callback !== undefined) return;
  const outcome = await deliverJobCallback(job, deps);
  await deps.stateTable.update(
    jobKey(job.instanceId, job.id),
    {
      callback: {
        status: outcome.delivered ? 'DELIVERED' : 'FAILED',
        attempts: outcome.attempts,
        at: deps.now().toISOString(),
        ...(outcome.statusCode === undefined ? {} : { statusCode: outcome.statusCode }),
      },
    },
    { ifExists: true },
  );
  return { job, outcome };
}
