/**
 * Comments and work notes of a record: read from sys_journal_field with a display-text fallback when
 * that table is hidden by ACL, appended through a PATCH of the journal field.
 */
export { type AppendJournalOptions, appendJournal } from './append-journal';
export { type ChildPaging, type ChildPagingInput, childPaging } from './child-paging';
export { entryFromRow, isoFromServiceNow, type ReadJournalOptions, readJournal } from './read-journal';
export { type RecordRef, readRecord } from './read-record';
export { assertRecordId } from './record-id';
export { addJournalEntry, type JournalAddress, journalValueOf, listJournal } from './record-journal';
export { splitJournalText } from './split-journal-text';
export type { JournalElement, JournalEntry, JournalPage } from './types';
