/**
 * What every User + Element route does around its own work (hub and bulk functions alike): load the
 * caller's instance, refuse a disabled or invalid one, and name the instance in
 * `Elements-Element-Instance-Id` on every answer, errors included, as CE does. Also the page-token key of
 * the call, which both functions use.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { parseAuthorizationHeader } from '../../shared/auth/authorization-header';
import { ElementError, ForbiddenError, toElementError, UnauthorizedError } from '../../shared/errors';
import { INSTANCE_ID_HEADER } from '../../shared/hub/headers';
import { pageTokenKey } from '../../shared/hub/page-token';
import { createInstanceStore, type InstanceRecord, reauthorizeError } from '../../shared/instances';
import type { Dependencies } from '../runtime/dependencies';
import { hubIdentityOf } from './identity';
import { isApiResponse, response } from './response';
import type { ApiEvent } from './types';

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
 * Loads the caller's instance into `event.instance` before the handler runs and shapes the handler's
 * result (an ApiResponse as is, undefined -> 204, anything else -> 200 JSON) with the instance header.
 * The instance is re-read on every call, not only in the (cached) authorizer, so delete/disable/invalid
 * take effect at once (deleted -> 401, disabled -> 403, invalid -> 401 re-authorize). A deleted (or
 * foreign) instance is not named in the answer.
 */
export const instanceCallMiddleware = (
  dependencies: () => Promise<Dependencies>,
): MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2> => {
  const headerOf = (event: ApiEvent) =>
    event.instance === undefined ? undefined : { [INSTANCE_ID_HEADER]: String(event.instance.id) };
  return {
    name: 'instanceCall',
    before: async (request) => {
      request.event.instance = await ownedInstance(request.event, await dependencies());
      checkUsable(request.event.instance);
    },
    after: (request) => {
      const header = headerOf(request.event);
      const result: unknown = request.response;
      if (isApiResponse(result)) {
        request.response = {
          ...result,
          headers: { ...result.headers, ...header },
        } as typeof request.response;
      } else if (result === undefined) {
        request.response = response(204, undefined, header) as typeof request.response;
      } else {
        request.response = response(200, result, header) as typeof request.response;
      }
    },
    onError: (request) => {
      const header = headerOf(request.event);
      if (header === undefined || request.error === null) return;
      const error = toElementError(request.error);
      request.error = new ElementError(error.status, error.message, {
        ...(error.providerMessage === undefined ? {} : { providerMessage: error.providerMessage }),
        headers: { ...error.headers, ...header },
        cause: request.error,
      });
    },
  };
};

/** The caller's instance, loaded by instanceCallMiddleware. */
export const instanceOf = (event: ApiEvent): InstanceRecord => {
  if (event.instance === undefined) throw new UnauthorizedError();
  return event.instance;
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
