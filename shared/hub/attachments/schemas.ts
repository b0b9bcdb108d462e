import * as z from '../../validation/zod';

/** Response shape of the attachment routes (view.ts); the file upload is multipart (see shared/openapi). */
export const attachmentSchema = z
  .looseObject({
    id: z.string().check(z.describe('sys_id of the attachment')),
    sys_id: z.nullish(z.string()),
    file_name: z.nullish(z.string()),
    content_type: z.nullish(z.string()),
    size_bytes: z.nullish(z.string()),
    table_name: z.nullish(z.string()),
    table_sys_id: z.nullish(z.string()),
  })
  .check(z.describe('A sys_attachment row: ServiceNow metadata as strings, plus id (= sys_id)'));
