import { z } from 'zod';
import { InvalidInputError } from '../errors';

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
  element: z
    .object({
      key: z.string().max(100).optional(),
      id: z.union([z.number(), z.string().max(20)]).optional(),
    })
    .optional(),
  name: z.string().max(MAX_NAME_LENGTH).optional(),
  tags: z.array(z.string().max(MAX_TAG_LENGTH)).max(MAX_TAGS).optional(),
  configuration: z.record(z.string().max(200), configurationValue).optional(),
  providerData: z
    .object({ code: z.string().min(1).max(MAX_CODE_LENGTH).optional() })
    .catchall(z.unknown())
    .optional(),
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
