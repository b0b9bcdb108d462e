import type { OutboundAgent } from '../net';
import { type AllowedHosts, checkOutboundUrl, type Resolver } from '../net';
import type { QueueRecord } from '../ports';
import { backoffDelay, type RandomSource } from '../resilience';
import { findRefusal, postWebhook, type WebhookAttempt, webhookHeaders } from '../webhooks';
import { parseEventsConfig } from './configuration';
import type { EventLog, EventLogEntry } from './event-log';

/**
 * The dispatcher: POSTs each queued callback body to the instance's callback URL
 * and answers like a Lambda with ReportBatchItemFailures, so only the failed messages come back
 * (after the queue's visibility timeout) and one bad callback never holds up the others.
 *
 * - The configuration (enabled flag, URL, signature key) is read at delivery time, so a PATCH applies to
 *   messages already queued.
 * - Dropped without retry (log DEAD, message deleted): unknown/disabled instance, events disabled, no or
 *   invalid callback URL, URL refused by the SSRF guard, unreadable message. Retrying cannot fix these.
 * - Retried (log FAILED, message listed in batchItemFailures): any non-2xx (3xx too: redirects are never
 *   followed), timeout, connection error. On the last allowed receive (`ApproximateReceiveCount >=
 *   maxReceiveCount`) the log says DEAD: the queue's redrive policy moves the message to the DLQ.
 * - Duplicates: SQS is at-least-once and the poller may re-send a message with the same `eventId` after
 *   a crash. A message whose log entry already says DELIVERED is acknowledged without a second POST.
 *   A crash between the 2xx and the log write still re-POSTs, so consumers de-duplicate on
 *   `Elements-Webhook-Id` (the eventId).
 */
export interface EventsTarget {
  instance: { id: number; disabled: boolean; eventsEnabled?: boolean };
  /** Instance configuration with the secret keys (`event.notification.signature.key`) merged in. */
  configuration: Record<string, unknown>;
}

/** Facts only (ids, statuses); the logger must never receive bodies, URLs or keys. */
export interface DispatchLogger {
  info(message: string, fields: Record<string, string | number | boolean>): void;
  warn(message: string, fields: Record<string, string | number | boolean>): void;
}

export interface DispatchDeps {
  loadInstance(instanceId: number): Promise<EventsTarget | undefined>;
  eventLog: EventLog;
  /** The SSRF-guarded keep-alive agent (`sharedOutboundAgent(allowedHosts)`). */
  http: OutboundAgent;
  allowedHosts: AllowedHosts;
  resolver?: Resolver;
  now: () => Date;
  /** Whole exchange (headers and body); default 10 s. */
  timeoutMs?: number;
  /** The queue's redrive maxReceiveCount; the receive that reaches it is the last attempt. */
  maxReceiveCount?: number;
  logger?: DispatchLogger;
  /**
   * Backoff: makes a failed message visible again after `delaySeconds` (SQS ChangeMessageVisibility).
   * Without it (local queue) the queue's fixed visibility timeout applies. Errors are logged: the
   * message then simply comes back after the default timeout.
   */
  retryLater?: (record: QueueRecord, delaySeconds: number) => Promise<void>;
  retryDelay?: RetryDelayPolicy;
}

export interface RetryDelayPolicy {
  baseSeconds: number;
  /** SQS caps a visibility timeout at 12 hours; keep retries within the queue's retention. */
  maxSeconds: number;
}

export const DEFAULT_RETRY_DELAY: RetryDelayPolicy = { baseSeconds: 30, maxSeconds: 900 };

/** Exponential in the receive count with full jitter, at least 1 s: 1st failure ~base, then 2x, 4x... */
export const retryDelaySeconds = (
  receiveCount: number,
  policy: RetryDelayPolicy = DEFAULT_RETRY_DELAY,
  random: RandomSource = Math.random,
): number =>
  Math.ceil(
    backoffDelay(
      receiveCount - 1,
      { baseMs: policy.baseSeconds * 1000, maxMs: policy.maxSeconds * 1000, minMs: 1000 },
      random,
    ) / 1000,
  );

