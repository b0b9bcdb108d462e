import { InternalError } from '../../errors';
import { retryDelaySeconds } from '../../events';
import type { QueueRecord } from '../../ports';
import { type NotifyJobDeps, notifyJobCompletion } from '../callback';
import {
  type BulkMessage,
  ClaimedByLiveWorkerError,
  endStalledJob,
  failBulkJob,
  type ProcessBulkDeps,
  processBulkMessage,
} from '../jobs';
import { messagesOf } from './messages';

/** Facts only (ids, statuses); never URLs, bodies or keys. */
export interface BulkWorkerLogger {
  info(message: string, fields: Record<string, string | number | boolean>): void;
  warn(message: string, fields: Record<string, string | number | boolean>): void;
}

/** 30 s, 60 s, 120 s... up to 15 minutes, with jitter: a few receives ride out a short outage. */
export const BULK_RETRY_DELAY = { baseSeconds: 30, maxSeconds: 900 };

export interface BulkQueueWorkerDeps {
  process: ProcessBulkDeps;
  callbacks: NotifyJobDeps;
  logger: BulkWorkerLogger;
  /** The queue's redrive maxReceiveCount: on that receive a failing message ends its job in ERROR. */
  maxReceiveCount?: number;
  /** A job whose record has not moved for this long ends in ERROR on its next redelivery. */
  stalledJobMs?: number;
  /**
   * Backoff for a failed message: make it visible again after `delaySeconds` (SQS
   * ChangeMessageVisibility) instead of after the queue's visibility timeout. A failure is logged; the
   * message then comes back after the default timeout.
   */
  retryLater?: (record: QueueRecord, delaySeconds: number) => Promise<void>;
}

/** Thrown for a record that must stay on the queue; the batch loop lists it in batchItemFailures. */
export class BulkMessageRetryError extends Error {
  constructor(readonly messageId: string) {
    super(`Bulk message ${messageId} is retried later`);
    this.name = 'BulkMessageRetryError';
  }
}

/**
 * What one message of a record asks of the queue: `ran` (its step ran or ended the job: send the
 * completion callback if the job is over now), `duplicate` (drop it), or `retry`.
 */
type MessageOutcome = { kind: 'ran' } | { kind: 'duplicate' } | { kind: 'retry'; afterSeconds?: number };

/**
 * The bulk queue's consumer, one record at a time: each message of a record runs one step of its job
 * (shared/bulk/jobs processBulkMessage), then the job's completion callback if it just ended. A failed
 * step is retried with backoff until the queue's last receive, which ends the job in ERROR instead of
 * leaving it RUNNING; records from the dead-letter queue end their jobs in ERROR.
 */
export class BulkQueueWorker {
  constructor(private readonly deps: BulkQueueWorkerDeps) {}

  /** Resolves when the record may be deleted; throws BulkMessageRetryError when it must come back. */
  async handleRecord(record: QueueRecord): Promise<void> {
    let retry: { afterSeconds?: number } | undefined;
    try {
      retry = await this.runRecord(record);
    } catch {
      retry = {};
    }
    if (retry === undefined) return;
    await this.retryLater(record, retry.afterSeconds);
    throw new BulkMessageRetryError(record.messageId);
  }

  /**
   * A record of the dead-letter queue: it failed or died on every receive (a worker killed on its last
   * attempt never got to end the job), so its job ends in ERROR rather than staying RUNNING with no
   * message left. Terminal jobs are left as they are.
   */
  async handleDeadLetter(record: QueueRecord): Promise<void> {
    for (const message of messagesOf(record.body)) {
      await failBulkJob(
        this.deps.process,
        message,
        new InternalError('The bulk job stopped: its worker failed on every attempt'),
      );
      this.deps.logger.warn('Bulk message dead-lettered; its job ends in ERROR', {
        jobId: message.jobId,
        instanceId: message.instanceId,
      });
    }
  }

