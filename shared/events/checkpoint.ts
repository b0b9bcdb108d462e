import { ConditionFailedError, type StateItem, type StateTable } from '../ports';
import { toServiceNowDateTime } from './dates';

/**
 * Where a poll stream (one resource's changes, or an instance's deletes) resumes. The read restarts
 * INCLUSIVELY at `updatedOn` (minus the resource's pollDelay) because ServiceNow timestamps have
 * one-second resolution and many rows share a second: an exclusive `>` bound would
 * lose rows written in the checkpoint's second after the last poll. `seen` lists the rows already
 * delivered inside that re-read window, keyed by (sys_id, sys_mod_count), so they are not sent twice;
 * a row updated again in the same second has a new mod count and is sent.
 *
 * Items: `pk = EVENTS#<instanceId>`, `sk = CHECKPOINT#<resource>` (changes) or `sk = DELETES` (the
 * instance's sys_audit_delete stream). `version` (maintained by the state table) guards every advance.
 */
export interface Checkpoint {
  instanceId: number;
  /** Resource name, or DELETES_STREAM. */
  stream: string;
  /** `yyyy-MM-dd HH:mm:ss` UTC, inclusive lower bound of the next read. */
  updatedOn: string;
  /** `<updatedOn>|<sys_id>|<mod>` for rows already delivered in the re-read window (bounded). */
  seen: string[];
  /** When this stream started (events enabled, or resource added): nothing older is delivered. */
  startedAt: string;
  /** Deletes stream only: false when sys_audit_delete could not be read (see poll-deletes.ts). */
  deletesReadable?: boolean;
  deletesNote?: string;
  version: number;
}

export const DELETES_STREAM = 'DELETES';
/**
 * Upper bound on `seen`. ~60 bytes each keeps the item far below DynamoDB's 400 KB. If more rows than
 * this share the window, the oldest keys are dropped: those rows are delivered again on the next poll
 * (a duplicate, never a loss).
 */
export const MAX_SEEN = 4000;

export const eventsPartition = (instanceId: number): string => `EVENTS#${instanceId}`;

export const checkpointKey = (instanceId: number, stream: string) => ({
  pk: eventsPartition(instanceId),
  sk: stream === DELETES_STREAM ? DELETES_STREAM : `CHECKPOINT#${stream}`,
});

const fromItem = (instanceId: number, stream: string, item: StateItem): Checkpoint => ({
  instanceId,
  stream,
  updatedOn: String(item.updatedOn),
  seen: Array.isArray(item.seen) ? item.seen.filter((s): s is string => typeof s === 'string') : [],
  startedAt: typeof item.startedAt === 'string' ? item.startedAt : String(item.updatedOn),
  ...(typeof item.deletesReadable === 'boolean' ? { deletesReadable: item.deletesReadable } : {}),
  ...(typeof item.deletesNote === 'string' ? { deletesNote: item.deletesNote } : {}),
  version: item.version ?? 0,
});

export const loadCheckpoint = async (
  table: StateTable,
  instanceId: number,
  stream: string,
): Promise<Checkpoint | undefined> => {
  const item = await table.get(checkpointKey(instanceId, stream));
  return item === undefined ? undefined : fromItem(instanceId, stream, item);
};

/**
 * The stored checkpoint, or a new one at `startAt` (the moment events were enabled): every change from
 * that second on is delivered, nothing before it. Two pollers racing to create it agree on the first.
 */
export const ensureCheckpoint = async (
  table: StateTable,
  instanceId: number,
  stream: string,
  startAt: Date,
): Promise<Checkpoint> => {
  const existing = await loadCheckpoint(table, instanceId, stream);
  if (existing) return existing;
  const at = toServiceNowDateTime(startAt);
  try {
    const item = await table.put(
      { ...checkpointKey(instanceId, stream), updatedOn: at, seen: [], startedAt: at },
      { ifNotExists: true },
    );
    return fromItem(instanceId, stream, item);
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    const winner = await loadCheckpoint(table, instanceId, stream);
    if (!winner) throw error;
    return winner;
  }
};

/** Another poller advanced the same checkpoint first; this poll stops (its events were duplicates). */
export class CheckpointConflictError extends Error {
  constructor(stream: string) {
    super(`The ${stream} checkpoint was advanced by another poll; stopping this one`);
    this.name = 'CheckpointConflictError';
  }
}

/** Advances the checkpoint if nobody else did since `current` was read. */
export const saveCheckpoint = async (
  table: StateTable,
  current: Checkpoint,
  next: Pick<Checkpoint, 'updatedOn' | 'seen'> & Partial<Pick<Checkpoint, 'deletesReadable' | 'deletesNote'>>,
): Promise<Checkpoint> => {
  try {
    const item = await table.update(
      checkpointKey(current.instanceId, current.stream),
      {
        updatedOn: next.updatedOn,
        seen: next.seen,
        ...(next.deletesReadable === undefined ? {} : { deletesReadable: next.deletesReadable }),
        ...(next.deletesNote === undefined ? {} : { deletesNote: next.deletesNote }),
      },
      { ifVersion: current.version },
    );
    return fromItem(current.instanceId, current.stream, item);
  } catch (error) {
    if (error instanceof ConditionFailedError) throw new CheckpointConflictError(current.stream);
    throw error;
  }
};

/** Forget a stream (resource removed from the configuration, or events disabled). */
export const deleteCheckpoint = (table: StateTable, instanceId: number, stream: string): Promise<void> =>
  table.delete(checkpointKey(instanceId, stream));
