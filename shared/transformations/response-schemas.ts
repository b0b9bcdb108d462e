import * as z from '../validation/zod';
import { objectDefinitionSchema, transformationSchema } from './schema';

/**
 * Response shapes of the object definition and transformation routes (request bodies are in
 * schema.ts); the store's types are checked against these in test/openapi and the OpenAPI document is
 * generated from them.
 */
const level = z.enum(['organization', 'account', 'instance']);
const timestamps = {
  startDate: z.iso.datetime().check(z.describe('When it was created')),
  updatedDate: z.iso.datetime(),
};

/** One object definition as stored at a level. */
export const storedDefinitionSchema = z.object({
  level,
  objectName: z.string(),
  fields: objectDefinitionSchema.shape.fields,
  ...timestamps,
});

/** The definitions of a level, keyed by object name. */
export const definitionMapSchema = z
  .record(z.string(), storedDefinitionSchema)
  .check(z.describe('Keyed by object name'));

const { vendorName, fields, configuration, script, isLegacy } = transformationSchema.shape;

/** One transformation (field mapping onto a ServiceNow table) as stored at a level. */
export const storedTransformationSchema = z.object({
  vendorName,
  fields,
  configuration,
  script,
  isLegacy,
  level,
  objectName: z.string(),
  elementKey: z.string(),
  ...timestamps,
});

/** The transformations of a level, keyed by object name. */
export const transformationMapSchema = z
  .record(z.string(), storedTransformationSchema)
  .check(z.describe('Keyed by object name'));
