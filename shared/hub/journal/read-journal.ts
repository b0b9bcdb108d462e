import { InvalidInputError } from '../../errors';
import type { ServiceNowClient, SnRecord } from '../../servicenow';
import { type RecordRef, readRecord } from './read-record';
import { splitJournalText } from './split-journal-text';
import type { JournalElement, JournalEntry, JournalPage } from './types';

export interface ReadJournalOptions extends RecordRef {
  element: JournalElement;
  offset: number;
  limit: number;
  /** The field's label (`Additional comments`), to split the display text safely; see splitJournalText. */
  label?: string;
}

const text = (record: SnRecord, field: string): string => {
  const value = record[field];
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const inner =
      (value as { display_value?: unknown; value?: unknown }).display_value ??
      (value as { value?: unknown }).value;
    if (typeof inner === 'string') return inner;
  }
  return '';
};

/** `yyyy-MM-dd HH:mm:ss` (UTC) -> ISO 8601. */
export const isoFromServiceNow = (value: string): string =>
  /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? `${value.replace(' ', 'T')}.000Z` : value;

export const entryFromRow = (row: SnRecord, element: JournalElement): JournalEntry => ({
  id: text(row, 'sys_id'),
  value: text(row, 'value'),
  createdOn: isoFromServiceNow(text(row, 'sys_created_on')),
  createdBy: text(row, 'sys_created_by'),
  element,
});

/**
 * One page of a record's comments or work notes, newest first. Reads
 * `sys_journal_field` (`element_id=<id>^element=<e>^ORDERBYDESCsys_created_on`); when that answers
 * nothing — which is also what a read ACL on sys_journal_field looks like (200 `[]`, not an error) —
 * the record itself is read with `sysparm_display_value=true`: an empty journal field means "no
 * entries", a non-empty one means the journal table is hidden, and its text is split per entry.
 * That record read also turns a missing record into 404.
 */
export const readJournal = async (
  client: ServiceNowClient,
  options: ReadJournalOptions,
): Promise<JournalPage> => {
  const { element, offset, limit } = options;
  if (!Number.isInteger(offset) || offset < 0)
    throw new InvalidInputError('offset must be a non-negative integer');
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidInputError('pageSize must be a positive integer');
  // No `name=<table>` condition: sys_ids are unique across tables, the column name is unverified (C.6),
  // and a record read through a parent table (`task`) carries its own class name there.
  const journalQuery = `element_id=${options.id}^element=${element}^ORDERBYDESCsys_created_on^ORDERBYDESCsys_id`;
  const [journal] = await Promise.all([
    client.list('sys_journal_field', {
      query: journalQuery,
      fields: ['sys_id', 'value', 'sys_created_on', 'sys_created_by'],
      limit,
      ...(offset === 0 ? {} : { offset }),
      noCount: true,
    }),
    // Rows alone do not prove the record is inside the resource's slice (agents), so check it too.
    options.filter ? readRecord(client, options, { fields: ['sys_id'] }) : undefined,
  ]);
  // An empty page is all a denied query gives (with or without a `next` link), so it is not trusted.
  if (journal.records.length > 0) {
    return {
      entries: journal.records.map((row) => entryFromRow(row, element)),
      hasNext: journal.hasNext,
      source: 'journal',
    };
  }
  const record = await readRecord(client, options, { fields: ['sys_id', element], displayValue: true });
  const all = splitJournalText(text(record, element), element, options.label);
  return {
    entries: all.slice(offset, offset + limit),
    hasNext: all.length > offset + limit,
    source: all.length === 0 ? 'journal' : 'display',
  };
};
