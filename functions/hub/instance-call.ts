/**
 * What every User + Element route does around its own work (hub and bulk functions alike): load the
 * caller's instance, refuse a disabled or invalid one, and name
 * the instance in `Elements-Element-Instance-Id` on every answer, errors included, as CE does.
 */
import { parseAuthorizationHeader } from '../../shared/auth/authorization-header';
import { ElementError, ForbiddenError, toElementError, UnauthorizedError } from '../../shared/errors';
import { INSTANCE_ID_HEADER } from '../../shared/hub/headers';
import { pageTokenKey } from '../../shared/hub/page-token';
import { createInstanceStore, type InstanceRecord, reauthorizeError } from '../../shared/instances';
import { type ApiEvent, hubIdentityOf, isApiResponse, response } from '../middleware';
import type { Dependencies } from '../runtime/dependencies';

const ownedInstance = async (event: ApiEvent, deps: Dependencies): Promise<InstanceRecord> => {
  const { userId, instanceId } = hubIdentityOf(event);
  const instance = await createInstanceStore(deps).get(instanceId);
  if (!instance || instance.ownerUserId !== userId) throw new UnauthorizedError();
  return instance;
};

const checkUsable = (instance: InstanceRecord): void => {
  if (instance.disabled) {
    throw new ForbiddenError(
      `The instance ${instance.id} is disabled; enable it with PUT /instances/${instance.id}/enabled`,
    );
  }
  if (!instance.valid) throw reauthorizeError(instance.id);
};

/**
 * Runs `work` for the caller's instance and shapes its result (an ApiResponse as is, undefined -> 204,
 * anything else -> 200 JSON). The instance is re-read on every call, not only in the (cached)
 * authorizer, so delete/disable/invalid take effect at once (deleted -> 401, disabled -> 403, invalid ->
 * 401 re-authorize). A deleted (or foreign) instance is not named in the answer.
 */
export const answerForInstance = async (
  event: ApiEvent,
  deps: Dependencies,
  work: (instance: InstanceRecord) => Promise<unknown>,
) => {
  const instance = await ownedInstance(event, deps);
  const instanceHeader = { [INSTANCE_ID_HEADER]: String(instance.id) };
  try {
    checkUsable(instance);
    const result = await work(instance);
    if (isApiResponse(result)) return { ...result, headers: { ...result.headers, ...instanceHeader } };
    if (result === undefined) return response(204, undefined, instanceHeader);
    return response(200, result, instanceHeader);
  } catch (thrown) {
    const error = toElementError(thrown);
    throw new ElementError(error.status, error.message, {
      ...(error.providerMessage === undefined ? {} : { providerMessage: error.providerMessage }),
      headers: { ...error.headers, ...instanceHeader },
      cause: thrown,
    });
  }
};

/**
 * The page-token key of this call, from the element token of its Authorization header: the authorizer
 * already proved the token belongs to this instance (shared/hub/page-token.ts says why this key, and
 * remembers it per token).
 */
export const pageTokenKeyOf = (event: ApiEvent): Buffer => {
  const token = parseAuthorizationHeader(event.headers?.authorization)?.element;
  if (token === undefined) throw new UnauthorizedError();
  return pageTokenKey(token);
};
