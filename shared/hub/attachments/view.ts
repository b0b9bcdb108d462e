import type { SnRecord } from '../../servicenow';

/** An attachment as the hub answers it: ServiceNow's metadata (all strings, C.1) plus `id` (= sys_id). */
export type AttachmentView = { id: string } & SnRecord;

export const attachmentView = (record: SnRecord): AttachmentView => ({
  id: typeof record.sys_id === 'string' ? record.sys_id : '',
  ...record,
});

/**
 * `Content-Disposition: attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 /
 * RFC 5987), so a file name can never break out of the header.
 */
export const contentDisposition = (fileName: string): string => {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_') || 'file';
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
};
