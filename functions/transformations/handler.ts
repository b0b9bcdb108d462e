import { findElement } from '../../shared/elements';
import { InvalidInputError, NotFoundError, PayloadTooLargeError } from '../../shared/errors';
import { createInstanceService, parseInstanceId } from '../../shared/instances';
import { createTransformationService, instanceScope, type Scope } from '../../shared/transformations';
import { type ApiEvent, identityOf, response, withMiddleware } from '../middleware';
import { API_BASE_PATH } from '../routes';
import { awsStateTable } from '../runtime/aws-ports';
import { type AwsPorts, getDependencies } from '../runtime/dependencies';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = { stateTable: awsStateTable };

/**
 * One Lambda for object definitions and transformations at the organization, account and instance
 * levels (rules in shared/transformations/service.ts).
 *
 * Who may touch what: this self-hosted bundle has one organization, so every platform user manages the
 * organization level. `/accounts/objects/...` is the caller's own account; `/accounts/{accountId}/...`
 * must name the caller (another account answers 404, like another user's instance). Instance routes
 * follow the instances API: only the owner sees an instance (else 404).
 */

/** Definitions and transformations are small; anything larger is refused before validation. */
export const MAX_TRANSFORMATION_BODY_BYTES = 256 * 1024;

const routeOf = (event: ApiEvent): string => {
  const [method, path = ''] = (event.routeKey ?? '').split(' ');
  const below = path.startsWith(API_BASE_PATH) ? path.slice(API_BASE_PATH.length) : path;
  return `${method} ${below.replace(/\{[^}]+\}/g, '{}')}`;
};

const param = (event: ApiEvent, name: string): string | undefined => event.pathParameters?.[name];

/** `/organizations/...`, `/accounts/...` or `/instances/{id}/...` -> the scope (and, for instances, its element). */
const scopeOf = async (
  event: ApiEvent,
  userId: string,
  owned: (userId: string, id: number) => Promise<{ id: number; ownerUserId: string; elementKey: string }>,
): Promise<{ scope: Scope; elementKey?: string }> => {
  const route = routeOf(event);
  const path = route.slice(route.indexOf(' ') + 1);
  if (path.startsWith('/organizations/')) return { scope: { level: 'organization' } };
  if (path.startsWith('/accounts/')) {
    const accountId = param(event, 'accountId');
    if (accountId !== undefined && accountId !== userId)
      throw new NotFoundError(`No account '${accountId.slice(0, 64)}'`);
    return { scope: { level: 'account', accountId: userId } };
  }
  const instance = await owned(userId, parseInstanceId(param(event, 'id')));
  return { scope: instanceScope(instance), elementKey: instance.elementKey };
};

/** `{keyOrId}` of the organization/account routes: `servicenow`, `servicenowoauth`, `145` or `566`. */
const elementKeyOf = (event: ApiEvent, fromInstance: string | undefined): string => {
  if (fromInstance !== undefined) return fromInstance;
  const keyOrId = param(event, 'keyOrId');
  const element = findElement(keyOrId);
  if (!element) throw new NotFoundError(`No element '${String(keyOrId).slice(0, 64)}'`);
  if (!element.transformationsEnabled)
    throw new InvalidInputError(`Element ${element.key} has no transformations`);
  return element.key;
};

export const transformationsHandler = async (event: ApiEvent) => {
  const { userId } = identityOf(event);
  if (event.body !== undefined && Buffer.byteLength(event.body) > MAX_TRANSFORMATION_BODY_BYTES) {
    throw new PayloadTooLargeError(`Request body exceeds ${MAX_TRANSFORMATION_BODY_BYTES} bytes`);
  }
  const deps = await getDependencies(AWS_PORTS);
  const instances = createInstanceService(deps);
  const service = createTransformationService(deps);
  const { scope, elementKey: instanceElement } = await scopeOf(event, userId, instances.owned);
  const objectName = param(event, 'objectName');
  const body = event.jsonBody;
  const route = routeOf(event).replace(
    / \/(organizations|accounts(\/\{\})?|instances\/\{\})\//,
    ' /{level}/',
  );
  switch (route) {
    case 'GET /{level}/objects/definitions':
      return service.listDefinitions(scope);
    case 'POST /{level}/objects/definitions':
      return service.createDefinitions(scope, body);
    case 'GET /{level}/objects/{}/definitions':
      return service.getDefinition(scope, objectName);
    case 'POST /{level}/objects/{}/definitions':
      return service.createDefinition(scope, objectName, body);
    case 'PUT /{level}/objects/{}/definitions':
      return service.replaceDefinition(scope, objectName, body);
    case 'DELETE /{level}/objects/{}/definitions':
      await service.deleteDefinition(scope, objectName);
      return response(200);
    case 'PATCH /{level}/objects/{}':
      return service.rename(scope, objectName, body);
    case 'GET /{level}/elements/{}/transformations':
      return service.listTransformations(scope, elementKeyOf(event, instanceElement));
    case 'GET /{level}/transformations':
      return service.listTransformations(scope, elementKeyOf(event, instanceElement));
    case 'GET /{level}/elements/{}/transformations/{}':
    case 'GET /{level}/transformations/{}':
      return service.getTransformation(scope, elementKeyOf(event, instanceElement), objectName);
    case 'POST /{level}/elements/{}/transformations/{}':
    case 'POST /{level}/transformations/{}':
      return service.createTransformation(scope, elementKeyOf(event, instanceElement), objectName, body);
    case 'PUT /{level}/elements/{}/transformations/{}':
    case 'PUT /{level}/transformations/{}':
      return service.replaceTransformation(scope, elementKeyOf(event, instanceElement), objectName, body);
    case 'DELETE /{level}/elements/{}/transformations/{}':
    case 'DELETE /{level}/transformations/{}':
      await service.deleteTransformation(scope, elementKeyOf(event, instanceElement), objectName);
      return response(200);
    default:
      throw new NotFoundError('No such route');
  }
};

export const handler = withMiddleware(transformationsHandler, { auth: 'platform' });
