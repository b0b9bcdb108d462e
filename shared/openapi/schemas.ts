import { z } from 'zod';
import type { ElementDefinition, ParameterType } from '../elements';
import { instanceBodySchema } from '../instances/request-body';
import type { JsonSchema } from './types';

/** `#/components/schemas/<name>` */
export const schemaRef = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/**
 * A zod schema as a JSON Schema 2020-12 object for a request body: `io: 'input'` describes what a
 * client may send (unknown keys that the handler strips stay allowed), `$schema` is dropped because the
 * document declares the dialect once (`jsonSchemaDialect`).
 */
export const requestSchemaOf = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
};

const str = (description: string): JsonSchema => ({ type: 'string', description });
const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const int = (description: string): JsonSchema => ({ type: 'integer', description });

/** The wire error body of every failure (functions/middleware/error-response.ts). */
const ErrorBody: JsonSchema = {
  type: 'object',
  description: 'Every error response: the request id (also in Elements-Request-Id) and a message.',
  required: ['requestId', 'message'],
  properties: {
    requestId: str('Id of the request, 24 hex characters; the same value as the Elements-Request-Id header'),
    message: str('What went wrong, for a human'),
    providerMessage: str("ServiceNow's own error message and detail, when the failure came from ServiceNow"),
  },
  additionalProperties: false,
};

const elementSummaryProperties = {
  id: int('Numeric element id (145 Basic, 566 OAuth)'),
  key: { type: 'string', enum: ['servicenow', 'servicenowoauth'] },
  name: str('Display name'),
  hub: { type: 'string', const: 'helpdesk' },
  authentication: {
    type: 'object',
    properties: { type: { type: 'string', enum: ['basic', 'oauth2'] } },
  },
  typeOauth: bool('true for the OAuth element'),
  beta: { type: 'boolean' },
  transformationsEnabled: { type: 'boolean' },
  bulkDownloadEnabled: { type: 'boolean' },
  bulkUploadEnabled: { type: 'boolean' },
};

/** `GET /elements/{keyOrId}` (shared/elements/element-view.ts). */
const Element: JsonSchema = {
  type: 'object',
  required: ['id', 'key', 'name', 'hub', 'configuration'],
  properties: {
    ...elementSummaryProperties,
    description: { type: 'string' },
    active: { type: 'boolean' },
    deleted: { type: 'boolean' },
    events: {
      type: 'object',
      properties: {
        supported: { type: 'boolean' },
        methods: { type: 'array', items: { type: 'string', enum: ['polling'] } },
      },
    },
    configuration: {
      type: 'array',
      description: 'The configuration keys an instance of this element takes',
      items: {
        type: 'object',
        required: ['key', 'name', 'type', 'required', 'secret'],
        properties: {
          key: { type: 'string' },
          name: { type: 'string' },
          type: { type: 'string', enum: ['string', 'boolean', 'integer', 'json', 'url'] },
          required: { type: 'boolean' },
          secret: bool('Masked (********) in every response'),
          hideFromConsole: { type: 'boolean' },
          defaultValue: { type: 'string' },
          description: { type: 'string' },
        },
      },
    },
    parameters: { type: 'array', items: { type: 'object' } },
  },
};

/** `GET /instances/{id}` and friends (shared/instances/instance-view.ts). */
const Instance: JsonSchema = {
  type: 'object',
  required: ['id', 'name', 'element', 'valid', 'disabled', 'configuration', 'tags'],
  properties: {
    id: int('Instance id'),
    name: { type: 'string' },
    createdDate: { type: 'string', format: 'date-time' },
    updatedDate: { type: 'string', format: 'date-time' },
    token: str(
      'The element token for `Authorization: User <user secret>, Element <token>`; only in the answers of POST and GET /instances/{id}',
    ),
    element: { type: 'object', properties: elementSummaryProperties },
    elementId: { type: 'integer' },
    valid: bool('false once ServiceNow refused the credentials; re-authorize with PUT/PATCH'),
    invalidReason: { type: 'string' },
    disabled: bool('Hub calls answer 403 while disabled'),
    configuration: {
      type: 'object',
      description: 'Every configuration value as a string; secret keys masked as ********',
      additionalProperties: { type: ['string', 'null'] },
    },
    eventsEnabled: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    user: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        emailAddress: { type: 'string' },
        firstName: { type: 'string' },
        lastName: { type: 'string' },
      },
    },
  },
};

const ConfigurationItem: JsonSchema = {
  type: 'object',
  required: ['id', 'key', 'propertyValue'],
  properties: {
    id: str('The configuration key, used as its id'),
    key: { type: 'string' },
    name: { type: 'string' },
    propertyValue: str('The value as a string; secrets masked'),
  },
};

const ConfigurationPatch: JsonSchema = {
  type: 'object',
  required: ['propertyValue'],
  properties: {
    propertyValue: {
      description: 'The new value (strings, numbers and booleans are stored as strings)',
      type: ['string', 'number', 'boolean'],
    },
  },
};

