import * as z from '../../validation/zod';

/**
 * Request and response shapes of the journal routes (`/{objectName}/{id}/comments|work-notes`); the
 * handler validates with the body schemas, types.ts takes JournalEntry from here, and the OpenAPI
 * document is generated from both.
 */

/** Largest comment accepted; ServiceNow journal values are long text, this only bounds abuse. */
const MAX_JOURNAL_VALUE_LENGTH = 1_000_000;

const text = z.string().check(
  z.maxLength(MAX_JOURNAL_VALUE_LENGTH),
  z.refine((value) => value.trim() !== '', 'must not be blank'),
  z.describe('The text to append (not blank)'),
);

/** CE's bodies: `{"comments": "..."}` / `{"work_notes": "..."}`; `{"value": "..."}` also taken. */
export const commentBodySchema = z.union([
  z.strictObject({ comments: text }),
  z.strictObject({ value: text }),
]);
export const workNoteBodySchema = z.union([
  z.strictObject({ work_notes: text }),
  z.strictObject({ value: text }),
]);

export const journalElementSchema = z.enum(['comments', 'work_notes']);

/** One journal entry, as the journal routes answer it. */
export const journalEntrySchema = z
  .object({
    id: z
      .nullable(z.string())
      .check(
        z.describe(
          'sys_journal_field sys_id; null when the entry was recovered from the record display text (journal table hidden by ACL)',
        ),
      ),
    value: z.string(),
    createdOn: z.string().check(z.describe('ISO 8601 (UTC)')),
    createdBy: z
      .string()
      .check(
        z.describe('sys_journal_field sys_created_by (user name); the display name in the display-text case'),
      ),
    element: journalElementSchema,
  })
  .check(z.describe('One comment or work note (a sys_journal_field row)'));
