import { type FieldCatalog, fieldCatalog } from '../../ceql';

/**
 * The columns of `sys_attachment` a CEQL `where`/`orderBy` on attachments may name (its
 * metadata fields). Fixed rather than read from sys_dictionary: the Attachment API returns exactly
 * these, and reading sys_attachment's dictionary may need rights an integration user lacks.
 */
export const ATTACHMENT_FIELDS: Record<string, string> = {
  sys_id: 'GUID',
  file_name: 'string',
  content_type: 'string',
  size_bytes: 'integer',
  size_compressed: 'integer',
  compressed: 'boolean',
  download_link: 'url',
  table_name: 'string',
  table_sys_id: 'GUID',
  image_width: 'integer',
  image_height: 'integer',
  average_image_color: 'string',
  created_by_name: 'string',
  updated_by_name: 'string',
  sys_created_on: 'glide_date_time',
  sys_created_by: 'string',
  sys_updated_on: 'glide_date_time',
  sys_updated_by: 'string',
  sys_mod_count: 'integer',
  sys_tags: 'string',
};

export const attachmentCatalog: FieldCatalog = fieldCatalog('sys_attachment', ATTACHMENT_FIELDS);
