import { elementSchema } from '../elements/schemas';
import * as z from '../validation/zod';
import { configurationValueSchema } from './request-body';

/**
 * Response shapes of the instance routes (request bodies are in request-body.ts); instance-view.ts and
 * the instance service return these types, and the OpenAPI document is generated from these schemas.
 */

/** `GET /instances/{id}` and every route answering an instance. */
export const instanceSchema = z.object({
  id: z.int().check(z.describe('Instance id')),
  name: z.string(),
  createdDate: z.iso.datetime(),
  updatedDate: z.iso.datetime(),
  token: z
    .optional(z.string())
    .check(
      z.describe(
        'The element token for `Authorization: User <user secret>, Element <token>`; only in the answers of POST and GET /instances/{id}',
      ),
    ),
  element: z.union([elementSchema, z.object({ key: z.string() })]),
  elementId: z.optional(z.int()),
  provisionInteractions: z.array(z.never()),
  valid: z
    .boolean()
    .check(z.describe('false once ServiceNow refused the credentials; re-authorize with PUT/PATCH')),
  invalidReason: z.optional(z.string()),
  disabled: z.boolean().check(z.describe('Hub calls answer 403 while disabled')),
  maxCacheSize: z.number(),
  cacheTimeToLive: z.number(),
  configuration: z
    .record(z.string(), z.nullable(z.string()))
    .check(
      z.describe(
        'Every configuration value as a string; secret keys masked as ********; unset event keys null',
      ),
    ),
  eventsEnabled: z.boolean(),
  traceLoggingEnabled: z.boolean(),
  cachingEnabled: z.boolean(),
  externalAuthentication: z.string(),
  tags: z.array(z.string()),
  user: z.object({
    id: z.string(),
    emailAddress: z.string(),
    firstName: z.string(),
    lastName: z.string(),
  }),
});
export type InstanceView = z.infer<typeof instanceSchema>;

/** `GET /instances/{id}/configuration` items; the id is the configuration key itself. */
export const configurationItemSchema = z.object({
  id: z.string().check(z.describe('The configuration key, used as its id')),
  key: z.string(),
  name: z.string(),
  propertyValue: z.string().check(z.describe('The value as a string; secrets masked')),
});
export type ConfigurationItem = z.infer<typeof configurationItemSchema>;

/** `PATCH /instances/{id}/configuration/{configId}` body. */
export const configurationPatchSchema = z.object({
  propertyValue: configurationValueSchema.check(
    z.describe('The new value (strings, numbers and booleans are stored as strings)'),
  ),
});

/** `GET /elements/{keyOrId}/oauth/url`. */
export const oauthUrlSchema = z.object({
  element: z.string(),
  oauthUrl: z.string().check(z.describe("ServiceNow's /oauth_auth.do URL to send the user to")),
});
export type OAuthUrlView = z.infer<typeof oauthUrlSchema>;
