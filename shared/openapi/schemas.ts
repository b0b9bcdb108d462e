import { downloadBodySchema, presignedUploadBodySchema } from '../bulk/api/requests';
import {
  bulkConvertingSchema,
  bulkJobCreatedSchema,
  bulkJobSchema,
  bulkPresignedUploadSchema,
  bulkRowErrorSchema,
} from '../bulk/api/response-schemas';
import type { ElementDefinition, ParameterType } from '../elements';
import { elementConfigurationItemSchema, elementMetadataSchema, elementSchema } from '../elements/schemas';
import { errorBodySchema } from '../errors/error-body';
import {
  eventViewSchema,
  pollStatusSchema,
  pollSummarySchema,
  redeliveredSchema,
} from '../events/admin-schemas';
import { attachmentSchema } from '../hub/attachments/schemas';
import { commentBodySchema, journalEntrySchema, workNoteBodySchema } from '../hub/journal/schemas';
import {
  objectEntrySchema,
  objectListSchema,
  objectMetadataSchema,
  objectNamesSchema,
} from '../hub/metadata/schemas';
import {
  deletedSchema,
  hubRecordSchema,
  pongSchema,
  recordInputSchema,
  recordListSchema,
} from '../hub/records/schemas';
import { instanceBodySchema } from '../instances/request-body';
import {
  configurationItemSchema,
  configurationPatchSchema,
  instanceSchema,
  oauthUrlSchema,
} from '../instances/response-schemas';
import {
  definitionMapSchema,
  storedDefinitionSchema,
  storedTransformationSchema,
  transformationMapSchema,
} from '../transformations/response-schemas';
import { objectDefinitionSchema, transformationSchema } from '../transformations/schema';
import * as z from '../validation/zod';
import type { JsonSchema, RequestBodyObject } from './types';

/** `GET /ping` (functions/api/ping.ts). */
const pingSchema = z.object({
  status: z.literal('ok'),
  dateTime: z.iso.datetime(),
  version: z.string(),
});

/** `PATCH /organizations/objects/{objectName}`: the new name. */
const renameBodySchema = z.object({ objectName: z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/)) });

/**
 * Every answer body, by component name: the zod schemas of each capability. A schema nested in
 * another one listed here becomes a `$ref` to it.
 */
const RESPONSE_SCHEMAS = {
  Error: errorBodySchema,
  Ping: pingSchema,
  Pong: pongSchema,
  Element: elementSchema,
  ElementMetadata: elementMetadataSchema,
  ElementConfigurationItem: elementConfigurationItemSchema,
  Instance: instanceSchema,
  ConfigurationItem: configurationItemSchema,
  OAuthUrl: oauthUrlSchema,
  Record: hubRecordSchema,
  RecordList: recordListSchema,
  Deleted: deletedSchema,
  ObjectNames: objectNamesSchema,
  ObjectEntry: objectEntrySchema,
  ObjectList: objectListSchema,
  ObjectMetadata: objectMetadataSchema,
  JournalEntry: journalEntrySchema,
  Attachment: attachmentSchema,
  BulkJobCreated: bulkJobCreatedSchema,
  BulkPresignedUpload: bulkPresignedUploadSchema,
  BulkJob: bulkJobSchema,
  BulkRowError: bulkRowErrorSchema,
  BulkConverting: bulkConvertingSchema,
  Event: eventViewSchema,
  PollSummary: pollSummarySchema,
  PollStatus: pollStatusSchema,
  Redelivered: redeliveredSchema,
  Definition: storedDefinitionSchema,
  DefinitionMap: definitionMapSchema,
  Transformation: storedTransformationSchema,
  TransformationMap: transformationMapSchema,
} satisfies Record<string, z.ZodMiniType>;

/** Every request body the handlers validate with zod, by component name (what a client may send). */
const REQUEST_SCHEMAS = {
  InstanceBody: instanceBodySchema,
  ConfigurationPatch: configurationPatchSchema,
  RecordInput: recordInputSchema,
  CommentInput: commentBodySchema,
  WorkNoteInput: workNoteBodySchema,
  BulkDownloadBody: downloadBodySchema,
  BulkPresignedUploadBody: presignedUploadBodySchema,
  DefinitionBody: objectDefinitionSchema,
  TransformationBody: transformationSchema,
  RenameBody: renameBodySchema,
} satisfies Record<string, z.ZodMiniType>;

