import { ElementError, forbidden, unauthorized } from '../../shared/errors';
import { createInstanceStore, reauthorizeError, serviceNowClientFor } from '../../shared/instances';
import { type ApiEvent, hubIdentityOf, response, withMiddleware } from '../middleware';
import { API_BASE_PATH } from '../routes';
import { getDependencies } from '../runtime/dependencies';

export const INSTANCE_ID_HEADER = 'Elements-Element-Instance-Id';

/**
 * The hub API (User + Element). For now `GET /hubs/helpdesk/ping` (research 9.2): the instance is
 * re-checked here on every call, not only in the (cached) authorizer, so delete/disable/invalid take
 * effect at once (deleted -> 401, disabled -> 403, invalid -> 401 re-authorize).
 */
export const hubHandler = async (event: ApiEvent) => {
  const { userId, instanceId } = hubIdentityOf(event);
  const deps = await getDependencies();
  const instance = await createInstanceStore(deps).get(instanceId);
  if (!instance || instance.ownerUserId !== userId) throw unauthorized();
  if (instance.disabled)
    throw forbidden(
      `The instance ${instanceId} is disabled; enable it with PUT /instances/${instanceId}/enabled`,
    );
  if (!instance.valid) throw reauthorizeError(instanceId);
  const route = (event.routeKey ?? '').replace(`${API_BASE_PATH}`, '');
  if (route !== 'GET /hubs/helpdesk/ping') throw new ElementError(404, 'No such route');
  const client = await serviceNowClientFor(instance, deps);
  // A real round trip: the cheapest read every user may make (see shared/instances/provisioning.ts).
  await client.list('sys_user', { limit: 1, fields: ['sys_id'], noCount: true });
  return response(
    200,
    { dateTime: deps.now().toISOString(), endpoint: instance.elementKey, valid: true },
    { [INSTANCE_ID_HEADER]: String(instanceId) },
  );
};

export const handler = withMiddleware(hubHandler, { auth: 'hub' });
