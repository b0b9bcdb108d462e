import type { FieldCatalog, FieldType } from '../../ceql';
import type { ServiceNowClient } from '../../servicenow';
import type { MetadataCache } from './cache';
import { loadTableMetadata, type MetadataOptions } from './load-table-metadata';
import type { FieldMetadata, TableMetadata } from './types';

/** Longest dot-walk followed (`caller_id.company.name` is 3). ServiceNow itself allows more. */
export const MAX_DOT_WALK = 3;

const indexOf = (metadata: TableMetadata): Map<string, FieldMetadata> =>
  new Map(metadata.fields.map((f) => [f.vendorPath, f]));

/**
 * A CEQL / `fields=` / `orderBy` catalog for one table (an unknown field must be
 * refused, ServiceNow would silently drop the condition and widen the result). Dot-walked names
 * (`caller_id.email`) are known only when the referenced table's metadata is in `related` (see
 * `loadRelatedMetadata`); otherwise they are refused rather than guessed.
 */
export function fieldCatalogFor(
  metadata: TableMetadata,
  related: ReadonlyMap<string, TableMetadata> = new Map(),
): FieldCatalog {
  const indexes = new Map<string, Map<string, FieldMetadata>>([[metadata.table, indexOf(metadata)]]);
  const index = (table: string): Map<string, FieldMetadata> | undefined => {
    const hit = indexes.get(table);
    if (hit !== undefined) return hit;
    const meta = related.get(table);
    if (meta === undefined) return undefined;
    const built = indexOf(meta);
    indexes.set(table, built);
    return built;
  };
  const resolve = (name: string): FieldMetadata | undefined => {
    const parts = name.split('.');
    if (parts.length > MAX_DOT_WALK || parts.some((p) => p === '')) return undefined;
    let table: string | undefined = metadata.table;
    let field: FieldMetadata | undefined;
    for (const part of parts) {
      if (table === undefined) return undefined;
      field = index(table)?.get(part);
      if (field === undefined) return undefined;
      table = field.reference;
    }
    return field;
  };
  return {
    table: metadata.table,
    has: (name) => resolve(name) !== undefined,
    type: (name): FieldType | undefined => resolve(name)?.vendorNativeType,
  };
}

/**
 * Loads the metadata of every table a set of dot-walked names passes through (`caller_id.email` ->
 * sys_user), for `fieldCatalogFor(metadata, related)`. Unknown segments are skipped here: the
 * catalog then refuses the name with a 400 that names it.
 */
export async function loadRelatedMetadata(
  client: ServiceNowClient,
  metadata: TableMetadata,
  names: Iterable<string>,
  cache?: MetadataCache,
  options: MetadataOptions = {},
): Promise<Map<string, TableMetadata>> {
  const related = new Map<string, TableMetadata>([[metadata.table, metadata]]);
  for (const name of names) {
    const parts = name.split('.');
    if (parts.length < 2 || parts.length > MAX_DOT_WALK) continue;
    let current: TableMetadata | undefined = metadata;
    for (const part of parts.slice(0, -1)) {
      const target: string | undefined = current?.fields.find((f) => f.vendorPath === part)?.reference;
      if (target === undefined) break;
      current = related.get(target) ?? (await loadTableMetadata(client, target, cache, options));
      related.set(target, current);
    }
  }
  related.delete(metadata.table);
  return related;
}
