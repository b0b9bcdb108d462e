/**
 * Hub record routes on any table or mapped resource (research cloud-elements-servicenow.md 3.1-3.5):
 * `GET|POST /{objectName}`, `GET|PATCH|PUT|DELETE /{objectName}/{id}`. The domain lives in
 * shared/hub/records; this module reads the request and picks the operation.
 */

import { parseAuthorizationHeader } from '../../shared/auth/authorization-header';
import { notFound, unauthorized } from '../../shared/errors';
import { pageTokenKey } from '../../shared/hub/page-token';
import {
  createRecord,
  deleteRecord,
  getRecord,
  listRecords,
  parseDisplayValues,
  parseFields,
  parseListParams,
  type RecordsContext,
  type RecordsResponse,
  updateRecord,
} from '../../shared/hub/records';
import { resolveResource } from '../../shared/hub/resources';
import { filtersNulls } from '../../shared/instances';
import { response } from '../middleware';
import type { HubRequest, HubRouteTable } from './types';

const param = (request: HubRequest, name: string): string => {
  const value = request.params[name];
  if (value === undefined || value === '') throw notFound(`Missing path parameter ${name}`);
  return value;
};

/**
 * The page-token key comes from the element token of the Authorization header: the authorizer already
 * proved it belongs to this instance (see shared/hub/page-token.ts for why this key).
 */
const elementTokenOf = (request: HubRequest): string => {
  const header = request.event.headers?.authorization ?? request.event.headers?.Authorization;
  const token = parseAuthorizationHeader(header)?.element;
  if (token === undefined) throw unauthorized();
  return token;
};

const contextOf = async (request: HubRequest): Promise<RecordsContext> => {
  let key: Buffer | undefined;
  return {
    client: await request.client(),
    instanceId: request.instance.id,
    filterNulls: filtersNulls(request.instance.configuration),
    pageTokenKey: () => {
      key ??= pageTokenKey(elementTokenOf(request));
      return key;
    },
  };
};

const send = (result: RecordsResponse) => response(result.status, result.body, result.headers);

const writeRecord = async (request: HubRequest, replace: boolean) =>
  send(
    await updateRecord(
      await contextOf(request),
      resolveResource(param(request, 'objectName')),
      param(request, 'id'),
      request.event.jsonBody,
      replace,
    ),
  );

export const recordsRoutes: HubRouteTable = {
  'GET /{objectName}': async (request) => {
    const resource = resolveResource(param(request, 'objectName'));
    const params = parseListParams(request.query);
    return send(await listRecords(await contextOf(request), resource, params));
  },
  'POST /{objectName}': async (request) => {
    const resource = resolveResource(param(request, 'objectName'));
    return send(await createRecord(await contextOf(request), resource, request.event.jsonBody));
  },
  'GET /{objectName}/{id}': async (request) => {
    const resource = resolveResource(param(request, 'objectName'));
    const fields = parseFields(request.query.get('fields'));
    const displayValues = parseDisplayValues(request.query.get('displayValues'));
    return send(
      await getRecord(await contextOf(request), resource, param(request, 'id'), {
        ...(fields === undefined ? {} : { fields }),
        ...(displayValues === undefined ? {} : { displayValues }),
      }),
    );
  },
  // PATCH merges; PUT is a partial update on ServiceNow too (research A.1), so both take the same path.
  'PATCH /{objectName}/{id}': (request) => writeRecord(request, false),
  'PUT /{objectName}/{id}': (request) => writeRecord(request, true),
  'DELETE /{objectName}/{id}': async (request) =>
    send(
      await deleteRecord(
        await contextOf(request),
        resolveResource(param(request, 'objectName')),
        param(request, 'id'),
      ),
    ),
};
