import { BadUpstreamError } from '../errors';
import type { ServiceNowClient, SnRecord, UpdatedCursor } from '../servicenow';
import { updatedFirstQuery, updatedNextQuery } from '../servicenow';
import { fieldValue } from './record-fields';

/**
 * Keyset read on (sys_updated_on, sys_id) from an inclusive lower bound, built on the
 * client's `list` rather than `keysetByUpdated` for one reason: cost. A poll where nothing changed must
 * cost ONE request, so after a non-empty page we stop when ServiceNow's `Link` header is present and
 * has no `rel="next"` (a short last page). Without a Link header at all (some instances may
 * omit it on single pages) we cannot tell a short last page from an ACL-short one and read on, like
 * keysetByUpdated. An EMPTY page with `next` (the whole window hidden by ACLs) steps by offset.
 */
export interface ScanOptions {
  since: string;
  /** Encoded-query filter ANDed into both keyset groups (no ^NQ, no ORDERBY). */
  filter?: string;
  pageSize: number;
  /** Ask for X-Total-Count to detect rows hidden by ACLs (costs a count on the ServiceNow side). */
  detectHidden?: boolean;
}

export interface ScanPage {
  records: SnRecord[];
  /** Rows in this page's window that ACLs hid from us (only with detectHidden). */
  hidden: number;
}

const keyOf = (record: SnRecord): UpdatedCursor => {
  const updatedOn = fieldValue(record, 'sys_updated_on');
  const sysId = fieldValue(record, 'sys_id');
  if (updatedOn === undefined || sysId === undefined) {
    throw new BadUpstreamError('ServiceNow returned a row without sys_updated_on or sys_id; cannot poll it');
  }
  return { updatedOn, sysId };
};

export async function* scanUpdated(
  client: ServiceNowClient,
  table: string,
  options: ScanOptions,
): AsyncGenerator<ScanPage> {
  const filter = options.filter ?? '';
  let cursor: UpdatedCursor | undefined;
  let offset = 0;
  for (;;) {
    const query =
      cursor === undefined
        ? updatedFirstQuery(options.since, filter)
        : updatedNextQuery(options.since, cursor, filter);
    const page = await client.list(table, {
      query,
      limit: options.pageSize,
      ...(offset === 0 ? {} : { offset }),
      noCount: options.detectHidden !== true,
      excludeReferenceLink: true,
    });
    const expected =
      page.totalCount === undefined ? 0 : Math.max(0, Math.min(options.pageSize, page.totalCount - offset));
    const hidden = options.detectHidden === true ? Math.max(0, expected - page.records.length) : 0;
    const last = page.records.at(-1);
    if (last === undefined) {
      if (hidden > 0) yield { records: [], hidden };
      if (!page.hasNext) return;
      offset += options.pageSize;
      continue;
    }
    offset = 0;
    const next = keyOf(last);
    if (
      cursor !== undefined &&
      (next.updatedOn < cursor.updatedOn ||
        (next.updatedOn === cursor.updatedOn && next.sysId <= cursor.sysId))
    ) {
      throw new BadUpstreamError(
        'ServiceNow paging did not advance (the cursor repeated); stopping to avoid a loop',
      );
    }
    cursor = next;
    yield { records: page.records, hidden };
    if (!page.hasNext && page.headers.link !== undefined) return;
  }
}

export { keyOf as rowCursor };
