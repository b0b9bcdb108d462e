import { InvalidInputError } from '../errors';
import * as z from '../validation/zod';
import { checkExpression } from './computed';
import { parsePath } from './paths';

/**
 * Object definitions and transformations as CE stored them. Parsing
 * refuses a bad definition with a 400 whose message names the JSON path of the first problem, e.g.
 * `Invalid transformation: fields[2].vendorPath: unsupported selector ...`.
 */

export const FIELD_TYPES = ['string', 'number', 'boolean', 'date'] as const;
export type CommonFieldType = (typeof FIELD_TYPES)[number];

const fieldType = z.enum(FIELD_TYPES);

/** A path must parse with our JSONPath-like subset; checked here so the error names the field. */
const pathString = z.string().check(
  z.minLength(1),
  z.superRefine((value, ctx) => {
    try {
      parsePath(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
);

/** Common paths: dotted keys and `[n]` indexes only (a filter has no meaning on our own shape). */
const commonPathString = pathString.check(
  z.superRefine((value, ctx) => {
    if (/\[[^\]]*[=?]/.test(value))
      ctx.addIssue({ code: 'custom', message: `filters are only allowed in vendorPath ('${value}')` });
  }),
);

const expressionString = z.string().check(
  z.minLength(1),
  z.maxLength(4096),
  z.superRefine((value, ctx) => {
    try {
      checkExpression(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
);

export const objectDefinitionSchema = z.strictObject({
  fields: z.array(z.strictObject({ path: commonPathString, type: fieldType })).check(z.minLength(1)),
  level: z.optional(z.enum(['organization', 'account', 'instance'])),
});
export type ObjectDefinition = z.infer<typeof objectDefinitionSchema>;

/** Which way a `remove` or `passThrough` applies: reading from ServiceNow, writing to it, or both. */
const directions = z.optional(
  z.strictObject({ fromVendor: z.optional(z.boolean()), toVendor: z.optional(z.boolean()) }),
);

const removeConfig = z.strictObject({ type: z.literal('remove'), properties: directions });

export const transformationFieldSchema = z
  .strictObject({
    path: commonPathString,
    type: fieldType,
    vendorPath: z.optional(pathString),
    /** Vendor representation; ServiceNow sends and takes strings, so the default is string. */
    vendorType: z.optional(fieldType),
    /** Date mask of the vendor value (default `yyyy-MM-dd HH:mm:ss`, UTC). */
    mask: z.optional(z.string().check(z.minLength(1))),
    /** JSONata expression computing the common value from the vendor record (read-only field). */
    expression: z.optional(expressionString),
    configuration: z.optional(z.array(removeConfig)),
  })
  .check(
    z.superRefine((field, ctx) => {
      if (field.vendorPath === undefined && field.expression === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'needs a vendorPath or an expression',
          path: ['vendorPath'],
        });
      }
      if (field.vendorPath !== undefined && field.expression !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'has both vendorPath and expression', path: ['expression'] });
      }
    }),
  );
export type TransformationField = z.infer<typeof transformationFieldSchema>;

const objectConfiguration = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('passThrough'), properties: directions }),
  z.strictObject({ type: z.literal('inherit'), properties: z.optional(z.object({})) }),
  z.strictObject({ type: z.literal('addToDocumentation'), properties: z.optional(z.object({})) }),
]);
export type ObjectConfiguration = z.infer<typeof objectConfiguration>;

export const transformationSchema = z
  .strictObject({
    vendorName: z
      .string()
      .check(z.regex(/^[a-z0-9_]+$/, 'must be a ServiceNow table name (lower-case, digits, _)')),
    fields: z.array(transformationFieldSchema),
    configuration: z.optional(z.array(objectConfiguration)),
    /** CE ran this JavaScript; we never run user JavaScript, so it is refused (see README in index.ts). */
    script: z.optional(z.unknown()),
    isLegacy: z.optional(z.boolean()),
    level: z.optional(z.enum(['organization', 'account', 'instance'])),
    objectName: z.optional(z.string()),
    startDate: z.optional(z.string()),
  })
  .check(
    z.superRefine((t, ctx) => {
      if (t.script !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['script'],
          message: 'JavaScript transformation scripts are not supported; use fields[].expression (JSONata)',
        });
      }
      const seen = new Set<string>();
      t.fields.forEach((field, index) => {
        if (seen.has(field.path)) {
          ctx.addIssue({
            code: 'custom',
            path: ['fields', index, 'path'],
            message: `duplicate path '${field.path}'`,
          });
        }
        seen.add(field.path);
      });
    }),
  );
export type Transformation = z.infer<typeof transformationSchema>;

function describe(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
  return `${path || '(root)'}: ${issue.message}`;
}

function parseWith<T>(schema: z.ZodMiniType<T>, what: string, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(`Invalid ${what}: ${describe(result.error)}`);
  return result.data;
}

/** Throws ElementError 400 naming the path of the problem. */
export const parseObjectDefinition = (input: unknown): ObjectDefinition =>
  parseWith(objectDefinitionSchema, 'object definition', input);

/** Throws ElementError 400 naming the path of the problem. */
export const parseTransformation = (input: unknown): Transformation =>
  parseWith(transformationSchema, 'transformation', input);

/**
 * A transformation may only map fields its object definition declares, with the same type (400 naming
 * the field otherwise); CE checked this when saving the mapping.
 */
export function checkAgainstDefinition(definition: ObjectDefinition, transformation: Transformation): void {
  const types = new Map(definition.fields.map((f) => [f.path, f.type]));
  transformation.fields.forEach((field, index) => {
    const type = types.get(field.path);
    if (type === undefined) {
      throw new InvalidInputError(
        `Invalid transformation: fields[${index}].path: '${field.path}' is not in the object definition`,
      );
    }
    if (type !== field.type) {
      throw new InvalidInputError(
        `Invalid transformation: fields[${index}].type: '${field.type}' but the definition says '${type}'`,
      );
    }
  });
}
