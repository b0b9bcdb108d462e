import { ElementError } from '../errors';
import type { QueueProducer, StateTable } from '../ports';
import { eventsPartition } from './checkpoint';
import { toEventDate } from './dates';
import { EVENT_STATUSES, type EventLog, type EventLogEntry, type EventStatus } from './event-log';
import { type EventMessage, toOutgoing } from './messages';

/**
 * The event-log admin API of one instance (routes `GET /instances/{id}/events[/{eventId}|/status]`,
 * `POST /instances/{id}/events/{eventId}/redeliver`). Ownership is checked by the caller; this maps the
 * log to the wire and validates paging input.
 */
export const DEFAULT_EVENTS_PAGE_SIZE = 50;
export const MAX_EVENTS_PAGE_SIZE = 200;

/**
 * Cloud Elements' event statuses (NEW, RECEIVED, DISPATCHED, CONSUMED, NOTIFIED): a delivered event is
 * NOTIFIED; one still queued, being retried or given up on was DISPATCHED to the callback and not
 * notified (`deliveryStatus` tells which).
 */
export type CeEventStatus = 'DISPATCHED' | 'NOTIFIED';

const CE_STATUS: Record<EventStatus, CeEventStatus> = {
  QUEUED: 'DISPATCHED',
  FAILED: 'DISPATCHED',
  DEAD: 'DISPATCHED',
  DELIVERED: 'NOTIFIED',
};

/**
 * What the API shows of a log entry (no body, no callback URL): CE's event object (`id`, `eventDate`,
 * `status`, `providerData`, `notifiedData`) with the delivery's details beside it.
 */
export interface EventView {
  id: string;
  eventDate: string;
  status: CeEventStatus;
  /** A JSON string, as CE's: what the event is about (its objectType and how many events it carries). */
  providerData: string;
  /** One entry per successful notification. */
  notifiedData: { notifiedDate: string; statusCode?: number }[];
  eventId: string;
  deliveryStatus: EventStatus;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  deliveredAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  objectType: string;
  eventCount: number;
}

export const eventView = (entry: EventLogEntry): EventView => ({
  id: entry.eventId,
  eventDate: entry.createdAt,
  status: CE_STATUS[entry.status],
  providerData: JSON.stringify({ objectType: entry.objectType, eventCount: entry.eventCount }),
  notifiedData:
    entry.deliveredAt === undefined
      ? []
      : [
          {
            notifiedDate: entry.deliveredAt,
            ...(entry.lastStatusCode === undefined ? {} : { statusCode: entry.lastStatusCode }),
          },
        ],
  eventId: entry.eventId,
  deliveryStatus: entry.status,
  attempts: entry.attempts,
  createdAt: entry.createdAt,
  updatedAt: entry.updatedAt,
  ...(entry.deliveredAt === undefined ? {} : { deliveredAt: entry.deliveredAt }),
  ...(entry.lastStatusCode === undefined ? {} : { lastStatusCode: entry.lastStatusCode }),
  ...(entry.lastError === undefined ? {} : { lastError: entry.lastError }),
  objectType: entry.objectType,
  eventCount: entry.eventCount,
});

interface PageCursor {
  v: 1;
  /** Instance the cursor was issued for. */
  i: number;
  /** Status filter it was issued with (a cursor cannot be reused with another filter). */
  s: EventStatus | null;
  /** The state table's own cursor. */
  c: string;
}

const badCursor = () => new ElementError(400, 'Invalid nextPage cursor; start again without it');

const encodeCursor = (cursor: PageCursor): string =>
  Buffer.from(JSON.stringify(cursor)).toString('base64url');

/**
 * Validated, not signed: it must be ours, for this instance and this filter, and the table cursor inside
 * must name this instance's partition, so a crafted cursor cannot read another instance's log.
 */
const decodeCursor = (raw: string, instanceId: number, status: EventStatus | undefined): string => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const cursor = value as Partial<PageCursor> | null;
  if (
    typeof cursor !== 'object' ||
    cursor === null ||
    cursor.v !== 1 ||
    cursor.i !== instanceId ||
    cursor.s !== (status ?? null) ||
    typeof cursor.c !== 'string'
  ) {
    throw badCursor();
  }
  let inner: unknown;
  try {
    inner = JSON.parse(Buffer.from(cursor.c, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const values = inner !== null && typeof inner === 'object' ? Object.values(inner) : [];
  if (!values.includes(eventsPartition(instanceId))) throw badCursor();
  return cursor.c;
};

export interface ListEventsQuery {
  pageSize?: string;
  nextPage?: string;
  status?: string;
}

export interface EventsPage {
  events: EventView[];
  /** Pass back as `nextPage` (the API sends it as Elements-Next-Page-Token); absent on the last page. */
  nextPage?: string;
}

/** `status` filters on the delivery status; CE's NOTIFIED is DELIVERED. */
const parseStatus = (raw: string | undefined): EventStatus | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const upper = raw.toUpperCase();
  const status = (upper === 'NOTIFIED' ? 'DELIVERED' : upper) as EventStatus;
  if (!EVENT_STATUSES.includes(status)) {
    throw new ElementError(400, `status must be one of ${EVENT_STATUSES.join(', ')} (or NOTIFIED)`);
  }
  return status;
};

const parsePageSize = (raw: string | undefined): number => {
  if (raw === undefined || raw === '') return DEFAULT_EVENTS_PAGE_SIZE;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > MAX_EVENTS_PAGE_SIZE) {
    throw new ElementError(400, `pageSize must be an integer from 1 to ${MAX_EVENTS_PAGE_SIZE}`);
  }
  return size;
};

