import { BadUpstreamError, NotFoundError } from '../../errors';
import { idQuery, type ServiceNowClient, type SnRecord } from '../../servicenow';
import { type MetadataCache, sharedMetadataCache } from './cache';
import type { Choice, FieldMetadata, HubFieldType, TableMetadata } from './types';

/** ServiceNow table names: lower-case, `u_`/`x_` prefixes for custom and scoped tables. */
export const TABLE_NAME = /^[a-z][a-z0-9_]{0,79}$/;

export interface MetadataOptions {
  /**
   * Cache partition, normally the instance id: two instances (or two credentials on one instance)
   * may see different tables. Defaults to the client's base URL.
   */
  scope?: string;
  /** Rows per metadata page (default 1000); small values let tests cross many ACL-short pages. */
  pageSize?: number;
}

/** Deepest `super_class` chain followed; stock instances are 3-4 deep (cmdb is the deepest). */
const MAX_DEPTH = 16;

const PAGE_SIZE = 1000;

const str = (record: SnRecord, field: string): string => {
  const value = record[field];
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { value?: unknown }).value === 'string')
    return (value as { value: string }).value;
  return '';
};

const NUMBER_TYPES = new Set([
  'integer',
  'decimal',
  'float',
  'longint',
  'currency',
  'price',
  'percent_complete',
]);
const DATE_TIME_TYPES = new Set(['glide_date_time', 'due_date', 'glide_time', 'glide_duration', 'timer']);

/** Numbers, booleans and dates get their JSON types, the rest is text. */
export const hubTypeOf = (internalType: string): HubFieldType => {
  if (NUMBER_TYPES.has(internalType)) return 'number';
  if (internalType === 'boolean') return 'boolean';
  if (internalType === 'glide_date') return 'date';
  if (DATE_TIME_TYPES.has(internalType)) return 'date-time';
  return 'string';
};

/**
 * All rows of a metadata query, keyset on sys_id. Stops when ServiceNow's Link header has no `next`
 * (one call for a typical table) but never on a short page alone: ACLs apply after the limit (A.8).
 */
const readAll = async (
  client: ServiceNowClient,
  table: string,
  filter: string,
  fields: string[],
  pageSize = PAGE_SIZE,
) => {
  const rows: SnRecord[] = [];
  let after: string | undefined;
  for (let offset = 0; ; ) {
    const page = await client.list(table, {
      query: idQuery(after, filter),
      fields,
      limit: pageSize,
      ...(offset === 0 ? {} : { offset }),
      noCount: true,
      excludeReferenceLink: true,
    });
    rows.push(...page.records);
    if (!page.hasNext) return rows;
    const last = page.records.at(-1);
    if (last === undefined) {
      offset += pageSize; // a window fully hidden by ACLs: step over it
    } else {
      after = str(last, 'sys_id');
      offset = 0;
    }
  }
};

interface TableRow {
  label: string;
  parent: string | undefined;
}

const readTableRow = async (client: ServiceNowClient, table: string): Promise<TableRow | undefined> => {
  const { records } = await client.list('sys_db_object', {
    query: `name=${table}`,
    // Dot-walk to the parent's name saves a round trip per level.
    fields: ['sys_id', 'name', 'label', 'super_class', 'super_class.name'],
    limit: 1,
    noCount: true,
    excludeReferenceLink: true,
  });
  const row = records[0];
  if (row === undefined) return undefined;
  const superClass = str(row, 'super_class');
  let parent: string | undefined = str(row, 'super_class.name') || undefined;
  if (superClass !== '' && parent === undefined) {
    const parentRow = await client.list('sys_db_object', {
      query: `sys_id=${superClass}`,
      fields: ['name'],
      limit: 1,
      noCount: true,
    });
    parent = parentRow.records[0] ? str(parentRow.records[0], 'name') || undefined : undefined;
  }
  return { label: str(row, 'label') || table, parent };
};

const choicesByElement = (rows: SnRecord[]): Map<string, Choice[]> => {
  const sorted = [...rows].sort((a, b) => Number(str(a, 'sequence') || 0) - Number(str(b, 'sequence') || 0));
  const out = new Map<string, Choice[]>();
  for (const row of sorted) {
    const element = str(row, 'element');
    const list = out.get(element) ?? [];
    list.push({ value: str(row, 'value'), label: str(row, 'label') });
    out.set(element, list);
  }
  return out;
};

