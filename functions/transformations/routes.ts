import { findElement } from '../../shared/elements';
import { InvalidInputError, NotFoundError } from '../../shared/errors';
import type { InstanceService } from '../../shared/instances';
import { parseInstanceId } from '../../shared/instances';
import { instanceScope, type Scope, type TransformationService } from '../../shared/transformations';
import { type ApiEvent, pathParam, response } from '../middleware';

/**
 * Who may touch what: this self-hosted bundle has one organization, so every platform user manages the
 * organization level. `/accounts/objects/...` is the caller's own account; `/accounts/{accountId}/...`
 * must name the caller (another account answers 404, like another user's instance). Instance routes
 * follow the instances API: only the owner sees an instance (else 404).
 */
export interface TransformationRequest {
  event: ApiEvent;
  userId: string;
  service: TransformationService;
  instances: Pick<InstanceService, 'owned'>;
}

interface Target {
  scope: Scope;
  /** The element of an instance-level route. */
  elementKey?: string;
}

/** `/organizations/...`, `/accounts/...` or `/instances/{id}/...` -> the scope (and, for instances, its element). */
const targetOf = async ({ event, userId, instances }: TransformationRequest): Promise<Target> => {
  const path = (event.routeKey ?? '').slice((event.routeKey ?? '').indexOf(' ') + 1);
  if (path.includes('/organizations/')) return { scope: { level: 'organization' } };
  if (path.includes('/accounts/')) {
    const accountId = pathParam(event, 'accountId');
    if (accountId !== undefined && accountId !== userId)
      throw new NotFoundError(`No account '${accountId.slice(0, 64)}'`);
    return { scope: { level: 'account', accountId: userId } };
  }
  const instance = await instances.owned(userId, parseInstanceId(pathParam(event, 'id')));
  return { scope: instanceScope(instance), elementKey: instance.elementKey };
};

/** `{keyOrId}` of the organization/account routes: `servicenow`, `servicenowoauth`, `145` or `566`. */
const elementKeyOf = (event: ApiEvent, target: Target): string => {
  if (target.elementKey !== undefined) return target.elementKey;
  const keyOrId = pathParam(event, 'keyOrId');
  const element = findElement(keyOrId);
  if (!element) throw new NotFoundError(`No element '${String(keyOrId).slice(0, 64)}'`);
  if (!element.transformationsEnabled)
    throw new InvalidInputError(`Element ${element.key} has no transformations`);
  return element.key;
};

type Operation = (r: TransformationRequest, target: Target, objectName: string | undefined) => unknown;

const transformation =
  (
    call: (
      service: TransformationService,
      scope: Scope,
      elementKey: string,
      objectName: string | undefined,
      body: unknown,
    ) => unknown,
  ): Operation =>
  (r, target, objectName) =>
    call(r.service, target.scope, elementKeyOf(r.event, target), objectName, r.event.jsonBody);

const deleted = async (work: Promise<void>) => {
  await work;
  return response(200);
};

/** Operations below a level prefix; the element part is absent at the instance level. */
const OPERATIONS: Record<string, Operation> = {
  'GET /objects/definitions': (r, t) => r.service.listDefinitions(t.scope),
  'POST /objects/definitions': (r, t) => r.service.createDefinitions(t.scope, r.event.jsonBody),
  'GET /objects/{objectName}/definitions': (r, t, o) => r.service.getDefinition(t.scope, o),
  'POST /objects/{objectName}/definitions': (r, t, o) =>
    r.service.createDefinition(t.scope, o, r.event.jsonBody),
  'PUT /objects/{objectName}/definitions': (r, t, o) =>
    r.service.replaceDefinition(t.scope, o, r.event.jsonBody),
  'DELETE /objects/{objectName}/definitions': (r, t, o) => deleted(r.service.deleteDefinition(t.scope, o)),
  'PATCH /objects/{objectName}': (r, t, o) => r.service.rename(t.scope, o, r.event.jsonBody),
  'GET {element}/transformations': transformation((s, scope, key) => s.listTransformations(scope, key)),
  'GET {element}/transformations/{objectName}': transformation((s, scope, key, o) =>
    s.getTransformation(scope, key, o),
  ),
  'POST {element}/transformations/{objectName}': transformation((s, scope, key, o, body) =>
    s.createTransformation(scope, key, o, body),
  ),
  'PUT {element}/transformations/{objectName}': transformation((s, scope, key, o, body) =>
    s.replaceTransformation(scope, key, o, body),
  ),
  'DELETE {element}/transformations/{objectName}': transformation((s, scope, key, o) =>
    deleted(s.deleteTransformation(scope, key, o)),
  ),
};

const LEVELS = ['/organizations', '/accounts', '/accounts/{accountId}', '/instances/{id}'];

/** Every operation at every level, keyed like functions/routes.ts (`GET /organizations/objects/definitions`). */
export const TRANSFORMATION_ROUTES: Record<string, (r: TransformationRequest) => Promise<unknown>> =
  Object.fromEntries(
    LEVELS.flatMap((level) =>
      Object.entries(OPERATIONS).map(([key, operation]) => {
        const [method, path = ''] = key.split(' ');
        const element = level === '/instances/{id}' ? '' : '/elements/{keyOrId}';
        const fullPath = path.startsWith('{element}')
          ? `${level}${element}${path.slice('{element}'.length)}`
          : `${level}${path}`;
        return [
          `${method} ${fullPath}`,
          async (r: TransformationRequest) =>
            operation(r, await targetOf(r), pathParam(r.event, 'objectName')),
        ];
      }),
    ),
  );
