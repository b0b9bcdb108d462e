import * as z from '../validation/zod';

/**
 * The body of every error response (functions/middleware/error-response.ts writes it). Kept out of
 * `shared/errors/index.ts` so entry points importing the errors do not load zod.
 */
export const errorBodySchema = z
  .object({
    requestId: z
      .string()
      .check(
        z.describe('Id of the request, 24 hex characters; the same value as the Elements-Request-Id header'),
      ),
    message: z.string().check(z.describe('What went wrong, for a human')),
    providerMessage: z
      .optional(z.string())
      .check(z.describe("ServiceNow's own error message and detail, when the failure came from ServiceNow")),
  })
  .check(z.describe('Every error response: the request id (also in Elements-Request-Id) and a message.'));
