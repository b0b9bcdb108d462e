import type { Expression, FieldCatalog } from '../../ceql';
import { ElementError, InvalidInputError, NotFoundError } from '../../errors';
import {
  fieldCatalogFor,
  loadRelatedMetadata,
  loadTableMetadata,
  metadataScope,
  type TableMetadata,
} from '../metadata';
import type { RecordsContext } from './context';

/** Names a field list may carry: ServiceNow column names, dot-walked. */
const SAFE_FIELD = /^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/;

/**
 * The table's metadata (cached per instance by shared/hub/metadata). An unknown table is a 404 carrying
 * ServiceNow's own wording for it on the Table API.
 */
export const tableMetadata = async (ctx: RecordsContext, table: string): Promise<TableMetadata> => {
  try {
    // Same cache scope as the metadata routes (instance id + ServiceNow base URL): one entry per table.
    return await loadTableMetadata(ctx.client, table, undefined, metadataScope(ctx.instanceId, ctx.client));
  } catch (error) {
    if (error instanceof ElementError && error.status === 404) {
      throw new NotFoundError(error.message, {
        providerMessage: error.providerMessage ?? `Invalid table ${table}`,
        cause: error,
      });
    }
    throw error;
  }
};

/** Every field a CEQL expression names. */
export const fieldsOf = (expression: Expression | undefined): string[] => {
  if (expression === undefined) return [];
  if (expression.kind === 'and' || expression.kind === 'or') return expression.operands.flatMap(fieldsOf);
  return [expression.field];
};

/**
 * Catalogs of a table alone, per metadata object: the metadata cache hands out the same object until it
 * reloads the table, so a list call does not index every field of the table again.
 */
const plainCatalogs = new WeakMap<TableMetadata, FieldCatalog>();

/** A catalog that also knows the dot-walked names among `names` (caller_id.email). */
export const catalogFor = async (
  ctx: RecordsContext,
  metadata: TableMetadata,
  names: readonly string[],
): Promise<FieldCatalog> => {
  const dotted = names.filter((name) => name.includes('.'));
  if (dotted.length === 0) {
    let catalog = plainCatalogs.get(metadata);
    if (catalog === undefined) {
      catalog = fieldCatalogFor(metadata);
      plainCatalogs.set(metadata, catalog);
    }
    return catalog;
  }
  const related = await loadRelatedMetadata(
    ctx.client,
    metadata,
    dotted,
    undefined,
    metadataScope(ctx.instanceId, ctx.client),
  );
  return fieldCatalogFor(metadata, related);
};

/**
 * `fields=` checked against the catalog: an unknown name is a 400, never silently dropped (ServiceNow
 * would just leave the column out). sys_id is always added: every record carries `id`.
 */
export const checkedFields = (fields: readonly string[] | undefined, catalog: FieldCatalog) => {
  if (fields === undefined) return undefined;
  for (const field of fields) {
    if (!SAFE_FIELD.test(field) || !catalog.has(field)) {
      throw new InvalidInputError(`Unknown field '${field.slice(0, 100)}' in fields on ${catalog.table}`);
    }
  }
  return fields.includes('sys_id') ? [...fields] : ['sys_id', ...fields];
};
