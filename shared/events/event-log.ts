import { recordEventStatus } from '../metrics';
import { ConditionFailedError, type StateItem, type StateTable } from '../ports';
import { eventsPartition } from './checkpoint';

/**
 * The delivery log of an instance's callbacks (one item per queued message, keyed by its `eventId`):
 * `pk = EVENTS#<instanceId>`, `sk = EVENT#<eventId>`, next to the poller's checkpoints. Items also carry
 * `gsi1pk = EVENTLOG#<instanceId>`, `gsi1sk = <createdAt>#<eventId>` so `list` is newest first (event ids
 * are hashes, so the table order would be random). Items expire after `ttlDays` (default 14).
 *
 * Only facts go in here: status, attempt count, timestamps, objectType, event count and a short
 * `lastError` ("HTTP 503", "timed out after 10000 ms"). Never the body, the callback URL (it may carry
 * a token in its query) or the signature.
 *
 * For redelivery the queued body (ServiceNow records, never our secrets) is kept apart, in
 * `EVENTBODY#<instanceId>` / `<eventId>` (same TTL), when it is at most MAX_STORED_BODY_BYTES: written
 * once, on the first attempt, and read only by `requeue`. Apart so that listing the log never reads
 * (and pays for) bodies, and so the log items stay facts only.
 */
export type EventStatus = 'QUEUED' | 'DELIVERED' | 'FAILED' | 'DEAD';

export const EVENT_STATUSES: readonly EventStatus[] = ['QUEUED', 'DELIVERED', 'FAILED', 'DEAD'];
export const DEFAULT_EVENT_LOG_TTL_DAYS = 14;
/** Bodies above this are not stored (DynamoDB items cap at 400 KB); such events cannot be redelivered. */
export const MAX_STORED_BODY_BYTES = 64 * 1024;

export interface EventLogEntry {
  instanceId: number;
  eventId: string;
  status: EventStatus;
  /** POSTs tried (0 while only queued). */
  attempts: number;
  objectType: string;
  eventCount: number;
  /** ISO-8601. */
  createdAt: string;
  updatedAt: string;
  deliveredAt?: string;
  /** HTTP status of the last attempt, when a response came back. */
  lastStatusCode?: number;
  lastError?: string;
}

export interface QueuedEvent {
  instanceId: number;
  eventId: string;
  objectType: string;
  eventCount: number;
  /** The queued body, stored apart if small enough (for redelivery). */
  body?: string;
}

export interface AttemptOutcome extends Partial<Pick<QueuedEvent, 'objectType' | 'eventCount'>> {
  instanceId: number;
  eventId: string;
  status: Exclude<EventStatus, 'QUEUED'>;
  /** False when the message was dropped without a POST (instance gone, URL refused). Default true. */
  attempted?: boolean;
  statusCode?: number;
  error?: string;
  /** When the message was first queued (SQS SentTimestamp), used if no QUEUED item exists yet. */
  queuedAt?: Date;
  /** The queued body, stored once if small enough (for redelivery). */
  body?: string;
}

/** `requeue`: the entry back to QUEUED with its stored body, or why not. */
export type RequeueResult =
  | { kind: 'requeued'; entry: EventLogEntry; body: string; restore: () => Promise<void> }
  | { kind: 'not-found' }
  | { kind: 'busy'; entry: EventLogEntry }
  | { kind: 'no-body'; entry: EventLogEntry };

export interface EventLogPage {
  items: EventLogEntry[];
  /** Opaque; present when there may be more. A page can be short when filtering by status. */
  cursor?: string;
}

export interface EventLog {
  /** Writes the QUEUED item unless one exists (a re-sent message keeps its history). */
  recordQueued(event: QueuedEvent): Promise<void>;
  /** Adds one attempt (unless `attempted: false`) and sets the status. Returns the stored entry. */
  recordAttempt(outcome: AttemptOutcome): Promise<EventLogEntry>;
  get(instanceId: number, eventId: string): Promise<EventLogEntry | undefined>;
  /**
   * Sets a DELIVERED or DEAD entry back to QUEUED (attempts kept) and hands back its stored body; QUEUED
   * and FAILED entries are `busy` (their message is still on the queue). `restore` undoes the status
   * change when the caller could not enqueue.
   */
  requeue(instanceId: number, eventId: string): Promise<RequeueResult>;
  /** Newest first. */
  list(
    instanceId: number,
    options?: { cursor?: string; limit?: number; status?: EventStatus },
  ): Promise<EventLogPage>;
}

