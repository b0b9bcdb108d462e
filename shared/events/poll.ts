import { ElementError, NotFoundError } from '../errors';
import type { QueueProducer, StateTable } from '../ports';
import type { ServiceNowClient, SnRecord } from '../servicenow';
import {
  type Checkpoint,
  DELETES_STREAM,
  ensureCheckpoint,
  eventsPartition,
  loadCheckpoint,
  saveCheckpoint,
} from './checkpoint';
import { classifyChange } from './classify';
import { type EventsConfig, type ResourcePoll, resourceOf } from './configuration';
import { shiftSeconds, toEventDate, toServiceNowDateTime } from './dates';
import { advanceWindow, type Consumed, rowKey } from './dedup';
import { buildMessages, type EventInstance, type EventItem, type EventMessage, toOutgoing } from './messages';
import { fieldValue } from './record-fields';
import { rowCursor, scanUpdated } from './scan';
import { type SendRetryPolicy, sendWithRetry } from './send';

export interface PollDeps {
  client: ServiceNowClient;
  queue: QueueProducer;
  stateTable: StateTable;
  instance: EventInstance;
  /** Where a stream without a checkpoint starts (the moment events were enabled). */
  startAt: Date;
  sendRetry?: SendRetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /**
   * Called with the messages the queue accepted (e.g. to write the event log's QUEUED entries). Best
   * effort: a failure here never affects the checkpoint or the poll's result.
   */
  onQueued?: (messages: EventMessage[]) => Promise<void>;
}

export interface StreamResult {
  stream: string;
  /** Events in messages the queue accepted (re-sent duplicates included). */
  events: number;
  messages: number;
  pages: number;
  /** The checkpoint after the poll. */
  updatedOn: string;
  startedAt: string;
}

/** The queue kept refusing messages after all retries; the checkpoint stays before the first refused one. */
export class QueueSendError extends Error {
  constructor(stream: string, refused: number, detail: string) {
    super(`The queue refused ${refused} event message(s) for ${stream} after retries (${detail})`);
    this.name = 'QueueSendError';
  }
}

export const DELETES_PAGE_SIZE = 1000;

interface PageWork {
  records: SnRecord[];
  consumed: Consumed[];
  items: EventItem[];
}

/**
 * Sends one page's events and advances the checkpoint past every row whose events the queue accepted,
 * in page order: up to (not including) the first row with an event in a refused message. Rows without
 * events (already seen, filtered) count as delivered. A crash between the send and this write re-emits
 * at most this page next time; never skips it.
 */
const deliverPage = async (
  deps: PollDeps,
  checkpoint: Checkpoint,
  work: PageWork,
  overlapSeconds: number,
): Promise<{ checkpoint: Checkpoint; events: number; messages: number }> => {
  const built = buildMessages(deps.instance, work.items);
  const outcome =
    built.length === 0
      ? { accepted: [] as boolean[], lastFailure: undefined }
      : await sendWithRetry(
          {
            queue: deps.queue,
            ...(deps.sendRetry ? { retry: deps.sendRetry } : {}),
            ...(deps.sleep ? { sleep: deps.sleep } : {}),
            ...(deps.random ? { random: deps.random } : {}),
          },
          built.map((m) => toOutgoing(m.body)),
        );
  if (deps.onQueued) {
    const queued = built.filter((_, i) => outcome.accepted[i]).map((m) => m.body);
    if (queued.length > 0) await deps.onQueued(queued).catch(() => undefined);
  }
  let prefix = 0;
  while (prefix < built.length && outcome.accepted[prefix]) prefix++;
  const upTo =
    prefix === built.length
      ? work.records.length - 1
      : Math.min(...built.slice(prefix).map((m) => m.firstRow)) - 1;
  // Rows after `upTo` whose every message was accepted anyway: the bound cannot pass the refused row,
  // but remembering these in `seen` keeps the next poll from sending them again.
  const refusedRows = new Set<number>();
  built.forEach((m, i) => {
    if (!outcome.accepted[i]) for (const item of m.items) refusedRows.add(item.rowIndex);
  });
  const alsoSeen: Consumed[] = [];
  for (const item of work.items) {
    if (item.rowIndex > upTo && !refusedRows.has(item.rowIndex))
      alsoSeen.push(work.consumed[item.rowIndex] as Consumed);
  }
  const advanced = advanceWindow(checkpoint, work.consumed.slice(0, upTo + 1), overlapSeconds, alsoSeen);
  const unchanged =
    advanced.updatedOn === checkpoint.updatedOn &&
    advanced.seen.length === checkpoint.seen.length &&
    advanced.seen.every((key, i) => key === checkpoint.seen[i]);
  const next = unchanged ? checkpoint : await saveCheckpoint(deps.stateTable, checkpoint, advanced);
  let events = 0;
  let messages = 0;
  built.forEach((m, i) => {
    if (outcome.accepted[i]) {
      events += m.body.message.events.length;
      messages++;
    }
  });
  if (prefix < built.length) {
    const refused = outcome.accepted.filter((ok) => !ok).length;
    const detail = outcome.lastFailure
      ? `${outcome.lastFailure.code}: ${outcome.lastFailure.message}`
      : 'unknown';
    throw new QueueSendError(checkpoint.stream, refused, detail);
  }
  return { checkpoint: next, events, messages };
};