const fieldOf = (row: SnRecord, table: string, choices: Choice[] | undefined): FieldMetadata => {
  const nativeType = str(row, 'internal_type') || 'string';
  const label = str(row, 'column_label') || str(row, 'element');
  const required = str(row, 'mandatory') === 'true';
  const readOnly = str(row, 'read_only') === 'true';
  const reference = str(row, 'reference');
  const maxLength = Number(str(row, 'max_length'));
  return {
    vendorPath: str(row, 'element'),
    type: hubTypeOf(nativeType),
    vendorNativeType: nativeType,
    label,
    vendorDisplayName: label,
    required,
    vendorRequired: required,
    readOnly,
    vendorReadOnly: readOnly,
    ...(reference === '' ? {} : { reference }),
    ...(choices === undefined ? {} : { choices }),
    ...(Number.isFinite(maxLength) && maxLength > 0 ? { maxLength } : {}),
    definedOn: table,
  };
};

interface LoadContext {
  client: ServiceNowClient;
  cache: MetadataCache;
  scope: string;
  pageSize: number;
}

const load = async (ctx: LoadContext, table: string, depth: number): Promise<TableMetadata> => {
  const { client, pageSize } = ctx;
  if (depth > MAX_DEPTH)
    throw new BadUpstreamError(`The table hierarchy of ${table} is deeper than ${MAX_DEPTH}`);
  const row = await readTableRow(client, table);
  if (row === undefined) {
    // A table that exists but whose sys_db_object row is hidden by ACL looks the same (C.7).
    throw new NotFoundError(
      `No such object: ${table} (unknown table, or not readable with this instance's credentials)`,
    );
  }
  const [parent, dictionary, choiceRows] = await Promise.all([
    row.parent === undefined ? undefined : cached(ctx, row.parent, depth + 1),
    readAll(
      client,
      'sys_dictionary',
      `name=${table}^active=true`,
      [
        'sys_id',
        'element',
        'column_label',
        'internal_type',
        'reference',
        'max_length',
        'mandatory',
        'read_only',
      ],
      pageSize,
    ),
    readAll(
      client,
      'sys_choice',
      `name=${table}^inactive=false^language=en`,
      ['sys_id', 'element', 'value', 'label', 'sequence'],
      pageSize,
    ),
  ]);
  const ownChoices = choicesByElement(choiceRows);
  const fields = new Map<string, FieldMetadata>();
  // Inherited first (parent order), then own columns; a child's dictionary row or choice list for
  // an inherited column overrides the parent's (incident.state has its own choices, C.7).
  for (const field of parent?.fields ?? []) {
    const override = ownChoices.get(field.vendorPath);
    fields.set(field.vendorPath, override === undefined ? field : { ...field, choices: override });
  }
  for (const entry of dictionary) {
    const element = str(entry, 'element');
    if (element === '') continue; // the collection row describes the table itself
    const inherited = fields.get(element);
    fields.set(element, fieldOf(entry, table, ownChoices.get(element) ?? inherited?.choices));
  }
  return {
    table,
    label: row.label,
    hierarchy: [table, ...(parent?.hierarchy ?? [])],
    fields: [...fields.values()],
  };
};

const cached = (ctx: LoadContext, table: string, depth: number): Promise<TableMetadata> =>
  ctx.cache.getOrLoad(`${ctx.scope}|table|${table}`, () => load(ctx, table, depth));

/**
 * Fields of `table` with inherited ones merged by walking `sys_db_object.super_class` (incident ->
 * task), choices from `sys_choice`. 404 for an unknown (or unreadable) table, 400 for
 * a name that cannot be a table. Cached per scope+table (parents too, so incident, problem and
 * change_request share task's rows).
 */
export const loadTableMetadata = (
  client: ServiceNowClient,
  table: string,
  cache: MetadataCache = sharedMetadataCache,
  options: MetadataOptions = {},
): Promise<TableMetadata> => {
  if (!TABLE_NAME.test(table))
    return Promise.reject(new NotFoundError(`No such object: ${JSON.stringify(table)}`));
  const ctx = {
    client,
    cache,
    scope: options.scope ?? client.baseUrl,
    pageSize: options.pageSize ?? PAGE_SIZE,
  };
  return cached(ctx, table, 0);
};

/**
 * The cache partition every hub route should use: the instance id plus its ServiceNow URL (an
 * instance re-pointed at another ServiceNow, or ids reused by a fresh local data dir, never see
 * stale entries).
 */
export const metadataScope = (instanceId: number | string, client: ServiceNowClient): MetadataOptions => ({
  scope: `${instanceId}@${client.baseUrl}`,
});