export interface EventLogDeps {
  stateTable: StateTable;
  now: () => Date;
  ttlDays?: number;
}

export const eventLogKey = (instanceId: number, eventId: string) => ({
  pk: eventsPartition(instanceId),
  sk: `EVENT#${eventId}`,
});

/** Where the queued body is kept for redelivery (not in the log item: see the top of this file). */
export const eventBodyKey = (instanceId: number, eventId: string) => ({
  pk: `EVENTBODY#${instanceId}`,
  sk: eventId,
});

const indexPartition = (instanceId: number) => `EVENTLOG#${instanceId}`;
const MAX_ERROR_LENGTH = 300;
const MAX_SKIPPED_PAGES = 10;
const WRITE_ATTEMPTS = 5;

const fromItem = (item: StateItem): EventLogEntry => ({
  instanceId: Number(item.instanceId),
  eventId: String(item.eventId),
  status: EVENT_STATUSES.includes(item.status as EventStatus) ? (item.status as EventStatus) : 'QUEUED',
  attempts: typeof item.attempts === 'number' ? item.attempts : 0,
  objectType: typeof item.objectType === 'string' ? item.objectType : '',
  eventCount: typeof item.eventCount === 'number' ? item.eventCount : 0,
  createdAt: String(item.createdAt),
  updatedAt: String(item.updatedAt),
  ...(typeof item.deliveredAt === 'string' ? { deliveredAt: item.deliveredAt } : {}),
  ...(typeof item.lastStatusCode === 'number' ? { lastStatusCode: item.lastStatusCode } : {}),
  ...(typeof item.lastError === 'string' ? { lastError: item.lastError } : {}),
});

