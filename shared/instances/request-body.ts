import { InvalidInputError } from '../errors';
import * as z from '../validation/zod';

/** Limits that keep one instance item far below DynamoDB's 400 KB (and names readable). */
export const MAX_NAME_LENGTH = 200;
export const MAX_TAGS = 50;
export const MAX_TAG_LENGTH = 100;
export const MAX_CODE_LENGTH = 4096;

const configurationValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.record(z.string(), z.unknown()),
]);

/**
 * The body of POST/PUT/PATCH `/instances`. Unknown top-level fields are ignored
 * (CE clients send e.g. `id` in PATCH bodies); configuration keys are checked against the element.
 */
/** One configuration value as a body may give it (string, number, boolean or null). */
export const configurationValueSchema = configurationValue;

export const instanceBodySchema = z.object({
  element: z.optional(
    z.object({
      key: z.optional(z.string().check(z.maxLength(100))),
      id: z.optional(z.union([z.number(), z.string().check(z.maxLength(20))])),
    }),
  ),
  name: z.optional(z.string().check(z.maxLength(MAX_NAME_LENGTH))),
  tags: z.optional(z.array(z.string().check(z.maxLength(MAX_TAG_LENGTH))).check(z.maxLength(MAX_TAGS))),
  configuration: z.optional(z.record(z.string().check(z.maxLength(200)), configurationValue)),
  providerData: z.optional(
    z.catchall(
      z.object({ code: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_CODE_LENGTH))) }),
      z.unknown(),
    ),
  ),
});

export type InstanceBody = z.infer<typeof instanceBodySchema>;
export type ConfigurationInput = NonNullable<InstanceBody['configuration']>;

const describePath = (path: readonly PropertyKey[]) => path.map(String).join('.');

/**
 * Parses a request body; every problem is named in one 400 (never echoing values, which may be secrets).
 */
export const parseInstanceBody = (body: unknown): InstanceBody => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError('Request body must be a JSON object');
  }
  const result = instanceBodySchema.safeParse(body);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const where = describePath(issue.path);
      const what = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message;
      return where === '' ? what : `${where}: ${what}`;
    });
    throw new InvalidInputError(`Invalid request body: ${[...new Set(problems)].join('; ')}`);
  }
  return result.data;
};