export const DEFAULT_DISPATCH_TIMEOUT_MS = 10_000;
/** Deliveries in flight per batch (the dispatcher's SQS batch loop). */
export const DEFAULT_DISPATCH_CONCURRENCY = 5;

export type DeliveryResult =
  | { kind: 'delivered'; statusCode: number }
  | { kind: 'duplicate' }
  | { kind: 'dropped'; reason: string }
  | { kind: 'failed'; reason: string; statusCode?: number; dead: boolean };

interface Parsed {
  instanceId: number;
  eventId: string;
  objectType?: string;
  eventCount?: number;
}

const attribute = (record: QueueRecord, name: string): string | undefined =>
  record.messageAttributes[name]?.stringValue;

/** Routing facts from the message attributes, falling back to the body (older or hand-made messages). */
export const parseRecord = (record: QueueRecord): Parsed | undefined => {
  let message: Record<string, unknown> | undefined;
  try {
    const body = JSON.parse(record.body) as { message?: unknown };
    if (body && typeof body.message === 'object' && body.message !== null) {
      message = body.message as Record<string, unknown>;
    }
  } catch {
    message = undefined;
  }
  const instanceId = Number(attribute(record, 'instanceId') ?? message?.instanceId);
  const eventId = attribute(record, 'eventId') ?? message?.eventId;
  if (!message || !Number.isSafeInteger(instanceId) || typeof eventId !== 'string' || eventId === '') {
    return undefined;
  }
  const raw = message.raw as { objectType?: unknown } | undefined;
  const objectType = attribute(record, 'objectType') ?? raw?.objectType;
  return {
    instanceId,
    eventId,
    ...(typeof objectType === 'string' ? { objectType } : {}),
    ...(Array.isArray(message.events) ? { eventCount: message.events.length } : {}),
  };
};

type Attempt = WebhookAttempt;

/** One POST of the exact queued bytes; never follows redirects, never throws. */
const post = (
  deps: DispatchDeps,
  url: URL,
  body: string,
  headers: Record<string, string>,
): Promise<Attempt> =>
  postWebhook(deps.http, url, body, headers, deps.timeoutMs ?? DEFAULT_DISPATCH_TIMEOUT_MS);

