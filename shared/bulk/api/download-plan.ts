import {
  type FieldCatalog,
  formatServiceNowDateTime,
  orderTermsToEncoded,
  parseIsoInstant,
  parseOrderBy,
  parseWhere,
  toEncodedQuery,
} from '../../ceql';
import { InvalidInputError } from '../../errors';
import { andEveryGroup, catalogFor, fieldsOf, type RecordsContext, tableMetadata } from '../../hub/records';
import { assertFitsServiceNowUrl, type ServiceNowClient, tablePath, tableQuery } from '../../servicenow';
import { mapCeqlToVendor, mapOrderByToVendor } from '../../transformations';
import { type DownloadFormat, type DownloadJob, keysetQuery, MAX_DOWNLOAD_PARTITIONS } from '../download';
import type { BulkObject } from './resolve-object';

/** A download as the API asked for it (bulk/query and bulk/download both end up here). */
export interface DownloadRequest {
  format: DownloadFormat;
  where?: string;
  orderBy?: string;
  selectFields?: string[];
  /** ISO instants: `filterDateField >= from` and `< to`. */
  from?: string;
  to?: string;
  /** Default: the instance's `bulk.query.field_name` (sys_updated_on). */
  filterDateField?: string;
  limit?: number;
  pageSize?: number;
  /** Parallel streams (beyond CE): keyset order only, so not with `order by` or `limit`. */
  partitions?: number;
}

export const MAX_DOWNLOAD_PAGE_SIZE = 10_000;

const instant = (text: string, name: string): string => {
  const parsed = parseIsoInstant(text.trim());
  if (parsed === undefined)
    throw new InvalidInputError(
      `${name} must be an ISO 8601 date or date-time, got ${JSON.stringify(text.slice(0, 50))}`,
    );
  return formatServiceNowDateTime(parsed.seconds);
};

const checkField = (catalog: FieldCatalog, field: string, what: string) => {
  if (!/^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/.test(field) || !catalog.has(field)) {
    throw new InvalidInputError(`Unknown field '${field.slice(0, 100)}' in ${what} on ${catalog.table}`);
  }
};

/** The longest sys_id a keyset cursor or partition bound carries (ServiceNow's are 32 characters). */
const WIDEST_SYS_ID = 'f'.repeat(32);

/**
 * A download whose widest page request (keyset cursor and partition bounds in every `^NQ` group, or the
 * order, plus the offset window) would not fit ServiceNow's URL limit is a 400 now, not a job that fails.
 */
const assertDownloadFits = (
  table: string,
  encodedQuery: string,
  orderBy: string | undefined,
  fields: readonly string[] | undefined,
) => {
  const keyset = keysetQuery(encodedQuery, WIDEST_SYS_ID, { from: WIDEST_SYS_ID, to: WIDEST_SYS_ID });
  const query = orderBy === undefined ? keyset : `${keyset}^${orderBy}`;
  assertFitsServiceNowUrl(
    tablePath(table),
    tableQuery({
      query,
      ...(fields === undefined ? {} : { fields }),
      limit: MAX_DOWNLOAD_PAGE_SIZE,
      offset: Number.MAX_SAFE_INTEGER,
      excludeReferenceLink: true,
      noCount: true,
    }),
  );
};

/**
 * Validates a download against the table's metadata and turns it into the persisted job: CEQL ->
 * encoded query with every field checked (an unknown field is a 400, never a silently wider result),
 * the resource slice ANDed into every `^NQ` group, the date window, the order.
 * With a transformation, `where`/`order by` name common fields (mapped to vendor fields first) and
 * `selectFields` picks common fields of the mapped rows.
 */
export async function planDownload(
  client: ServiceNowClient,
  instanceId: number,
  object: BulkObject,
  request: DownloadRequest,
): Promise<Omit<DownloadJob, 'id'>> {
  // Only client and instanceId are read by the catalog helpers; the rest of the hub's context is unused.
  const ctx: RecordsContext = {
    client,
    instanceId,
    filterNulls: false,
    pageTokenKey: () => {
      throw new Error('not used by bulk');
    },
  };
  const metadata = await tableMetadata(ctx, object.table);
  const t = object.transformation;
  let where = request.where?.trim() ? parseWhere(request.where) : undefined;
  let terms = request.orderBy?.trim() ? parseOrderBy(request.orderBy) : [];
  if (t !== undefined) {
    if (where !== undefined) where = mapCeqlToVendor(where, t);
    terms = mapOrderByToVendor(terms, t);
  }
  const dateField = request.filterDateField ?? 'sys_updated_on';
  const dated = request.from !== undefined || request.to !== undefined;
  const selectFields = request.selectFields?.length ? [...new Set(request.selectFields)] : undefined;
  const names = [
    ...fieldsOf(where),
    ...terms.map((term) => term.field),
    ...(t === undefined ? (selectFields ?? []) : []),
    ...(dated ? [dateField] : []),
  ];
  const catalog = await catalogFor(ctx, metadata, names);
  const filter = toEncodedQuery(where, { fields: catalog });
  if (t === undefined) for (const field of selectFields ?? []) checkField(catalog, field, 'selectFields');
  let window = '';
  if (dated) {
    checkField(catalog, dateField, 'filterDateField');
    window = [
      request.from === undefined ? '' : `${dateField}>=${instant(request.from, 'from')}`,
      request.to === undefined ? '' : `${dateField}<${instant(request.to, 'to')}`,
    ]
      .filter((part) => part !== '')
      .join('^');
  }
  // A trailing `sys_id` term is the engine's own tie-breaker; `order by sys_id` alone is the keyset order.
  while (terms.at(-1)?.field === 'sys_id' && terms.at(-1)?.descending === false) terms = terms.slice(0, -1);
  const orderBy = terms.length === 0 ? undefined : orderTermsToEncoded(terms, catalog);
  const limit = request.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
    throw new InvalidInputError('limit must be a positive integer');
  const pageSize = request.pageSize;
  if (
    pageSize !== undefined &&
    (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > MAX_DOWNLOAD_PAGE_SIZE)
  ) {
    throw new InvalidInputError(`pageSize must be an integer from 1 to ${MAX_DOWNLOAD_PAGE_SIZE}`);
  }
  const partitions = request.partitions;
  if (
    partitions !== undefined &&
    (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > MAX_DOWNLOAD_PARTITIONS)
  ) {
    throw new InvalidInputError(`partitions must be an integer from 1 to ${MAX_DOWNLOAD_PARTITIONS}`);
  }
  if (partitions !== undefined && partitions > 1) {
    if (orderBy !== undefined) {
      throw new InvalidInputError(
        'partitions read in sys_id order and cannot follow an order by; drop one of them',
      );
    }
    if (limit !== undefined) throw new InvalidInputError('partitions cannot be combined with limit');
  }
  const encodedQuery = andEveryGroup(andEveryGroup(filter, window), object.filter);
  assertDownloadFits(object.table, encodedQuery, orderBy, selectFields);
  return {
    table: object.table,
    encodedQuery,
    ...(selectFields === undefined ? {} : { fields: selectFields }),
    // A transformation reads whole vendor rows: its computed fields may read any of them.
    ...(t === undefined ? {} : { readFields: [], transformation: t }),
    format: request.format,
    ...(pageSize === undefined ? {} : { pageSize }),
    ...(orderBy === undefined ? {} : { orderBy }),
    ...(limit === undefined ? {} : { limit }),
    ...(partitions === undefined || partitions <= 1 ? {} : { partitions }),
  };
}
