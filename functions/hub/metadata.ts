import { listTables, loadTableMetadata, metadataScope, TABLE_NAME } from '../../shared/hub/metadata';
import { HUB_RESOURCES, resolveResource } from '../../shared/hub/resources';
import type { HubRequest, HubRouteTable } from './types';

/** `Elements-Version: Helium` selects CE's v2 `/objects` form (research cloud-elements-servicenow.md 3.1, 2.162). */
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

export const metadataRoutes: HubRouteTable = {
  'GET /objects': listObjects,
  'GET /objects/{objectName}/metadata': objectMetadata,
};
