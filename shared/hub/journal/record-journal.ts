import { InvalidInputError, NotFoundError } from '../../errors';
import { resolveResource } from '../../resources';
import { RETURNED_COUNT_HEADER } from '../headers';
import { loadTableMetadata, metadataScope } from '../metadata';
import type { RecordsContextOf } from '../records/context';
import { appendJournal } from './append-journal';
import { childPaging } from './child-paging';
import { readJournal } from './read-journal';
import { assertRecordId } from './record-id';
import { commentBodySchema, workNoteBodySchema } from './schemas';
import type { JournalElement, JournalEntry } from './types';

/** The record a journal route addresses (path parameters as given) and the journal field. */
export interface JournalAddress {
  objectName: string | undefined;
  recordId: string | undefined;
  element: JournalElement;
}

/** The record and journal field addressed, after checking the table really has that field. */
const target = async (contextOf: RecordsContextOf, address: JournalAddress) => {
  const objectName = address.objectName ?? '';
  const resolved = resolveResource(objectName);
  const id = assertRecordId(address.recordId);
  const context = await contextOf();
  const { client } = context;
  const metadata = await loadTableMetadata(
    client,
    resolved.table,
    undefined,
    metadataScope(context.instanceId, client),
  );
  // Writing a field the table does not have is silently ignored by ServiceNow.
  const { element } = address;
  const field = metadata.fields.find((f) => f.vendorPath === element && /^journal/.test(f.vendorNativeType));
  if (field === undefined)
    throw new NotFoundError(`${objectName} has no ${element === 'comments' ? 'comments' : 'work notes'}`);
  return { context, client, id, table: resolved.table, filter: resolved.filter, label: field.label };
};

/** One page of a record's comments or work notes, with the paging headers of every hub list. */
export const listJournal = async (
  contextOf: RecordsContextOf,
  address: JournalAddress,
  paged: { query: URLSearchParams; authorization: string | undefined },
): Promise<{ entries: JournalEntry[]; headers: Record<string, string> }> => {
  const t = await target(contextOf, address);
  const paging = childPaging({
    ...paged,
    scope: {
      instanceId: t.context.instanceId,
      table: 'sys_journal_field',
      query: `${t.table}:${t.id}:${address.element}`,
    },
  });
  const result = await readJournal(t.client, {
    table: t.table,
    id: t.id,
    ...(t.filter ? { filter: t.filter } : {}),
    element: address.element,
    offset: paging.offset,
    limit: paging.limit,
    label: t.label,
  });
  return {
    entries: result.entries,
    headers: {
      [RETURNED_COUNT_HEADER]: String(result.entries.length),
      ...paging.nextPageHeaders(result.hasNext),
    },
  };
};

/** The text of a journal body: `{"comments": "..."}` / `{"work_notes": "..."}`, or `{"value": "..."}`. */
export const journalValueOf = (element: JournalElement, body: unknown): string => {
  const schema = element === 'comments' ? commentBodySchema : workNoteBodySchema;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidInputError(`Body must be {"${element}": "<non-empty text>"} (or {"value": "<text>"})`);
  }
  return 'value' in parsed.data ? parsed.data.value : (Object.values(parsed.data)[0] ?? '');
};

/** Appends a comment or work note to the record; answers the new entry. */
export const addJournalEntry = async (
  contextOf: RecordsContextOf,
  address: JournalAddress,
  value: string,
): Promise<JournalEntry> => {
  const t = await target(contextOf, address);
  return appendJournal(t.client, {
    table: t.table,
    id: t.id,
    ...(t.filter ? { filter: t.filter } : {}),
    element: address.element,
    value,
  });
};
