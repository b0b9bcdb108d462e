import { listObjects, objectDocs, objectMetadata } from '../../shared/hub/metadata';
import type { HubRequest, HubRouteTable } from './types';

/** `Elements-Version: Helium` selects CE's v2 `/objects` form. */
const isHelium = (request: HubRequest) =>
  (request.event.headers?.['elements-version'] ?? '').trim().toLowerCase() === 'helium';

const metadataOf = async (request: HubRequest) =>
  objectMetadata(request.client, request.instance.id, request.params.objectName ?? '');

export const metadataRoutes: HubRouteTable = {
  'GET /objects/{objectName}/docs': async (request) => objectDocs(await metadataOf(request)),
  // Plain names by default, `{name, vendorName, source}` with Helium.
  'GET /objects': async (request) => {
    const entries = await listObjects(await request.client(), request.instance.id);
    return isHelium(request) ? entries : entries.map((entry) => entry.name);
  },
  'GET /objects/{objectName}/metadata': metadataOf,
};