const consumedOf = (records: SnRecord[]): Consumed[] =>
  records.map((record) => {
    const { updatedOn, sysId } = rowCursor(record);
    return { updatedOn, key: rowKey(updatedOn, sysId, fieldValue(record, 'sys_mod_count')) };
  });

const readSince = (checkpoint: Checkpoint, overlapSeconds: number): string =>
  overlapSeconds > 0 ? shiftSeconds(checkpoint.updatedOn, -overlapSeconds) : checkpoint.updatedOn;

/**
 * Polls one resource's changes: keyset pages from the inclusive checkpoint, drops rows already
 * delivered, classifies CREATED/UPDATED, queues messages of <=10 events, advances the checkpoint page
 * by page. With nothing changed this is exactly one ServiceNow request (see scan.ts).
 */
export const pollResource = async (deps: PollDeps, resource: ResourcePoll): Promise<StreamResult> => {
  if (resource.commonOnly) {
    throw new NotFoundError(
      `${resourceOf(resource)} is not a resource, table or common resource of instance ${deps.instance.id}`,
    );
  }
  const start = await ensureCheckpoint(deps.stateTable, deps.instance.id, resource.name, deps.startAt);
  let checkpoint = start;
  const seen = new Set(start.seen);
  const result = { stream: resource.name, events: 0, messages: 0, pages: 0, startedAt: start.startedAt };
  const pages = scanUpdated(deps.client, resource.table, {
    since: readSince(start, resource.pollDelaySeconds),
    ...(resource.filter === undefined ? {} : { filter: resource.filter }),
    pageSize: resource.pageSize,
  });
  for await (const page of pages) {
    result.pages++;
    const consumed = consumedOf(page.records);
    const items: EventItem[] = [];
    page.records.forEach((record, rowIndex) => {
      const row = consumed[rowIndex] as Consumed;
      // Re-read window overlap (pollDelay) never reaches before the stream's start.
      if (seen.has(row.key) || row.updatedOn < start.startedAt) return;
      const eventType = classifyChange(record, resource);
      if (!resource.filterByUpdatedDate && eventType !== 'CREATED') return;
      items.push({
        event: {
          objectType: resource.name,
          objectId: fieldValue(record, resource.idField) ?? rowCursor(record).sysId,
          eventType,
          elementKey: deps.instance.elementKey,
          date: toEventDate(row.updatedOn),
        },
        raw: record,
        key: `${resource.name}|${row.key}`,
        rowIndex,
      });
    });
    // A common resource's events carry its records as the hub returns them.
    if (resource.transform) for (const item of items) item.raw = await resource.transform(item.raw);
    const delivered = await deliverPage(
      deps,
      checkpoint,
      { records: page.records, consumed, items },
      resource.pollDelaySeconds,
    );
    checkpoint = delivered.checkpoint;
    result.events += delivered.events;
    result.messages += delivered.messages;
  }
  return { ...result, updatedOn: checkpoint.updatedOn };
};

export interface DeletesResult extends StreamResult {
  /** false when sys_audit_delete could not be read (403) or ACLs hid some of its rows. */
  readable: boolean;
  note?: string;
}