export const createEventLog = (deps: EventLogDeps): EventLog => {
  const ttlSeconds = (deps.ttlDays ?? DEFAULT_EVENT_LOG_TTL_DAYS) * 86_400;
  const expiresAt = (at: Date) => Math.floor(at.getTime() / 1000) + ttlSeconds;
  const newItem = (event: QueuedEvent, createdAt: Date, now: Date): StateItem => ({
    ...eventLogKey(event.instanceId, event.eventId),
    gsi1pk: indexPartition(event.instanceId),
    gsi1sk: `${createdAt.toISOString()}#${event.eventId}`,
    instanceId: event.instanceId,
    eventId: event.eventId,
    status: 'QUEUED',
    attempts: 0,
    objectType: event.objectType,
    eventCount: event.eventCount,
    createdAt: createdAt.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: expiresAt(now),
  });

  /** True when the body is stored (now or before). */
  const storeBody = async (instanceId: number, eventId: string, body: string, now: Date) => {
    if (Buffer.byteLength(body) > MAX_STORED_BODY_BYTES) return false;
    try {
      await deps.stateTable.put(
        { ...eventBodyKey(instanceId, eventId), body, expiresAt: expiresAt(now) },
        { ifNotExists: true },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    return true;
  };

  return {
    async recordQueued(event) {
      const now = deps.now();
      const hasBody =
        event.body !== undefined && (await storeBody(event.instanceId, event.eventId, event.body, now));
      try {
        await deps.stateTable.put(
          { ...newItem(event, now, now), ...(hasBody ? { hasBody } : {}) },
          { ifNotExists: true },
        );
        recordEventStatus('QUEUED');
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    },

    async recordAttempt(outcome) {
      const key = eventLogKey(outcome.instanceId, outcome.eventId);
      // Read-modify-write on the item version: two deliveries of one message (SQS is at-least-once)
      // must both be counted. Bounded; the loser of a long race re-reads.
      for (let attempt = 1; ; attempt++) {
        const now = deps.now();
        const existing = await deps.stateTable.get(key);
        const base =
          existing ??
          newItem(
            {
              instanceId: outcome.instanceId,
              eventId: outcome.eventId,
              objectType: outcome.objectType ?? '',
              eventCount: outcome.eventCount ?? 0,
            },
            outcome.queuedAt ?? now,
            now,
          );
        const previous = fromItem(base);
        const attempts = previous.attempts + (outcome.attempted === false ? 0 : 1);
        const set: Record<string, StateItem[string]> = {
          status: outcome.status,
          attempts,
          updatedAt: now.toISOString(),
          expiresAt: expiresAt(now),
          ...(outcome.status === 'DELIVERED' ? { deliveredAt: now.toISOString() } : {}),
          ...(outcome.statusCode === undefined ? {} : { lastStatusCode: outcome.statusCode }),
          ...(outcome.error === undefined ? {} : { lastError: outcome.error.slice(0, MAX_ERROR_LENGTH) }),
        };
        if (base.hasBody !== true && outcome.body !== undefined) {
          if (await storeBody(outcome.instanceId, outcome.eventId, outcome.body, now)) set.hasBody = true;
        }
        const remove = [
          ...(outcome.statusCode === undefined ? ['lastStatusCode'] : []),
          ...(outcome.error === undefined ? ['lastError'] : []),
        ];
        try {
          const stored =
            existing === undefined
              ? await deps.stateTable.put(
                  Object.fromEntries(
                    Object.entries({ ...base, ...set }).filter(([name]) => !remove.includes(name)),
                  ) as StateItem,
                  { ifNotExists: true },
                )
              : await deps.stateTable.update(key, set, {
                  ifVersion: existing.version ?? 0,
                  ...(remove.length > 0 ? { remove } : {}),
                });
          // Redeliveries of a settled message (SQS is at-least-once) are not counted again.
          if (outcome.status === 'FAILED' || previous.status !== outcome.status)
            recordEventStatus(outcome.status);
          return fromItem(stored);
        } catch (error) {
          if (!(error instanceof ConditionFailedError) || attempt >= WRITE_ATTEMPTS) throw error;
        }
      }
    },

    async get(instanceId, eventId) {
      const item = await deps.stateTable.get(eventLogKey(instanceId, eventId));
      return item === undefined ? undefined : fromItem(item);
    },

    async requeue(instanceId, eventId) {
      const key = eventLogKey(instanceId, eventId);
      const item = await deps.stateTable.get(key);
      if (item === undefined) return { kind: 'not-found' };
      const entry = fromItem(item);
      if (entry.status === 'QUEUED' || entry.status === 'FAILED') return { kind: 'busy', entry };
      const bodyItem =
        item.hasBody === true ? await deps.stateTable.get(eventBodyKey(instanceId, eventId)) : undefined;
      const body = bodyItem?.body;
      if (typeof body !== 'string') return { kind: 'no-body', entry };
      const now = deps.now();
      let updated: StateItem;
      try {
        updated = await deps.stateTable.update(
          key,
          { status: 'QUEUED', updatedAt: now.toISOString(), expiresAt: expiresAt(now) },
          { ifVersion: item.version ?? 0 },
        );
      } catch (error) {
        // Changed meanwhile (a delivery or another redeliver): report what it is now.
        if (!(error instanceof ConditionFailedError)) throw error;
        const current = await deps.stateTable.get(key);
        return current === undefined ? { kind: 'not-found' } : { kind: 'busy', entry: fromItem(current) };
      }
      const restore = async () => {
        await deps.stateTable
          .update(
            key,
            { status: entry.status, updatedAt: entry.updatedAt },
            { ifVersion: updated.version ?? 0 },
          )
          .catch((error: unknown) => {
            if (!(error instanceof ConditionFailedError)) throw error;
          });
      };
      return { kind: 'requeued', entry: fromItem(updated), body, restore };
    },

    async list(instanceId, options = {}) {
      const limit = options.limit ?? 50;
      let cursor = options.cursor;
      const items: EventLogEntry[] = [];
      // A status filter is applied after the read; skip a few empty pages so callers rarely see one.
      for (let page = 0; page < MAX_SKIPPED_PAGES; page++) {
        const result = await deps.stateTable.query({
          pk: indexPartition(instanceId),
          index: 'gsi1',
          limit,
          descending: true,
          ...(cursor === undefined ? {} : { cursor }),
        });
        for (const item of result.items) {
          const entry = fromItem(item);
          if (options.status === undefined || entry.status === options.status) items.push(entry);
        }
        cursor = result.cursor;
        if (items.length > 0 || cursor === undefined) break;
      }
      return { items, ...(cursor === undefined ? {} : { cursor }) };
    },
  };
};