/** Delivers one record; the result says whether the queue should keep it. */
export const deliverRecord = async (record: QueueRecord, deps: DispatchDeps): Promise<DeliveryResult> => {
  const parsed = parseRecord(record);
  const fields = (extra: Record<string, string | number | boolean> = {}) => ({
    messageId: record.messageId,
    ...(parsed ? { instanceId: parsed.instanceId, eventId: parsed.eventId } : {}),
    ...extra,
  });
  if (!parsed) {
    deps.logger?.warn('Dropped an unreadable event message', fields());
    return { kind: 'dropped', reason: 'unreadable message' };
  }
  const sentAt = Number(record.attributes.SentTimestamp);
  const base = {
    instanceId: parsed.instanceId,
    eventId: parsed.eventId,
    ...(parsed.objectType === undefined ? {} : { objectType: parsed.objectType }),
    ...(parsed.eventCount === undefined ? {} : { eventCount: parsed.eventCount }),
    ...(Number.isFinite(sentAt) && sentAt > 0 ? { queuedAt: new Date(sentAt) } : {}),
    // Kept (when small) so `POST /instances/{id}/events/{eventId}/redeliver` can queue it again.
    body: record.body,
  };
  const drop = async (reason: string): Promise<DeliveryResult> => {
    await deps.eventLog.recordAttempt({ ...base, status: 'DEAD', attempted: false, error: reason });
    deps.logger?.warn('Dropped an event message', fields({ reason }));
    return { kind: 'dropped', reason };
  };

  const logged: EventLogEntry | undefined = await deps.eventLog.get(parsed.instanceId, parsed.eventId);
  if (logged?.status === 'DELIVERED') {
    deps.logger?.info('Skipped an already delivered event message', fields());
    return { kind: 'duplicate' };
  }

  const receiveCount = Number(record.attributes.ApproximateReceiveCount);
  const last =
    deps.maxReceiveCount !== undefined &&
    Number.isFinite(receiveCount) &&
    receiveCount >= deps.maxReceiveCount;
  if (last) {
    // Written before the attempt: if this invocation dies (crash, timeout), the queue moves the
    // message to the dead-letter queue and the log must already say so, with the body stored for
    // `redeliver`. The attempt's own outcome overwrites it.
    await deps.eventLog.recordAttempt({
      ...base,
      status: 'DEAD',
      attempted: false,
      error: 'last attempt in progress, or interrupted: then the message is in the dead-letter queue',
    });
  }

  const target = await deps.loadInstance(parsed.instanceId);
  if (!target) return drop('instance not found');
  if (target.instance.disabled) return drop('instance disabled');
  let config: ReturnType<typeof parseEventsConfig>;
  try {
    config = parseEventsConfig(target.configuration);
  } catch (error) {
    return drop(`invalid events configuration: ${(error as Error).message}`);
  }
  if (!config.enabled || target.instance.eventsEnabled === false) return drop('events disabled');
  if (config.callbackUrl === undefined) return drop('no callback URL configured');

  let url: URL;
  try {
    url = await checkOutboundUrl(config.callbackUrl, {
      allowedHosts: deps.allowedHosts,
      ...(deps.resolver ? { resolver: deps.resolver } : {}),
    });
  } catch (error) {
    const refusal = findRefusal(error);
    return drop(`callback URL refused: ${refusal?.message ?? 'invalid URL'}`);
  }

  const headers = webhookHeaders(parsed.eventId, record.body, config.signatureKey);
  const attempt = await post(deps, url, record.body, headers);
  if (attempt.ok) {
    await deps.eventLog.recordAttempt({ ...base, status: 'DELIVERED', statusCode: attempt.statusCode });
    deps.logger?.info('Delivered an event message', fields({ statusCode: attempt.statusCode }));
    return { kind: 'delivered', statusCode: attempt.statusCode };
  }
  if (attempt.refused !== undefined) {
    // The connection-time check (DNS may have changed since checkOutboundUrl): a config problem too.
    await deps.eventLog.recordAttempt({
      ...base,
      status: 'DEAD',
      error: `callback URL refused: ${attempt.refused}`,
    });
    deps.logger?.warn('Dropped an event message', fields({ reason: 'callback URL refused' }));
    return { kind: 'dropped', reason: attempt.refused };
  }
  const dead = last;
  await deps.eventLog.recordAttempt({
    ...base,
    status: dead ? 'DEAD' : 'FAILED',
    error: attempt.reason,
    ...(attempt.statusCode === undefined ? {} : { statusCode: attempt.statusCode }),
  });
  deps.logger?.warn(
    dead ? 'Event delivery failed for the last time' : 'Event delivery failed; will retry',
    fields({ reason: attempt.reason, receiveCount }),
  );
  if (!dead && deps.retryLater) {
    const delay = retryDelaySeconds(Number.isFinite(receiveCount) ? receiveCount : 1, deps.retryDelay);
    // A failed visibility change leaves the message to the queue's own visibility timeout.
    await deps.retryLater(record, delay).catch((error: unknown) =>
      deps.logger?.warn('Could not delay the retry of an event message', {
        ...fields({ delaySeconds: delay }),
        error: error instanceof Error ? error.name : 'Error',
      }),
    );
  }
  return {
    kind: 'failed',
    reason: attempt.reason,
    dead,
    ...(attempt.statusCode === undefined ? {} : { statusCode: attempt.statusCode }),
  };
};

/** Thrown for a record the queue must hand out again (a failed, not dead, delivery). */
export class DeliveryRetryError extends Error {
  override name = 'DeliveryRetryError';
}

/**
 * One record of a batch (the SQS batch loop calls this per record): resolves when the queue may delete
 * the message, throws when it must come back. A record whose handling throws (e.g. the state table is
 * down) comes back too; only that record, never the whole batch.
 */
export const deliverOrRetry = async (record: QueueRecord, deps: DispatchDeps): Promise<void> => {
  let result: DeliveryResult;
  try {
    result = await deliverRecord(record, deps);
  } catch (error) {
    deps.logger?.warn('Event message handling failed; will retry', {
      messageId: record.messageId,
      error: (error as Error).name,
    });
    throw error;
  }
  if (result.kind === 'failed') throw new DeliveryRetryError(result.reason);
};
