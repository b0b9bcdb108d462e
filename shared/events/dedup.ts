import { MAX_SEEN } from './checkpoint';
import { shiftSeconds } from './dates';

/**
 * De-duplication keys for the inclusive re-read window (see checkpoint.ts). A key carries the row's
 * `sys_updated_on` so the window can be trimmed, and its `sys_mod_count` so a second update in the same
 * second is a new key. Tables without a mod count use "" (two updates of one row in one second then
 * collapse into one event; the record's latest state is still delivered).
 */
export const rowKey = (updatedOn: string, sysId: string, modCount: string | undefined): string =>
  `${updatedOn}|${sysId}|${modCount ?? ''}`;

const keyTime = (key: string): string => key.slice(0, 19);

export interface Consumed {
  updatedOn: string;
  key: string;
}

/**
 * The checkpoint after `consumed` rows (in read order) were delivered: the bound moves to the newest
 * row, and `seen` keeps the keys still inside the re-read window `[updatedOn - overlap, updatedOn]`.
 */
export const advanceWindow = (
  current: { updatedOn: string; seen: readonly string[] },
  consumed: readonly Consumed[],
  overlapSeconds: number,
  /** Rows delivered beyond the point the bound may move to (out of order acceptance): remembered only. */
  alsoSeen: readonly Consumed[] = [],
): { updatedOn: string; seen: string[] } => {
  let updatedOn = current.updatedOn;
  for (const row of consumed) if (row.updatedOn > updatedOn) updatedOn = row.updatedOn;
  const windowStart = overlapSeconds > 0 ? shiftSeconds(updatedOn, -overlapSeconds) : updatedOn;
  const keys = new Set<string>();
  for (const key of current.seen) if (keyTime(key) >= windowStart) keys.add(key);
  for (const row of [...consumed, ...alsoSeen]) if (row.updatedOn >= windowStart) keys.add(row.key);
  const seen = [...keys].sort((a, b) => (keyTime(a) < keyTime(b) ? -1 : keyTime(a) > keyTime(b) ? 1 : 0));
  // Dropping the oldest keys can only cause re-delivery, never a loss.
  return { updatedOn, seen: seen.length > MAX_SEEN ? seen.slice(seen.length - MAX_SEEN) : seen };
};
