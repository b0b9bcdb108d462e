import { parseInstanceId } from '../../shared/instances';
import { type TargetLevel, transformationTarget } from '../../shared/transformations';
import { pathParam } from '../middleware';
import { OPERATIONS, type TransformationRequest } from './operations';

/** `/organizations/...`, `/accounts/...` or `/instances/{id}/...`: the level the route's path names. */
const levelOf = ({ event, userId, instances }: TransformationRequest): TargetLevel => {
  const path = (event.routeKey ?? '').slice((event.routeKey ?? '').indexOf(' ') + 1);
  if (path.includes('/organizations/')) return { level: 'organization' };
  if (path.includes('/accounts/')) return { level: 'account', accountId: pathParam(event, 'accountId') };
  return {
    level: 'instance',
    instance: () => instances.owned(userId, parseInstanceId(pathParam(event, 'id'))),
  };
};

const LEVELS = ['/organizations', '/accounts', '/accounts/{accountId}', '/instances/{id}'];

/** Every operation at every level, keyed like functions/routes.ts (`GET /organizations/objects/definitions`). */
export const TRANSFORMATION_ROUTES: Record<string, (r: TransformationRequest) => Promise<unknown>> =
  Object.fromEntries(
    LEVELS.flatMap((level) =>
      Object.entries(OPERATIONS).map(([routeKey, operation]) => {
        const [method, path = ''] = routeKey.split(' ');
        const element = level === '/instances/{id}' ? '' : '/elements/{keyOrId}';
        const fullPath = path.startsWith('{element}')
          ? `${level}${element}${path.slice('{element}'.length)}`
          : `${level}${path}`;
        return [
          `${method} ${fullPath}`,
          async (r: TransformationRequest) =>
            operation(r, await transformationTarget(r.userId, levelOf(r)), pathParam(r.event, 'objectName')),
        ];
      }),
    ),
  );
