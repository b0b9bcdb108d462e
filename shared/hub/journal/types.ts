/** The two journal fields the hub exposes. */
export type JournalElement = 'comments' | 'work_notes';

/** One journal entry, as `GET /{objectName}/{id}/comments|work-notes` returns it. */
export interface JournalEntry {
  /**
   * sys_journal_field sys_id; null when the entry was recovered from the record's display text
   * (journal table hidden by ACL), which carries no id.
   */
  id: string | null;
  value: string;
  /** ISO 8601 (UTC); see `splitJournalText` for the display-text case. */
  createdOn: string;
  /** sys_journal_field `sys_created_by` (user name); the display name in the display-text case. */
  createdBy: string;
  element: JournalElement;
}

export interface JournalPage {
  entries: JournalEntry[];
  /** More entries after this page (ServiceNow's Link header, or the split text). */
  hasNext: boolean;
  /** Where the entries came from. */
  source: 'journal' | 'display';
}
