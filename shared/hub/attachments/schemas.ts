import { z } from 'zod';

/** Response shape of the attachment routes (view.ts); the file upload is multipart (see shared/openapi). */
export const attachmentSchema = z
  .looseObject({
    id: z.string().describe('sys_id of the attachment'),
    sys_id: z.string().nullish(),
    file_name: z.string().nullish(),
    content_type: z.string().nullish(),
    size_bytes: z.string().nullish(),
    table_name: z.string().nullish(),
    table_sys_id: z.string().nullish(),
  })
  .describe('A sys_attachment row: ServiceNow metadata as strings, plus id (= sys_id)');
