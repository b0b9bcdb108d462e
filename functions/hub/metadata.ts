import { listTables, loadTableMetadata, metadataScope, TABLE_NAME } from '../../shared/hub/metadata';
import { HUB_RESOURCES, resolveResource } from '../../shared/resources';
import type { HubRequest, HubRouteTable } from './types';

/** `Elements-Version: Helium` selects CE's v2 `/objects` form. */
const isHelium = (request: HubRequest) =>
  (request.event.headers?.['elements-version'] ?? '').trim().toLowerCase() === 'helium';

export interface ObjectEntry {
  name: string;
  /** ServiceNow table behind the name. */
  vendorName: string;
  /** `hub`: a mapped resource (`incidents`); `vendor`: a raw ServiceNow table. */
  source: 'hub' | 'vendor';
}

/**
 * `GET /objects`: the hub resources first (`incidents`, `accounts`, ...), then every table the
 * credentials can read. Plain strings by default, `{name, vendorName, source}` with Helium.
 */
const listObjects = async (request: HubRequest): Promise<string[] | ObjectEntry[]> => {
  const client = await request.client();
  const tables = await listTables(client, undefined, metadataScope(request.instance.id, client));
  const readable = new Set(tables);
  const entries: ObjectEntry[] = [
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
  return isHelium(request) ? entries : entries.map((entry) => entry.name);
};

/** `GET /objects/{objectName}/metadata`: fields of the resource's table, inheritance merged (C.7). */
const objectMetadata = async (request: HubRequest) => {
  const objectName = request.params.objectName ?? '';
  const { table } = resolveResource(objectName);
  const client = await request.client();
  const metadata = await loadTableMetadata(
    client,
    table,
    undefined,
    metadataScope(request.instance.id, client),
  );
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
 * `GET /objects/{objectName}/docs`: an OpenAPI 3.1 document of one object (its record schema from the
 * table's metadata, `x-vendor-objectname` naming the table, and its list/read/write operations).
 */
const objectDocs = async (request: HubRequest) => {
  const { objectName, vendorName, label, fields } = await objectMetadata(request);
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

export const metadataRoutes: HubRouteTable = {
  'GET /objects/{objectName}/docs': objectDocs,
  'GET /objects': listObjects,
  'GET /objects/{objectName}/metadata': objectMetadata,
};