/** Schemas written as JSON Schema: bodies no zod schema describes (multipart forms, documents). */
const JSON_SCHEMAS = {
  AttachmentUpload: {
    type: 'object',
    required: ['file'],
    properties: {
      file: {
        type: 'string',
        contentMediaType: 'application/octet-stream',
        description: 'The file; its name and content type are kept',
      },
    },
  },
  BulkUploadForm: {
    type: 'object',
    required: ['file'],
    properties: {
      file: {
        type: 'string',
        contentMediaType: 'application/octet-stream',
        description: 'CSV (header row), a JSON array of objects, or JSON lines',
      },
      metaData: {
        type: 'string',
        contentMediaType: 'application/json',
        description:
          'JSON: {"format": "csv"|"json"|"jsonl", "identifierFieldName": "number" (upsert), "callback-payload": {...}}',
      },
    },
  },
  OpenApiDocument: {
    type: 'object',
    description: 'An OpenAPI 3.1 document like this one',
    required: ['openapi', 'info', 'paths'],
  },
} satisfies Record<string, JsonSchema>;

type ComponentName =
  | keyof typeof RESPONSE_SCHEMAS
  | keyof typeof REQUEST_SCHEMAS
  | keyof typeof JSON_SCHEMAS
  | 'ElementConfiguration';

/** `#/components/schemas/<name>` */
export const schemaRef = (name: ComponentName): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** A required JSON request body. */
export const jsonBody = (schema: JsonSchema, description?: string): RequestBodyObject => ({
  required: true,
  ...(description === undefined ? {} : { description }),
  content: { 'application/json': { schema } },
});

/** An array of a component. */
export const arrayOf = (name: ComponentName): JsonSchema => ({ type: 'array', items: schemaRef(name) });

const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

/**
 * Shared by both directions: `$schema` and `$id` go (the document declares the dialect once) and the
 * safe-integer bounds zod puts on every `.int()` are dropped as noise.
 */
const tidy = (schema: JsonSchema): JsonSchema => {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
};

const override = (context: { jsonSchema: JsonSchema }) => {
  const json = context.jsonSchema;
  if (json.minimum === -SAFE_INTEGER) delete json.minimum;
  if (json.maximum === SAFE_INTEGER) delete json.maximum;
};

/**
 * Named zod schemas as `components.schemas`: `io: 'output'` for answers (what the handler returns),
 * `io: 'input'` for request bodies (what a client may send; unknown keys the handler strips stay
 * allowed). Cross-references between them become `$ref`s.
 */
const componentsOf = (
  schemas: Record<string, z.ZodMiniType>,
  io: 'input' | 'output',
): Record<string, JsonSchema> => {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const converted = z.toJSONSchema(registry, {
    io,
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
    override,
  }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(Object.entries(converted.schemas).map(([id, schema]) => [id, tidy(schema)]));
};

const jsonTypeOf: Record<ParameterType, JsonSchema> = {
  string: { type: 'string' },
  url: { type: 'string', format: 'uri' },
  boolean: { type: ['boolean', 'string'] },
  integer: { type: ['integer', 'string'] },
  json: { type: ['object', 'string'] },
};

/**
 * The configuration keys of one element (shared/elements/configuration-parameters.ts) as a schema, for
 * the element's own document: names, descriptions, defaults and the keys POST /instances requires.
 */
const elementConfigurationSchema = (element: ElementDefinition): JsonSchema => ({
  type: 'object',
  description: `Configuration of a ${element.name} instance`,
  required: element.configuration.filter((parameter) => parameter.required).map((parameter) => parameter.key),
  properties: Object.fromEntries(
    element.configuration.map((parameter) => [
      parameter.key,
      {
        ...jsonTypeOf[parameter.type],
        title: parameter.name,
        description: `${parameter.description}${parameter.secret ? ' (secret: stored in Secrets Manager, masked in responses)' : ''}`,
        ...(parameter.defaultValue === undefined ? {} : { default: parameter.defaultValue }),
      },
    ]),
  ),
});

let generated: Record<string, JsonSchema> | undefined;

/** Every schema of `components.schemas`: the zod ones converted once per process, plus the element's configuration. */
export const componentSchemas = (element: ElementDefinition): Record<string, JsonSchema> => {
  generated ??= {
    ...componentsOf(RESPONSE_SCHEMAS, 'output'),
    ...componentsOf(REQUEST_SCHEMAS, 'input'),
    ...JSON_SCHEMAS,
  };
  return { ...generated, ElementConfiguration: elementConfigurationSchema(element) };
};
