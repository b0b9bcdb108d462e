/**
 * Table metadata for the hub: fields with inheritance merged
 * (`loadTableMetadata`), a CEQL catalog over them (`fieldCatalogFor`), readable tables (`listTables`).
 * Everything is cached in-process per scope (instance) for a few minutes.
 */
export {
  DEFAULT_METADATA_MAX_ENTRIES,
  DEFAULT_METADATA_TTL_MS,
  MetadataCache,
  sharedMetadataCache,
  TtlCache,
  type TtlCacheOptions,
} from './cache';
export { fieldCatalogFor, loadRelatedMetadata, MAX_DOT_WALK } from './field-catalog';
export { listTables } from './list-tables';
export {
  hubTypeOf,
  loadTableMetadata,
  type MetadataOptions,
  metadataScope,
  TABLE_NAME,
} from './load-table-metadata';
export { listObjects, type ObjectEntry, type ObjectMetadata, objectDocs, objectMetadata } from './objects';
export type { Choice, FieldMetadata, HubFieldType, TableMetadata } from './types';
