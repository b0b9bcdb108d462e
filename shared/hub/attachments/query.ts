import { orderByToEncoded, parseWhere, toEncodedQuery } from '../../ceql';
import { attachmentCatalog } from './catalog';

export interface AttachmentQuery {
  table: string;
  /** sys_id of the record the attachments belong to (already validated: no `^`, `=`). */
  recordId: string;
  where?: string;
  orderBy?: string;
}

/** Newest first by default; sys_id breaks ties so offset pages are stable. */
const DEFAULT_ORDER = 'ORDERBYDESCsys_created_on^ORDERBYsys_id';

/**
 * `table_name=<t>^table_sys_id=<id>` ANDed into EVERY `^NQ` group of the CEQL translation: a
 * top-level OR must never reach another record's attachments (an `^NQ` group is a whole new query).
 * CEQL values cannot carry `^` (refused by the translator), so splitting on `^NQ` is exact.
 */
export const attachmentQuery = (q: AttachmentQuery): string => {
  const scope = `table_name=${q.table}^table_sys_id=${q.recordId}`;
  const where = q.where?.trim() ? toEncodedQuery(parseWhere(q.where), { fields: attachmentCatalog }) : '';
  const groups = where === '' ? [scope] : where.split('^NQ').map((group) => `${scope}^${group}`);
  const order = q.orderBy?.trim()
    ? `${orderByToEncoded(q.orderBy, attachmentCatalog)}^ORDERBYsys_id`
    : DEFAULT_ORDER;
  return `${groups.join('^NQ')}^${order}`;
};
