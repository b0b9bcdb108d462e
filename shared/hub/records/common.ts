import type { Expression, OrderTerm } from '../../ceql';
import { InvalidInputError } from '../../errors';
import type { StateTable } from '../../ports';
import { type ResolvedResource, resolveResource } from '../../resources';
import {
  type CommonResource,
  findCommonResource,
  type InstanceRef,
  isDotted,
  mapCeqlToVendor,
  mapOrderByToVendor,
  passThroughOf,
  toCommon,
  toVendor,
} from '../../transformations';
import { filtersNulls, withoutNulls } from '../null-filter';

/**
 * How a records operation reads and writes a common resource (a transformation turns a
 * ServiceNow table into a hub resource with its own field names). Without a mapping every operation
 * works on ServiceNow's names, as before.
 */
export interface RecordsMapping {
  /** CEQL on common names -> vendor names (400 for unknown, computed or removed fields). */
  where(expression: Expression): Expression;
  orderBy(terms: OrderTerm[]): OrderTerm[];
  /** Common `fields` -> the vendor fields to read; undefined = read every field (computed ones need all). */
  fields(fields: readonly string[]): string[] | undefined;
  /** Hub rows (`id` = sys_id first, empty values handled) -> common records, projected on `fields`. */
  read(rows: Record<string, unknown>[], fields?: readonly string[]): Promise<Record<string, unknown>[]>;
  /** A common write body (without `id`) -> the vendor body. */
  write(body: Record<string, unknown>): Record<string, unknown>;
}

/** The resource a common resource reads from: its ServiceNow table, named by the common name. */
export const commonResourceTarget = (common: CommonResource): ResolvedResource => ({
  table: common.vendorName,
  resource: common.name,
});

/**
 * - `id` is sys_id (paths always take sys_id) unless the transformation maps a field to `id`;
 * - `filter.response.nulls`: values a conversion could not read (null) are left out like empty ones;
 * - `fields` selects top-level common keys; the ServiceNow read is narrowed only when every requested
 *   field is a plain mapped one.
 */
export function recordsMapping(common: CommonResource, filterNulls: boolean): RecordsMapping {
  const { transformation } = common;
  const mapsId = transformation.fields.some((f) => f.path === 'id');
  const passThrough = passThroughOf(transformation).fromVendor;
  return {
    where: (expression) => mapCeqlToVendor(expression, transformation),
    orderBy: (terms) => mapOrderByToVendor(terms, transformation),
    fields(requested) {
      const vendor = new Set<string>();
      for (const name of requested) {
        if (name === 'id') continue;
        const matching = transformation.fields.filter(
          (f) => f.path === name || f.path.startsWith(`${name}.`),
        );
        if (matching.length === 0) {
          if (passThrough) {
            vendor.add(name);
            continue;
          }
          throw new InvalidInputError(`Unknown field '${name.slice(0, 100)}' in fields on ${common.name}`);
        }
        for (const field of matching) {
          if (field.vendorPath === undefined || !isDotted(field.vendorPath)) return undefined;
          vendor.add(field.vendorPath.replace(/^\$\./, ''));
        }
      }
      return [...vendor];
    },
    async read(rows, fields) {
      const keep = fields === undefined ? undefined : new Set(['id', ...fields.map((f) => f.split('.')[0]!)]);
      return Promise.all(
        rows.map(async (row) => {
          const mapped = await toCommon(transformation, row);
          const record: Record<string, unknown> = mapsId ? mapped : { id: row.id, ...mapped };
          if (!mapsId) record.id = row.id;
          const projected =
            keep === undefined
              ? record
              : Object.fromEntries(Object.entries(record).filter(([key]) => keep.has(key)));
          return filterNulls ? (withoutNulls(projected) as Record<string, unknown>) : projected;
        }),
      );
    },
    write: (body) => toVendor(transformation, body),
  };
}

/**
 * The resource `objectName` names for this instance: a common resource (an effective transformation at
 * the organization, account or instance level) reads and writes its ServiceNow table through the
 * transformation; anything else is a hub resource or table. Looked up on every request (one state-table
 * get when the name is not a common resource), so changes apply at once.
 */
export const recordsTargetOf = async (
  stateTable: StateTable,
  instance: InstanceRef & { configuration: Record<string, string> },
  objectName: string,
): Promise<{ resource: ResolvedResource; mapping?: RecordsMapping }> => {
  const common = await findCommonResource(stateTable, instance, objectName);
  if (!common) return { resource: resolveResource(objectName) };
  const filterNulls = filtersNulls(instance.configuration);
  return { resource: commonResourceTarget(common), mapping: recordsMapping(common, filterNulls) };
};
