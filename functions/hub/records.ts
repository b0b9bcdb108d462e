import { NotFoundError } from '../../shared/errors';
import {
  createRecord,
  deleteRecord,
  getRecord,
  listRecords,
  parseGetOptions,
  parseListParams,
  type RecordsResponse,
  recordsTargetOf,
  updateRecord,
} from '../../shared/hub/records';
import { response } from '../middleware';
import type { HubRequest, HubRouteTable } from './types';

const param = (request: HubRequest, name: string): string => {
  const value = request.params[name];
  if (value === undefined || value === '') throw new NotFoundError(`Missing path parameter ${name}`);
  return value;
};

/** The resource (a common resource through its transformation, else a table) and the call's context. */
const callOf = async (request: HubRequest) => {
  const objectName = param(request, 'objectName');
  const target = await recordsTargetOf(request.deps.stateTable, request.instance, objectName);
  return { ...target, context: await request.context() };
};

const send = (result: RecordsResponse) =>
  result.json === undefined
    ? response(result.status, result.body, result.headers)
    : response(result.status, result.json, { 'Content-Type': 'application/json', ...result.headers });

// PATCH merges; PUT is a partial update on ServiceNow too, so both take the same path.
const write = (replace: boolean) => async (request: HubRequest) => {
  const { context, resource, mapping } = await callOf(request);
  const body = request.event.jsonBody;
  return send(await updateRecord(context, resource, param(request, 'id'), body, replace, mapping));
};

export const recordsRoutes: HubRouteTable = {
  'GET /{objectName}': async (request) => {
    const { context, resource, mapping } = await callOf(request);
    return send(await listRecords(context, resource, parseListParams(request.query), mapping));
  },
  'POST /{objectName}': async (request) => {
    const { context, resource, mapping } = await callOf(request);
    return send(await createRecord(context, resource, request.event.jsonBody, mapping));
  },
  'GET /{objectName}/{id}': async (request) => {
    const { context, resource, mapping } = await callOf(request);
    const options = parseGetOptions(request.query);
    return send(await getRecord(context, resource, param(request, 'id'), options, mapping));
  },
  'PATCH /{objectName}/{id}': write(false),
  'PUT /{objectName}/{id}': write(true),
  'DELETE /{objectName}/{id}': async (request) => {
    const { context, resource } = await callOf(request);
    return send(await deleteRecord(context, resource, param(request, 'id')));
  },
};