const OAuthUrl: JsonSchema = {
  type: 'object',
  required: ['element', 'oauthUrl'],
  properties: {
    element: { type: 'string' },
    oauthUrl: str("ServiceNow's /oauth_auth.do URL to send the user to"),
  },
};

/** `GET /ping` (functions/api/ping.ts). */
const Ping: JsonSchema = {
  type: 'object',
  required: ['status', 'dateTime', 'version'],
  properties: {
    status: { type: 'string', const: 'ok' },
    dateTime: { type: 'string', format: 'date-time' },
    version: { type: 'string' },
  },
};

/** `GET /hubs/helpdesk/ping`. */
const Pong: JsonSchema = {
  type: 'object',
  required: ['dateTime', 'endpoint', 'valid'],
  properties: {
    dateTime: { type: 'string', format: 'date-time' },
    endpoint: str('The element key of the instance'),
    valid: bool('true when ServiceNow answered with the instance credentials'),
  },
};

/** A ServiceNow row as the hub returns it (`id` is the `sys_id`). */
const HubRecord: JsonSchema = {
  type: 'object',
  description:
    'A ServiceNow record: `id` (= sys_id) plus the table fields, values as ServiceNow returns them ' +
    '(strings; reference fields flattened to their sys_id, or {value, display_value} objects with displayValues=all). ' +
    'Fields whose value is null are left out while the instance has filter.response.nulls=true.',
  required: ['id'],
  properties: { id: str('The record sys_id'), sys_id: { type: 'string' } },
  additionalProperties: true,
};

const RecordList: JsonSchema = { type: 'array', items: schemaRef('Record') };

const RecordInput: JsonSchema = {
  type: 'object',
  description: 'Fields of the table to set, by column name (choice fields by value or label)',
  additionalProperties: true,
};

const JournalEntry: JsonSchema = {
  type: 'object',
  description: 'One comment or work note (a sys_journal_field row)',
  additionalProperties: true,
};

const CommentInput: JsonSchema = {
  type: 'object',
  required: ['comments'],
  properties: { comments: str('Text appended to the additional comments journal') },
};

const WorkNoteInput: JsonSchema = {
  type: 'object',
  required: ['work_notes'],
  properties: { work_notes: str('Text appended to the work notes journal') },
};

const Attachment: JsonSchema = {
  type: 'object',
  description: 'A sys_attachment row',
  properties: {
    id: { type: 'string' },
    sys_id: { type: 'string' },
    file_name: { type: 'string' },
    content_type: { type: 'string' },
    size_bytes: { type: 'string' },
    table_name: { type: 'string' },
    table_sys_id: { type: 'string' },
  },
  additionalProperties: true,
};

const AttachmentUpload: JsonSchema = {
  type: 'object',
  required: ['file'],
  properties: {
    file: {
      type: 'string',
      contentMediaType: 'application/octet-stream',
      description: 'The file; its name and content type are kept',
    },
  },
};

const ObjectMetadata: JsonSchema = {
  type: 'object',
  required: ['fields'],
  properties: {
    fields: {
      type: 'array',
      items: {
        type: 'object',
        required: ['vendorPath', 'type'],
        properties: {
          vendorPath: str('Column name'),
          type: { type: 'string', enum: ['string', 'number', 'boolean', 'date', 'date-time'] },
          vendorNativeType: str('ServiceNow internal_type'),
          label: { type: 'string' },
          vendorDisplayName: { type: 'string' },
          required: { type: 'boolean' },
          vendorRequired: { type: 'boolean' },
          readOnly: { type: 'boolean' },
          vendorReadOnly: { type: 'boolean' },
          reference: str('Target table of a reference field'),
          choices: {
            type: 'array',
            items: {
              type: 'object',
              properties: { value: { type: 'string' }, label: { type: 'string' } },
            },
          },
          maxLength: { type: 'integer' },
          definedOn: str('The table of the hierarchy that defines the column'),
        },
      },
    },
  },
  additionalProperties: true,
};

const ObjectNames: JsonSchema = { type: 'array', items: { type: 'string' } };

const OpenApiDocumentSchema: JsonSchema = {
  type: 'object',
  description: 'An OpenAPI 3.1 document like this one',
  required: ['openapi', 'info', 'paths'],
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
export const elementConfigurationSchema = (element: ElementDefinition): JsonSchema => ({
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

/** Every schema of `components.schemas`; request bodies that handlers validate with zod come from zod. */
export const componentSchemas = (element: ElementDefinition): Record<string, JsonSchema> => ({
  Error: ErrorBody,
  Ping,
  Pong,
  Element,
  Instance,
  InstanceBody: requestSchemaOf(instanceBodySchema),
  ElementConfiguration: elementConfigurationSchema(element),
  ConfigurationItem,
  ConfigurationPatch,
  OAuthUrl,
  Record: HubRecord,
  RecordList,
  RecordInput,
  JournalEntry,
  CommentInput,
  WorkNoteInput,
  Attachment,
  AttachmentUpload,
  ObjectMetadata,
  ObjectNames,
  OpenApiDocument: OpenApiDocumentSchema,
});