  /** Undefined when the record may be deleted; otherwise when to see it again (default: backoff). */
  private async runRecord(record: QueueRecord): Promise<{ afterSeconds?: number } | undefined> {
    const messages = messagesOf(record.body);
    if (messages.length === 0) {
      this.deps.logger.warn('Dropped an unreadable or unrelated bulk message', {
        messageId: record.messageId,
      });
      return undefined;
    }
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    let retry: { afterSeconds?: number } | undefined;
    for (const message of messages) {
      const outcome = await this.runMessage(message, receiveCount);
      if (outcome.kind === 'retry') {
        const afterSeconds =
          outcome.afterSeconds === undefined
            ? retry?.afterSeconds
            : Math.max(retry?.afterSeconds ?? 0, outcome.afterSeconds);
        retry = afterSeconds === undefined ? {} : { afterSeconds };
      }
      if (outcome.kind === 'ran') await this.notify(message);
    }
    return retry;
  }

  private async runMessage(message: BulkMessage, receiveCount: number): Promise<MessageOutcome> {
    const { logger, process } = this.deps;
    const fields = { jobId: message.jobId, instanceId: message.instanceId, receiveCount };
    const last = this.deps.maxReceiveCount !== undefined && receiveCount >= this.deps.maxReceiveCount;
    try {
      if (receiveCount > 1 && (await endStalledJob(process, message, this.deps.stalledJobMs))) {
        logger.warn('Bulk job made no progress across attempts; it ends in ERROR', fields);
      } else {
        await processBulkMessage(message, process);
      }
      return { kind: 'ran' };
    } catch (error) {
      if (error instanceof ClaimedByLiveWorkerError) {
        if (last) {
          // Every earlier receive waited for the claim to go stale and it never did: its worker
          // lives (a long segment) and queues the next step itself, so this copy is a duplicate.
          logger.info('Bulk job step is still run by a live worker; dropped a duplicate message', fields);
          return { kind: 'duplicate' };
        }
        // Another worker may still run this step: look again once its claim would be stale.
        logger.info('Bulk job step is claimed by another worker; retrying later', fields);
        return { kind: 'retry', afterSeconds: error.retryAfterSeconds };
      }
      if (!last) {
        logger.warn('Bulk message failed; it will be retried', fields);
        return { kind: 'retry' };
      }
      // The queue gives up after this receive: end the job rather than leave it RUNNING forever.
      logger.warn('Bulk message failed on its last attempt; the job ends in ERROR', fields);
      await failBulkJob(process, message, error);
      return { kind: 'ran' };
    }
  }

  /** A terminal job's completion callback, once (shared/bulk/callback), logged without URL or body. */
  private async notify(message: BulkMessage): Promise<void> {
    const { logger } = this.deps;
    try {
      const sent = await notifyJobCompletion(this.deps.callbacks, message.instanceId, message.jobId);
      if (sent === undefined) return;
      const { job, outcome } = sent;
      const fields = {
        jobId: job.id,
        instanceId: job.instanceId,
        status: job.status,
        attempts: outcome.attempts,
      };
      if (outcome.delivered) logger.info('Bulk job callback delivered', fields);
      else logger.warn('Bulk job callback failed', { ...fields, reason: outcome.reason ?? 'unknown' });
    } catch {
      // The job's result stands; only the record of the callback attempt is lost.
      logger.warn('Bulk job callback could not be recorded', { jobId: message.jobId });
    }
  }

  private async retryLater(record: QueueRecord, afterSeconds: number | undefined): Promise<void> {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
    const delay = afterSeconds ?? retryDelaySeconds(receiveCount, BULK_RETRY_DELAY);
    try {
      await this.deps.retryLater?.(record, delay);
    } catch (error) {
      this.deps.logger.warn(
        'Could not delay the retry of a bulk message; it returns after the visibility timeout',
        {
          messageId: record.messageId,
          error: error instanceof Error ? error.name : 'unknown',
        },
      );
    }
  }
}
