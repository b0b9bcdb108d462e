import * as z from '../../validation/zod';

/**
 * Response shapes of the hub's metadata routes; types.ts takes its field types from here and the
 * OpenAPI document is generated from these schemas.
 */
export const choiceSchema = z.object({ value: z.string(), label: z.string() });

/** CE's coarse field type (what a JSON client should expect); `vendorNativeType` keeps ServiceNow's. */
export const hubFieldTypeSchema = z.enum(['string', 'number', 'boolean', 'date', 'date-time']);

/** One column, inheritance merged; CE's names and plain ones (`label`, `required`, `readOnly`) side by side. */
export const fieldMetadataSchema = z.object({
  vendorPath: z.string().check(z.describe('Column name (sys_dictionary element)')),
  type: hubFieldTypeSchema,
  vendorNativeType: z
    .string()
    .check(
      z.describe('sys_dictionary internal_type (string, integer, reference, choice, glide_date_time, ...)'),
    ),
  label: z.string(),
  vendorDisplayName: z.string(),
  required: z.boolean(),
  vendorRequired: z.boolean(),
  readOnly: z.boolean(),
  vendorReadOnly: z.boolean(),
  reference: z.optional(z.string()).check(z.describe('Target table of a reference field')),
  choices: z.optional(z.array(choiceSchema)),
  maxLength: z.optional(z.int()),
  definedOn: z
    .string()
    .check(z.describe('The table of the hierarchy that defines the column (e.g. task for incident.number)')),
});

/** `GET /objects/{objectName}/metadata`. */
export const objectMetadataSchema = z.object({
  objectName: z.string(),
  vendorName: z.string().check(z.describe('The ServiceNow table behind the name')),
  label: z.string(),
  hierarchy: z.array(z.string()).check(z.describe('The table first, then its ancestors (incident, task)')),
  fields: z.array(fieldMetadataSchema),
});

/** `GET /objects` with `Elements-Version: Helium`. */
export const objectEntrySchema = z.object({
  name: z.string(),
  vendorName: z.string().check(z.describe('The ServiceNow table behind the name')),
  source: z
    .enum(['hub', 'vendor'])
    .check(z.describe('hub: a mapped resource (incidents); vendor: a raw table')),
});

/** `GET /objects` by default: the names. */
export const objectNamesSchema = z.array(z.string());

/** `GET /objects`: names by default, entries with `Elements-Version: Helium`. */
export const objectListSchema = z.union([objectNamesSchema, z.array(objectEntrySchema)]);
