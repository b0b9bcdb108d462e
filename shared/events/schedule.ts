import { ConditionFailedError, type StateItem, type StateTable } from '../ports';
import { DELETES_STREAM, deleteCheckpoint, eventsPartition } from './checkpoint';

/**
 * The due-time index of the poller: one item per events-enabled instance, found through the state
 * table's one GSI so a tick reads only the instances that are due (a Query on `gsi1pk = POLL_DUE`,
 * `gsi1sk <= now`), never the whole table. ISO-8601 UTC times sort as strings, so the GSI sort key
 * `<ISO due time>#<instanceId>` orders by due time and stays unique per instance.
 *
 * Item: `pk = EVENTS#<id>`, `sk = SCHEDULE`, `gsi1pk = POLL_DUE`, `gsi1sk = <ISO>#<id>`.
 */
export const POLL_DUE = 'POLL_DUE';
export const SCHEDULE_SK = 'SCHEDULE';

export const scheduleKey = (instanceId: number) => ({ pk: eventsPartition(instanceId), sk: SCHEDULE_SK });

const dueSortKey = (instanceId: number, at: Date) => `${at.toISOString()}#${instanceId}`;

export interface DueInstance {
  instanceId: number;
  /** ISO time the instance became due. */
  dueAt: string;
  /** Item version, to claim it (`claimDue`) without racing another poller. */
  version: number;
}

/** Makes the instance due at `at` (creates or moves its schedule item). */
export const markDue = async (table: StateTable, instanceId: number, at: Date): Promise<void> => {
  await table.put({
    ...scheduleKey(instanceId),
    gsi1pk: POLL_DUE,
    gsi1sk: dueSortKey(instanceId, at),
    instanceId,
    dueAt: at.toISOString(),
  });
};

/** After a poll (successful or not): the next due time. Same write as markDue, named for the reader. */
export const reschedule = markDue;

/** The instances due at `now`, soonest first, at most `limit` (one GSI query page, no scan). */
export const dueInstances = async (table: StateTable, now: Date, limit: number): Promise<DueInstance[]> => {
  const out: DueInstance[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.query({
      pk: POLL_DUE,
      index: 'gsi1',
      // '~' sorts after every digit: includes all instances due exactly at `now`.
      sk: { lte: `${now.toISOString()}#~` },
      limit: limit - out.length,
      ...(cursor ? { cursor } : {}),
    });
    out.push(...page.items.map(toDue).filter((d): d is DueInstance => d !== undefined));
    cursor = page.cursor;
  } while (cursor && out.length < limit);
  return out;
};

const toDue = (item: StateItem): DueInstance | undefined => {
  const instanceId = Number(item.instanceId);
  if (!Number.isSafeInteger(instanceId) || instanceId < 1) return undefined;
  return { instanceId, dueAt: String(item.dueAt ?? ''), version: item.version ?? 0 };
};

/**
 * Takes a due instance for this poller by moving its due time to `leaseUntil` (conditional on the
 * version read from the index). A concurrent poller that read the same item loses the condition and
 * skips it; if this poller dies, the instance becomes due again when the lease ends.
 */
export const claimDue = async (table: StateTable, due: DueInstance, leaseUntil: Date): Promise<boolean> => {
  try {
    await table.update(
      scheduleKey(due.instanceId),
      { gsi1pk: POLL_DUE, gsi1sk: dueSortKey(due.instanceId, leaseUntil), dueAt: leaseUntil.toISOString() },
      { ifVersion: due.version },
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionFailedError) return false;
    throw error;
  }
};

/** Removes the instance from the index (events disabled, instance deleted). Idempotent. */
export const unschedule = (table: StateTable, instanceId: number): Promise<void> =>
  table.delete(scheduleKey(instanceId));

/**
 * Events turned off or instance deleted: drop the schedule and every checkpoint, so turning events on
 * again starts from that new moment (nothing from the gap is replayed). The STATUS item stays for
 * operators unless `status` is set (instance deleted).
 */
export const forgetEvents = async (
  table: StateTable,
  instanceId: number,
  options: { status?: boolean } = {},
): Promise<void> => {
  await unschedule(table, instanceId);
  let cursor: string | undefined;
  const streams: string[] = [];
  do {
    const page = await table.query({
      pk: eventsPartition(instanceId),
      sk: { beginsWith: 'CHECKPOINT#' },
      ...(cursor ? { cursor } : {}),
    });
    for (const item of page.items) streams.push(item.sk.slice('CHECKPOINT#'.length));
    cursor = page.cursor;
  } while (cursor);
  await Promise.all([...streams, DELETES_STREAM].map((s) => deleteCheckpoint(table, instanceId, s)));
  if (options.status) await table.delete({ pk: eventsPartition(instanceId), sk: 'STATUS' });
};
