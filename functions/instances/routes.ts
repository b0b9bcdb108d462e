import { ELEMENTS, elementConfigurationView, elementMetadataView, elementView } from '../../shared/elements';
import { NotFoundError } from '../../shared/errors';
import { elementFromPath, oauthUrlFor, parseInstanceId } from '../../shared/instances';
import { hubIdentityOf, pathParam, response } from '../middleware';
import { type PlatformRequest, type PlatformRouteTable, queryOf } from './context';

/** `?tags[]=a&tags[]=b` (CE style) or `?tags=a`; read from the raw query so repeats survive. */
const tagsOf = ({ event }: PlatformRequest): string[] => {
  const query = new URLSearchParams(event.rawQueryString ?? '');
  return [...query.getAll('tags[]'), ...query.getAll('tags')];
};

const element = ({ event }: PlatformRequest) => elementFromPath(pathParam(event, 'keyOrId'));
const id = ({ event }: PlatformRequest) => parseInstanceId(pathParam(event, 'id'));
/** The instance of the Element token (routes on "the current instance"). */
const current = ({ event }: PlatformRequest) => hubIdentityOf(event).instanceId;
const configId = ({ event }: PlatformRequest) => pathParam(event, 'configId') ?? '';

const configItem = async (request: PlatformRequest, instanceId: number) => {
  const key = configId(request);
  const items = await request.instances.configuration(request.userId, instanceId);
  const item = items.find((entry) => entry.key === key);
  if (item === undefined) throw new NotFoundError(`No configuration ${JSON.stringify(key.slice(0, 100))}`);
  return item;
};

/** Elements and instances: each route one call of the instances domain (shared/instances). */
export const instanceRoutes: PlatformRouteTable = {
  'GET /elements': () => ELEMENTS.map(elementView),
  'GET /elements/{keyOrId}': (r) => elementView(element(r)),
  'GET /elements/{keyOrId}/metadata': (r) => elementMetadataView(element(r)),
  'GET /elements/{keyOrId}/configuration': (r) => elementConfigurationView(element(r)),
  'GET /elements/{keyOrId}/oauth/url': (r) => oauthUrlFor(element(r), queryOf(r.event), r.deps.allowedHosts),
  'POST /elements/{keyOrId}/instances': (r) =>
    r.instances.create(r.userId, r.event.jsonBody, pathParam(r.event, 'keyOrId') ?? ''),
  'POST /instances': (r) => r.instances.create(r.userId, r.event.jsonBody),
  'GET /instances': (r) => r.instances.list(r.userId, { tags: tagsOf(r) }),
  'GET /instances/{id}': (r) => r.instances.get(r.userId, id(r)),
  'PUT /instances/{id}': (r) => r.instances.update(r.userId, id(r), r.event.jsonBody, 'replace'),
  'PATCH /instances/{id}': (r) => r.instances.update(r.userId, id(r), r.event.jsonBody, 'merge'),
  'DELETE /instances/{id}': async (r) => {
    await r.instances.remove(r.userId, id(r));
    return response(200);
  },
  'PUT /instances/{id}/enabled': (r) => r.instances.setEnabled(r.userId, id(r), true),
  'DELETE /instances/{id}/enabled': (r) => r.instances.setEnabled(r.userId, id(r), false),
  'GET /instances/{id}/configuration': (r) => r.instances.configuration(r.userId, id(r)),
  'GET /instances/{id}/configuration/{configId}': (r) => configItem(r, id(r)),
  'PATCH /instances/{id}/configuration/{configId}': (r) =>
    r.instances.updateConfiguration(r.userId, id(r), configId(r), r.event.jsonBody),
  'PUT /instances': (r) => r.instances.update(r.userId, current(r), r.event.jsonBody, 'replace'),
  'PATCH /instances': (r) => r.instances.update(r.userId, current(r), r.event.jsonBody, 'merge'),
  'GET /instances/configuration': (r) => r.instances.configuration(r.userId, current(r)),
  'GET /instances/configuration/{configId}': (r) => configItem(r, current(r)),
  'PATCH /instances/configuration/{configId}': (r) =>
    r.instances.updateConfiguration(r.userId, current(r), configId(r), r.event.jsonBody),
};
