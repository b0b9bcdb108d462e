import { BadUpstreamError } from '../../errors';
import type { SnRecord } from '../../servicenow';
import { withoutNulls } from '../null-filter';

/**
 * A ServiceNow row as the hub returns it:
 * - `id` (= sys_id) first, then ServiceNow's fields as ServiceNow named them;
 * - ServiceNow's `""` is its only "empty" (it cannot tell NULL from '', and CEQL `IS NULL`
 *   maps to ISEMPTY), so it is reported as `null`; with `filter.response.nulls` (default true) such
 *   fields are left out, with `false` they appear as `null`;
 * - with `displayValues=all` a field is `{display_value, value}`; it is null when both are empty.
 * References are always flattened (sysparm_exclude_reference_link=true): the sys_id by default, the
 * display text with displayValues=true, both with displayValues=all.
 */
const hubValue = (value: unknown): unknown => {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.values(value);
    if (entries.length > 0 && entries.every((v) => v === '' || v === null)) return null;
  }
  return value;
};

export const sysIdOf = (record: SnRecord): string => {
  const raw = record.sys_id;
  if (typeof raw === 'string' && raw !== '') return raw;
  if (typeof raw === 'object' && raw !== null) {
    const value = (raw as { value?: unknown }).value;
    if (typeof value === 'string' && value !== '') return value;
  }
  throw new BadUpstreamError('ServiceNow returned a record without sys_id');
};

/** One field of a row as the hub returns it (`undefined`: left out). */
const hubField = (raw: unknown, filterNulls: boolean): unknown => {
  if (typeof raw === 'string') return raw !== '' ? raw : filterNulls ? undefined : null;
  const value = hubValue(raw);
  if (value === null) return filterNulls ? undefined : null;
  return filterNulls && typeof value === 'object' ? withoutNulls(value) : value;
};

/**
 * One pass per row, on the hub's hot path (every row of every page): the parsed ServiceNow row is
 * updated in place (it is consumed) and copied once behind `id`. A dropped field is set to `undefined`,
 * which JSON leaves out, instead of being deleted (delete would put the object in slow dictionary mode).
 */
export const toHubRecord = (record: SnRecord, filterNulls: boolean): Record<string, unknown> => {
  const id = sysIdOf(record);
  if (Object.hasOwn(record, 'id')) delete record.id;
  for (const key in record) {
    const raw = record[key];
    if (typeof raw === 'string') {
      if (raw === '') record[key] = filterNulls ? undefined : null;
      continue;
    }
    const value = hubValue(raw);
    if (value === null) record[key] = filterNulls ? undefined : null;
    else if (filterNulls && typeof value === 'object') record[key] = withoutNulls(value);
  }
  return { id, ...record };
};

/**
 * `toHubRecord` for every row of a page, with the same result. The rows of a page nearly always carry
 * the same fields in the same order, so each hub row starts as a copy of a template shaped like the first
 * one (`{id, ...fields}`): copying an object that has the final layout is cheap, while `{id, ...row}`
 * must lay out every row anew. A row whose fields differ in any way, or that carries its own `id` or a
 * `__proto__` key, goes through `toHubRecord`.
 */
export const toHubRecords = (
  records: readonly SnRecord[],
  filterNulls: boolean,
): Record<string, unknown>[] => {
  const first = records[0];
  if (first === undefined || records.length === 1 || !plainFields(first)) {
    return records.map((record) => toHubRecord(record, filterNulls));
  }
  const fields = Object.keys(first);
  const template: Record<string, unknown> = { id: undefined, ...first };
  return records.map(
    (record) => fromTemplate(record, template, fields, filterNulls) ?? toHubRecord(record, filterNulls),
  );
};

const plainFields = (record: SnRecord): boolean =>
  !Object.hasOwn(record, 'id') && !Object.hasOwn(record, '__proto__');

/** The hub row of `record` if its fields are exactly `fields`, in that order; else undefined. */
const fromTemplate = (
  record: SnRecord,
  template: Record<string, unknown>,
  fields: readonly string[],
  filterNulls: boolean,
): Record<string, unknown> | undefined => {
  const row = { ...template };
  let index = 0;
  for (const key in record) {
    if (fields[index] !== key) return undefined;
    index += 1;
    row[key] = hubField(record[key], filterNulls);
  }
  if (index !== fields.length) return undefined;
  row.id = sysIdOf(record);
  return row;
};
