import type { QueueRecord } from '../ports';
import { type DispatchLogger, parseRecord } from './dispatch';
import { type EventLog, MAX_STORED_BODY_BYTES } from './event-log';

/**
 * The consumer of the events dead-letter queue: a message that lands there (its receives ran out, even
 * when no attempt got to log its end: a process killed mid-delivery) turns its log entry DEAD with the
 * body stored, so `POST /instances/{id}/events/{eventId}/redeliver` can queue it again and the log
 * never says QUEUED or FAILED for a message no queue holds. An entry already DELIVERED or DEAD stays so.
 *
 * The answer keeps (lists as failed) the messages whose body is too large to store, so they stay in
 * the dead-letter queue for an operator; every other message is deleted from it: its body is in the log.
 */
export interface DeadLetterDeps {
  eventLog: EventLog;
  logger?: DispatchLogger;
}

/** Thrown to keep a dead letter in its queue (its body is too large to store, or recording failed). */
export class KeepDeadLetterError extends Error {
  override name = 'KeepDeadLetterError';
}

/**
 * One dead letter (the SQS batch loop calls this per record): resolves when the queue may delete it,
 * throws when it must stay.
 */
export const recordDeadLetter = async (record: QueueRecord, deps: DeadLetterDeps): Promise<void> => {
  const parsed = parseRecord(record);
  if (!parsed) {
    deps.logger?.warn('Dropped an unreadable dead-letter event message', { messageId: record.messageId });
    return;
  }
  const fields = { messageId: record.messageId, instanceId: parsed.instanceId, eventId: parsed.eventId };
  try {
    const logged = await deps.eventLog.get(parsed.instanceId, parsed.eventId);
    // DEAD already: the dispatcher logged the last attempt (and stored the body) itself.
    if (logged?.status !== 'DELIVERED' && logged?.status !== 'DEAD') {
      const sentAt = Number(record.attributes.SentTimestamp);
      await deps.eventLog.recordAttempt({
        instanceId: parsed.instanceId,
        eventId: parsed.eventId,
        status: 'DEAD',
        attempted: false,
        error:
          logged?.lastError === undefined
            ? 'moved to the dead-letter queue'
            : `moved to the dead-letter queue; last error: ${logged.lastError}`,
        ...(parsed.objectType === undefined ? {} : { objectType: parsed.objectType }),
        ...(parsed.eventCount === undefined ? {} : { eventCount: parsed.eventCount }),
        ...(Number.isFinite(sentAt) && sentAt > 0 ? { queuedAt: new Date(sentAt) } : {}),
        body: record.body,
      });
      deps.logger?.warn('Recorded a dead-lettered event message', fields);
    }
  } catch (error) {
    deps.logger?.warn('Dead-letter event message not recorded; will retry', {
      ...fields,
      error: (error as Error).name,
    });
    throw error;
  }
  if (Buffer.byteLength(record.body) > MAX_STORED_BODY_BYTES) {
    throw new KeepDeadLetterError('body too large for the event log: kept in the dead-letter queue');
  }
};