export const DELETES_UNREADABLE =
  'sys_audit_delete is not readable by this ServiceNow user: deletes cannot be detected (grant read on sys_audit_delete)';
export const DELETES_PARTLY_HIDDEN =
  'ACLs hide some sys_audit_delete rows from this ServiceNow user: some deletes may not be detected';

/**
 * DELETED events from ServiceNow's delete audit, ONE stream per instance: a single
 * `tablenameIN<tables>` keyset read covers every polled resource, so an idle poll costs one request
 * for all deletes rather than one per resource. Audit rows are never updated, so their
 * sys_updated_on equals sys_created_on and the same (sys_updated_on, sys_id) keyset applies.
 * A table deleted from maps to every resource polling it (contacts, users and agents share sys_user;
 * the agents filter cannot be checked on a row that no longer exists).
 *
 * When the user cannot read sys_audit_delete (403), or ACLs hide its rows (ServiceNow then answers
 * 200 with fewer rows than X-Total-Count, which is counted before ACLs), the poll does
 * not fail: the checkpoint records `deletesReadable: false` and a note, and visible deletes still flow.
 * Tables with the `no_audit_delete` dictionary attribute write no audit rows; their deletes are not seen.
 */
export const pollDeletes = async (
  deps: PollDeps,
  resources: readonly ResourcePoll[],
  startedAt: Readonly<Record<string, string>>,
): Promise<DeletesResult> => {
  const start = await ensureCheckpoint(deps.stateTable, deps.instance.id, DELETES_STREAM, deps.startAt);
  let checkpoint = start;
  const seen = new Set(start.seen);
  const result = { stream: DELETES_STREAM, events: 0, messages: 0, pages: 0, startedAt: start.startedAt };
  const byTable = new Map<string, ResourcePoll[]>();
  for (const resource of resources.filter((r) => !r.commonOnly))
    byTable.set(resource.table, [...(byTable.get(resource.table) ?? []), resource]);
  const order = new Map(resources.map((resource, i) => [resource.name, i]));
  let readable = true;
  let note: string | undefined;
  if (byTable.size > 0) {
    try {
      const pages = scanUpdated(deps.client, 'sys_audit_delete', {
        since: readSince(start, 0),
        filter: `tablenameIN${[...byTable.keys()].join(',')}`,
        pageSize: DELETES_PAGE_SIZE,
        detectHidden: true,
      });
      for await (const page of pages) {
        result.pages++;
        if (page.hidden > 0) {
          readable = false;
          note = DELETES_PARTLY_HIDDEN;
        }
        const consumed = consumedOf(page.records);
        const items: EventItem[] = [];
        page.records.forEach((record, rowIndex) => {
          const row = consumed[rowIndex] as Consumed;
          if (seen.has(row.key)) return;
          const deletedOn = fieldValue(record, 'sys_created_on') || row.updatedOn;
          const objectId = fieldValue(record, 'documentkey') ?? '';
          for (const resource of byTable.get(fieldValue(record, 'tablename') ?? '') ?? []) {
            const since = startedAt[resource.name];
            if (since === undefined || deletedOn < since || objectId === '') continue;
            items.push({
              event: {
                objectType: resource.name,
                objectId,
                eventType: 'DELETED',
                elementKey: deps.instance.elementKey,
                date: toEventDate(deletedOn),
              },
              raw: record,
              key: `${resource.name}|${row.key}`,
              rowIndex,
            });
          }
        });
        // One resource per message: group by resource, keeping row order inside each.
        items.sort(
          (a, b) =>
            (order.get(a.event.objectType) ?? 0) - (order.get(b.event.objectType) ?? 0) ||
            a.rowIndex - b.rowIndex,
        );
        const delivered = await deliverPage(deps, checkpoint, { records: page.records, consumed, items }, 0);
        checkpoint = delivered.checkpoint;
        result.events += delivered.events;
        result.messages += delivered.messages;
      }
    } catch (error) {
      if (!(error instanceof ElementError && error.status === 403)) throw error;
      readable = false;
      note = DELETES_UNREADABLE;
    }
  }
  // A checkpoint that never recorded readability counts as readable: a readable first poll writes nothing.
  const wasReadable = checkpoint.deletesReadable !== false;
  if (wasReadable !== readable || (note !== undefined && checkpoint.deletesNote !== note)) {
    checkpoint = await saveCheckpoint(deps.stateTable, checkpoint, {
      updatedOn: checkpoint.updatedOn,
      seen: checkpoint.seen,
      deletesReadable: readable,
      ...(note === undefined ? { deletesNote: '' } : { deletesNote: note }),
    });
  }
  return { ...result, updatedOn: checkpoint.updatedOn, readable, ...(note === undefined ? {} : { note }) };
};

