import type * as z from '../../validation/zod';
import type { choiceSchema, fieldMetadataSchema, hubFieldTypeSchema } from './schemas';

/**
 * Field metadata of one ServiceNow table as the hub exposes it (`GET /objects/{name}/metadata`) and
 * uses it (CEQL / `fields=` / `orderBy` validation). Built from sys_db_object, sys_dictionary and
 * sys_choice with the `super_class` chain merged.
 * Both CE's names (`vendorDisplayName`, `vendorRequired`, `vendorReadOnly`)
 * and plain ones (`label`, `required`, `readOnly`) are carried.
 */
export type Choice = z.infer<typeof choiceSchema>;
export type HubFieldType = z.infer<typeof hubFieldTypeSchema>;
/** One column of a table (schemas.ts describes each field). */
export type FieldMetadata = z.infer<typeof fieldMetadataSchema>;

export interface TableMetadata {
  table: string;
  label: string;
  /** The table first, then its ancestors (`incident`, `task`). */
  hierarchy: string[];
  fields: FieldMetadata[];
}
