import type * as z from '../../validation/zod';
import type { journalElementSchema, journalEntrySchema } from './schemas';

/** The two journal fields the hub exposes. */
export type JournalElement = z.infer<typeof journalElementSchema>;

/** One journal entry, as `GET /{objectName}/{id}/comments|work-notes` returns it (schemas.ts). */
export type JournalEntry = z.infer<typeof journalEntrySchema>;

export interface JournalPage {
  entries: JournalEntry[];
  /** More entries after this page (ServiceNow's Link header, or the split text). */
  hasNext: boolean;
  /** Where the entries came from. */
  source: 'journal' | 'display';
}