export interface PollError {
  stream: string;
  status?: number;
  message: string;
}

export interface InstancePollSummary {
  instanceId: number;
  /** Events queued by this poll. */
  queued: number;
  streams: StreamResult[];
  deletes?: DeletesResult;
  errors: PollError[];
}

const errorOf = (stream: string, error: unknown): PollError =>
  error instanceof ElementError
    ? { stream, status: error.status, message: error.message }
    : { stream, message: error instanceof Error ? error.message : String(error) };

export interface PollInstanceDeps extends Omit<PollDeps, 'startAt'> {
  /** When events were enabled on the instance: the first poll delivers every change from then on. */
  enabledAt: Date;
  /** This poll's time: a resource added to the configuration later starts here. */
  now: Date;
  /**
   * A write that goes out together with the STATUS write (the poll worker's reschedule), so the two cost
   * one round trip instead of two. Its failure fails the poll.
   */
  alongsideStatus?: () => Promise<void>;
}

/**
 * Polls every configured resource, then the instance's deletes. A failing resource is recorded in
 * `errors` and does not stop the others (its checkpoint stays where it was, so nothing is skipped).
 * The summary is also stored as `EVENTS#<id>` / `STATUS` for the API and operators.
 */
export const pollInstance = async (
  deps: PollInstanceDeps,
  config: Pick<EventsConfig, 'resources'>,
): Promise<InstancePollSummary> => {
  // The deletes checkpoint exists once the instance has been polled: resources added to the
  // configuration after that start now, not at the enabled-at moment (no history replay).
  const polledBefore =
    (await loadCheckpoint(deps.stateTable, deps.instance.id, DELETES_STREAM)) !== undefined;
  const base: PollDeps = { ...deps, startAt: polledBefore ? deps.now : deps.enabledAt };
  const summary: InstancePollSummary = { instanceId: deps.instance.id, queued: 0, streams: [], errors: [] };
  const startedAt: Record<string, string> = {};
  // Create every checkpoint before reading anything, so the deletes stream knows each resource's start.
  // Independent items: written at once, they share one round trip (one fsync locally).
  const checkpoints = await Promise.all(
    config.resources.map((resource) =>
      ensureCheckpoint(deps.stateTable, deps.instance.id, resource.name, base.startAt),
    ),
  );
  config.resources.forEach((resource, i) => {
    startedAt[resource.name] = (checkpoints[i] as Checkpoint).startedAt;
  });
  for (const resource of config.resources) {
    try {
      const stream = await pollResource(base, resource);
      summary.streams.push(stream);
      summary.queued += stream.events;
    } catch (error) {
      summary.errors.push(errorOf(resource.name, error));
    }
  }
  try {
    summary.deletes = await pollDeletes(base, config.resources, startedAt);
    summary.queued += summary.deletes.events;
  } catch (error) {
    summary.errors.push(errorOf(DELETES_STREAM, error));
  }
  const statusWrite = deps.stateTable
    .put({
      pk: eventsPartition(deps.instance.id),
      sk: 'STATUS',
      lastPollAt: toServiceNowDateTime(deps.now),
      queued: summary.queued,
      errors: summary.errors.map((e) => ({ stream: e.stream, message: e.message, status: e.status ?? null })),
      ...(summary.deletes?.note ? { deletesNote: summary.deletes.note } : {}),
    })
    .catch((error: unknown) => {
      summary.errors.push(errorOf('STATUS', error));
    });
  const [, alongside] = await Promise.allSettled([statusWrite, deps.alongsideStatus?.()]);
  if (alongside.status === 'rejected') throw alongside.reason;
  return summary;
};
