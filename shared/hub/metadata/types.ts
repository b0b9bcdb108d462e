/**
 * Field metadata of one ServiceNow table as the hub exposes it (`GET /objects/{name}/metadata`) and
 * uses it (CEQL / `fields=` / `orderBy` validation). Built from sys_db_object, sys_dictionary and
 * sys_choice with the `super_class` chain merged.
 * Both CE's names (`vendorDisplayName`, `vendorRequired`, `vendorReadOnly`)
 * and plain ones (`label`, `required`, `readOnly`) are carried.
 */
export interface Choice {
  value: string;
  label: string;
}

/** CE's coarse field type (what a JSON client should expect); `vendorNativeType` keeps ServiceNow's. */
export type HubFieldType = 'string' | 'number' | 'boolean' | 'date' | 'date-time';

export interface FieldMetadata {
  /** Column name (sys_dictionary `element`). */
  vendorPath: string;
  type: HubFieldType;
  /** sys_dictionary `internal_type` (`string`, `integer`, `reference`, `choice`, `glide_date_time`, ...). */
  vendorNativeType: string;
  label: string;
  vendorDisplayName: string;
  required: boolean;
  vendorRequired: boolean;
  readOnly: boolean;
  vendorReadOnly: boolean;
  /** Target table of a reference field. */
  reference?: string;
  choices?: Choice[];
  maxLength?: number;
  /** Table of the hierarchy that defines the column (e.g. `task` for incident.number). */
  definedOn: string;
}

export interface TableMetadata {
  table: string;
  label: string;
  /** The table first, then its ancestors (`incident`, `task`). */
  hierarchy: string[];
  fields: FieldMetadata[];
}
