import { HUB_RESOURCES, resolveResource } from '../../resources';
import type { ServiceNowClient } from '../../servicenow';
import { listTables } from './list-tables';
import { loadTableMetadata, metadataScope, TABLE_NAME } from './load-table-metadata';
import type { FieldMetadata } from './types';

export interface ObjectEntry {
  name: string;
  /** ServiceNow table behind the name. */
  vendorName: string;
  /** `hub`: a mapped resource (`incidents`); `vendor`: a raw ServiceNow table. */
  source: 'hub' | 'vendor';
}

/** The hub resources first (`incidents`, `accounts`, ...), then every table the credentials can read. */
export const listObjects = async (client: ServiceNowClient, instanceId: number): Promise<ObjectEntry[]> => {
  const tables = await listTables(client, undefined, metadataScope(instanceId, client));
  const readable = new Set(tables);
  return [
    ...HUB_RESOURCES.map((name) => ({
      name,
      vendorName: resolveResource(name).table,
      source: 'hub' as const,
    }))
      // A resource whose table is hidden from these credentials is not offered either.
      .filter((entry) => readable.has(entry.vendorName)),
    ...tables
      .filter((name) => TABLE_NAME.test(name))
      .map((name) => ({ name, vendorName: name, source: 'vendor' as const })),
  ];
};

export interface ObjectMetadata {
  objectName: string;
  vendorName: string;
  label: string;
  hierarchy: string[];
  fields: FieldMetadata[];
}

/**
 * Fields of the object's table, inheritance merged. The client is asked for once the name resolves: an
 * unknown object is refused before the instance's client (and its secret) is built.
 */
export const objectMetadata = async (
  clientOf: () => Promise<ServiceNowClient>,
  instanceId: number,
  objectName: string,
): Promise<ObjectMetadata> => {
  const { table } = resolveResource(objectName);
  const client = await clientOf();
  const metadata = await loadTableMetadata(client, table, undefined, metadataScope(instanceId, client));
  return {
    objectName,
    vendorName: table,
    label: metadata.label,
    hierarchy: metadata.hierarchy,
    fields: metadata.fields,
  };
};

const JSON_TYPES = {
  string: { type: 'string' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  date: { type: 'string', format: 'date' },
  'date-time': { type: 'string', format: 'date-time' },
} as const;

/**
 * An OpenAPI 3.1 document of one object: its record schema from the table's metadata,
 * `x-vendor-objectname` naming the table, and its list/read/write operations.
 */
export const objectDocs = ({ objectName, vendorName, label, fields }: ObjectMetadata) => {
  const record = {
    type: 'object',
    'x-vendor-objectname': vendorName,
    'x-primary-key': ['id'],
    properties: {
      id: { type: 'string', description: 'sys_id' },
      ...Object.fromEntries(
        fields.map((field) => [
          field.vendorPath,
          {
            ...JSON_TYPES[field.type],
            title: field.label,
            ...(field.readOnly ? { readOnly: true } : {}),
            ...(field.choices === undefined ? {} : { enum: field.choices.map((choice) => choice.value) }),
          },
        ]),
      ),
    },
    required: fields.filter((field) => field.required).map((field) => field.vendorPath),
  };
  const ref = { $ref: `#/components/schemas/${objectName}` };
  const body = { required: true, content: { 'application/json': { schema: ref } } };
  const ok = (schema: unknown) => ({ description: 'OK', content: { 'application/json': { schema } } });
  const path = `/hubs/helpdesk/${objectName}`;
  return {
    openapi: '3.1.0',
    info: { title: `${label} (${objectName})`, version: '1' },
    paths: {
      [path]: {
        get: { summary: `List ${objectName}`, responses: { '200': ok({ type: 'array', items: ref }) } },
        post: { summary: `Create a ${objectName} record`, requestBody: body, responses: { '200': ok(ref) } },
      },
      [`${path}/{id}`]: {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        get: { summary: `Get a ${objectName} record`, responses: { '200': ok(ref) } },
        patch: { summary: `Update a ${objectName} record`, requestBody: body, responses: { '200': ok(ref) } },
        delete: { summary: `Delete a ${objectName} record`, responses: { '200': { description: 'OK' } } },
      },
    },
    components: { schemas: { [objectName]: record } },
  };
};
