import * as z from '../validation/zod';

/**
 * Response shapes of the element routes; the views in element-view.ts and element-metadata.ts return
 * these types, and the OpenAPI document is generated from these schemas.
 */
const elementKey = z.enum(['servicenow', 'servicenowoauth']);
const parameterType = z.enum(['string', 'boolean', 'integer', 'json', 'url']);
const authentication = z.object({ type: z.enum(['basic', 'oauth2']) });

/** `GET /elements/{keyOrId}`: the element as CE describes it. */
export const elementSchema = z.object({
  id: z.int().check(z.describe('Numeric element id (145 Basic, 566 OAuth)')),
  key: elementKey,
  name: z.string().check(z.describe('Display name')),
  hookName: z.string(),
  description: z.string(),
  active: z.boolean(),
  deleted: z.boolean(),
  typeOauth: z.boolean().check(z.describe('true for the OAuth element')),
  hub: z.literal('helpdesk'),
  authentication,
  beta: z.boolean(),
  private: z.boolean(),
  protocolType: z.string(),
  transformationsEnabled: z.boolean(),
  bulkDownloadEnabled: z.boolean(),
  bulkUploadEnabled: z.boolean(),
  events: z.object({ supported: z.boolean(), methods: z.array(z.literal('polling')) }),
  configuration: z
    .array(
      z.object({
        key: z.string(),
        name: z.string(),
        type: parameterType,
        required: z.boolean(),
        hideFromConsole: z.boolean(),
        secret: z.boolean().check(z.describe('Masked (********) in every response')),
        defaultValue: z.optional(z.string()),
        description: z.string(),
      }),
    )
    .check(z.describe('The configuration keys an instance of this element takes')),
  parameters: z.array(
    z.object({
      name: z.string(),
      vendorName: z.string(),
      type: z.string(),
      vendorType: z.string(),
      source: z.string(),
      elementId: z.int(),
      required: z.boolean(),
    }),
  ),
});
export type ElementView = z.infer<typeof elementSchema>;

/** `GET /elements/{keyOrId}/configuration`: CE's console fields, with `secret` and `description` beside. */
export const elementConfigurationItemSchema = z.object({
  id: z.int(),
  key: z.string(),
  name: z.string(),
  type: z
    .string()
    .check(z.describe('CE console field type: TEXTFIELD_128, BOOLEAN, TEXTFIELD_32, TEXTAREA, PASSWORD...')),
  required: z.boolean(),
  hideFromConsole: z.boolean(),
  internal: z.boolean(),
  active: z.boolean(),
  displayOrder: z.int(),
  defaultValue: z.optional(z.string()),
  description: z.string(),
  secret: z.boolean(),
});
export type ElementConfigurationItem = z.infer<typeof elementConfigurationItemSchema>;

/** `GET /elements/{keyOrId}/metadata`: what a client discovers before it provisions. */
export const elementMetadataSchema = z.object({
  id: z.int(),
  key: elementKey,
  name: z.string(),
  hub: z.literal('helpdesk'),
  authentication,
  events: z.object({
    supported: z.boolean(),
    methods: z.array(z.literal('polling')),
    polling: z.object({
      refreshIntervalMinutes: z.int(),
      configuration: z
        .record(z.string(), z.unknown())
        .check(z.describe('The default event.poller.configuration: one entry per polled resource')),
    }),
  }),
  bulk: z.object({ download: z.boolean(), upload: z.boolean() }),
  transformationsEnabled: z.boolean(),
  resources: z.array(z.string()).check(z.describe('The named hub resources')),
});
export type ElementMetadataView = z.infer<typeof elementMetadataSchema>;