/** Newest first; with `status`, a page may be short while `nextPage` is present. */
export const listEvents = async (
  log: EventLog,
  instanceId: number,
  query: ListEventsQuery,
): Promise<EventsPage> => {
  const status = parseStatus(query.status);
  const limit = parsePageSize(query.pageSize);
  const cursor =
    query.nextPage === undefined || query.nextPage === ''
      ? undefined
      : decodeCursor(query.nextPage, instanceId, status);
  const page = await log
    .list(instanceId, {
      limit,
      ...(status === undefined ? {} : { status }),
      ...(cursor === undefined ? {} : { cursor }),
    })
    .catch((error: unknown) => {
      if ((error as Error).name === 'InvalidCursorError') throw badCursor();
      throw error;
    });
  return {
    events: page.items.map(eventView),
    ...(page.cursor === undefined
      ? {}
      : { nextPage: encodeCursor({ v: 1, i: instanceId, s: status ?? null, c: page.cursor }) }),
  };
};

export const getEvent = async (log: EventLog, instanceId: number, eventId: string): Promise<EventView> => {
  const entry = await log.get(instanceId, eventId);
  if (!entry) throw new ElementError(404, `No event ${eventId} on instance ${instanceId}`);
  return eventView(entry);
};

/**
 * Queues the stored body again and sets the entry back to QUEUED (attempts kept). Only DELIVERED and
 * DEAD entries: a QUEUED or FAILED one still has its message on the queue (409). An entry without a
 * stored body (larger than MAX_STORED_BODY_BYTES) is a 409 too: use the DLQ redrive for it.
 */
export const redeliverEvent = async (
  log: EventLog,
  queue: QueueProducer | undefined,
  instanceId: number,
  eventId: string,
): Promise<{ eventId: string; status: 'QUEUED' }> => {
  if (!queue) throw new ElementError(503, 'This deployment has no events queue (ELEMENT_EVENTS_QUEUE_URL)');
  const result = await log.requeue(instanceId, eventId);
  switch (result.kind) {
    case 'not-found':
      throw new ElementError(404, `No event ${eventId} on instance ${instanceId}`);
    case 'busy':
      throw new ElementError(
        409,
        `Event ${eventId} is ${result.entry.status}: its message is still on the queue and will be retried; only DELIVERED or DEAD events can be redelivered`,
      );
    case 'no-body':
      throw new ElementError(
        409,
        `Event ${eventId} has no stored body (larger than 64 KiB), so it cannot be redelivered from the log; redrive the dead-letter queue instead`,
      );
  }
  let message: EventMessage;
  try {
    message = JSON.parse(result.body) as EventMessage;
  } catch {
    await result.restore();
    throw new ElementError(409, `Event ${eventId} has an unreadable stored body`);
  }
  const sent = await queue
    .sendBatch([{ id: 'redeliver', ...toOutgoing(message) }])
    .catch((error: unknown) => ({ failed: [{ error }] }));
  if (sent.failed.length > 0) {
    await result.restore();
    throw new ElementError(503, `The events queue did not accept event ${eventId}; try again`);
  }
  return { eventId, status: 'QUEUED' };
};

/** The poller's `EVENTS#<id>` / `STATUS` item: last poll, queued count, errors per stream, deletes readability. */
export interface PollStatusView {
  instanceId: number;
  /** ISO 8601 UTC; absent until the instance has been polled. */
  lastPollAt?: string;
  queued?: number;
  errors: { stream: string; message: string; status?: number }[];
  deletes?: { readable: boolean; note?: string };
  /** Per followed resource, ISO 8601 UTC: changes up to here are queued. */
  checkpoints: { stream: string; checkpoint: string }[];
  /** Now minus the oldest checkpoint, in seconds: how far behind the events are. Absent before a poll. */
  lagSeconds?: number;
}

export const pollStatus = async (
  stateTable: StateTable,
  instanceId: number,
  now: Date = new Date(),
): Promise<PollStatusView> => {
  const partition = eventsPartition(instanceId);
  const [status, deletes, checkpointPage] = await Promise.all([
    stateTable.get({ pk: partition, sk: 'STATUS' }),
    stateTable.get({ pk: partition, sk: 'DELETES' }),
    stateTable.query({ pk: partition, sk: { beginsWith: 'CHECKPOINT#' } }),
  ]);
  const checkpoints = checkpointPage.items
    .filter((item) => typeof item.updatedOn === 'string')
    .map((item) => ({
      stream: item.sk.slice('CHECKPOINT#'.length),
      checkpoint: toEventDate(String(item.updatedOn)),
    }));
  const oldest = Math.min(
    ...checkpoints.map((entry) => Date.parse(entry.checkpoint)).filter(Number.isFinite),
  );
  const errors = Array.isArray(status?.errors) ? (status.errors as Record<string, unknown>[]) : [];
  return {
    instanceId,
    // Stored in ServiceNow's form (it is compared with record timestamps); the API speaks ISO 8601 like the log.
    ...(typeof status?.lastPollAt === 'string' ? { lastPollAt: toEventDate(status.lastPollAt) } : {}),
    ...(typeof status?.queued === 'number' ? { queued: status.queued } : {}),
    checkpoints,
    ...(Number.isFinite(oldest)
      ? { lagSeconds: Math.max(0, Math.round((now.getTime() - oldest) / 1000)) }
      : {}),
    errors: errors.map((e) => ({
      stream: String(e.stream ?? ''),
      message: String(e.message ?? ''),
      ...(typeof e.status === 'number' ? { status: e.status } : {}),
    })),
    ...(deletes === undefined
      ? {}
      : {
          deletes: {
            readable: deletes.deletesReadable !== false,
            ...(typeof deletes.deletesNote === 'string' ? { note: deletes.deletesNote } : {}),
          },
        }),
  };
};
