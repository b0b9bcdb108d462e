import type { ServiceNowClient, SnRecord } from '../../servicenow';
import { entryFromRow, isoFromServiceNow } from './read-journal';
import { type RecordRef, readRecord } from './read-record';
import type { JournalElement, JournalEntry } from './types';

export interface AppendJournalOptions extends RecordRef {
  element: JournalElement;
  value: string;
}

const str = (record: SnRecord, field: string): string => {
  const value = record[field];
  return typeof value === 'string' ? value : '';
};

/** How many of the newest entries are compared to find the one just written (concurrent writers). */
const LOOKBACK = 20;

/**
 * Appends a comment or work note: a PATCH of the record with `{comments: text}` /
 * `{work_notes: text}` — ServiceNow has no journal endpoint; writing the journal field adds a
 * sys_journal_field row. The answer is the new entry: found in sys_journal_field
 * (newest rows since the update written by the same user with the same text), or, when that table
 * is hidden by ACL, built from the update's own `sys_updated_on`/`sys_updated_by` with id null.
 */
export const appendJournal = async (
  client: ServiceNowClient,
  options: AppendJournalOptions,
): Promise<JournalEntry> => {
  // The PATCH of a missing id would answer 404 too, but a record outside the resource's slice must
  // not be written at all.
  if (options.filter) await readRecord(client, options, { fields: ['sys_id'] });
  const updated = await client.update(
    options.table,
    options.id,
    { [options.element]: options.value },
    { fields: ['sys_id', 'sys_updated_on', 'sys_updated_by'], excludeReferenceLink: true },
  );
  const updatedOn = str(updated, 'sys_updated_on');
  const updatedBy = str(updated, 'sys_updated_by');
  const since = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(updatedOn)
    ? `^sys_created_on>=${updatedOn}`
    : '';
  const { records } = await client.list('sys_journal_field', {
    query: `element_id=${options.id}^element=${options.element}${since}^ORDERBYDESCsys_created_on`,
    fields: ['sys_id', 'value', 'sys_created_on', 'sys_created_by'],
    limit: LOOKBACK,
    noCount: true,
  });
  const mine = records.find(
    (row) =>
      str(row, 'value') === options.value && (updatedBy === '' || str(row, 'sys_created_by') === updatedBy),
  );
  if (mine) return entryFromRow(mine, options.element);
  return {
    id: null,
    value: options.value,
    createdOn: isoFromServiceNow(updatedOn),
    createdBy: updatedBy,
    element: options.element,
  };
};
