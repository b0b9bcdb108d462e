import { NotFoundError } from '../../shared/errors';
import { filtersNulls } from '../../shared/hub/null-filter';
import {
  commonResourceTarget,
  createRecord,
  deleteRecord,
  getRecord,
  listRecords,
  parseDisplayValues,
  parseFields,
  parseListParams,
  type RecordsContext,
  type RecordsMapping,
  type RecordsResponse,
  recordsMapping,
  updateRecord,
} from '../../shared/hub/records';
import { type ResolvedResource, resolveResource } from '../../shared/resources';
import { findCommonResource } from '../../shared/transformations';
import { pageTokenKeyOf, response } from '../middleware';
import type { HubRequest, HubRouteTable } from './types';

const param = (request: HubRequest, name: string): string => {
  const value = request.params[name];
  if (value === undefined || value === '') throw new NotFoundError(`Missing path parameter ${name}`);
  return value;
};

const contextOf = async (request: HubRequest): Promise<RecordsContext> => ({
  client: await request.client(),
  instanceId: request.instance.id,
  filterNulls: filtersNulls(request.instance.configuration),
  pageTokenKey: () => pageTokenKeyOf(request.event),
});

/**
 * The resource `objectName` names for this instance: a common resource (an effective transformation at
 * the organization, account or instance level) reads and writes its ServiceNow table
 * through the transformation; anything else is a hub resource or table as before. Looked up on every
 * request (one state-table get when the name is not a common resource), so changes apply at once.
 */
const targetOf = async (
  request: HubRequest,
): Promise<{ resource: ResolvedResource; mapping?: RecordsMapping }> => {
  const objectName = param(request, 'objectName');
  const common = await findCommonResource(request.deps.stateTable, request.instance, objectName);
  if (!common) return { resource: resolveResource(objectName) };
  return {
    resource: commonResourceTarget(common),
    mapping: recordsMapping(common, filtersNulls(request.instance.configuration)),
  };
};

const send = (result: RecordsResponse) =>
  result.json === undefined
    ? response(result.status, result.body, result.headers)
    : response(result.status, result.json, { 'Content-Type': 'application/json', ...result.headers });

const writeRecord = async (request: HubRequest, replace: boolean) => {
  const { resource, mapping } = await targetOf(request);
  return send(
    await updateRecord(
      await contextOf(request),
      resource,
      param(request, 'id'),
      request.event.jsonBody,
      replace,
      mapping,
    ),
  );
};

export const recordsRoutes: HubRouteTable = {
  'GET /{objectName}': async (request) => {
    const { resource, mapping } = await targetOf(request);
    const params = parseListParams(request.query);
    return send(await listRecords(await contextOf(request), resource, params, mapping));
  },
  'POST /{objectName}': async (request) => {
    const { resource, mapping } = await targetOf(request);
    return send(await createRecord(await contextOf(request), resource, request.event.jsonBody, mapping));
  },
  'GET /{objectName}/{id}': async (request) => {
    const { resource, mapping } = await targetOf(request);
    const fields = parseFields(request.query.get('fields'));
    const displayValues = parseDisplayValues(request.query.get('displayValues'));
    return send(
      await getRecord(
        await contextOf(request),
        resource,
        param(request, 'id'),
        {
          ...(fields === undefined ? {} : { fields }),
          ...(displayValues === undefined ? {} : { displayValues }),
        },
        mapping,
      ),
    );
  },
  // PATCH merges; PUT is a partial update on ServiceNow too, so both take the same path.
  'PATCH /{objectName}/{id}': (request) => writeRecord(request, false),
  'PUT /{objectName}/{id}': (request) => writeRecord(request, true),
  'DELETE /{objectName}/{id}': async (request) =>
    send(
      await deleteRecord(await contextOf(request), (await targetOf(request)).resource, param(request, 'id')),
    ),
};
