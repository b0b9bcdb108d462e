import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type AuthKind, fromAuthorizerContext, type Identity } from '../../shared/auth/authorizer-context';
import { ElementError, UnauthorizedError } from '../../shared/errors';
import type { ApiEvent } from './types';

/** Where API Gateway (and local mode) put a simple-response authorizer's context in a payload 2.0 event. */
export const authorizerContextOf = (event: ApiEvent): unknown =>
  (event.requestContext as { authorizer?: { lambda?: unknown } } | undefined)?.authorizer?.lambda;

/**
 * Renders the authorizer's decision (functions/authorizer/handler.ts) before any handler code runs:
 * a deny becomes the 401/403 it names; a missing or malformed context, or an identity of the wrong kind
 * (a hub identity on a platform route or the reverse), is a 401. On success `event.identity` is set.
 * Never reads the Authorization header itself: the authorizer already did, in constant time.
 */
export const identityMiddleware = (
  kinds: AuthKind | readonly AuthKind[],
): MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2> => ({
  name: 'identity',
  before: (request) => {
    const decision = fromAuthorizerContext(authorizerContextOf(request.event));
    if (!decision) throw new UnauthorizedError();
    if (decision.outcome === 'deny') throw new ElementError(decision.status, decision.message);
    if (!(typeof kinds === 'string' ? [kinds] : kinds).includes(decision.kind)) throw new UnauthorizedError();
    if (decision.kind === 'hub' && decision.instanceId === undefined) throw new UnauthorizedError();
    request.event.identity =
      decision.instanceId === undefined
        ? { userId: decision.userId }
        : { userId: decision.userId, instanceId: decision.instanceId };
  },
});

/** The caller's identity on a route with auth 'platform' or 'hub'; a 401 if the route forgot its auth option. */
export const identityOf = (event: ApiEvent): Identity => {
  if (!event.identity) throw new UnauthorizedError();
  return event.identity;
};

/** A hub call's identity, instance included. */
export const hubIdentityOf = (event: ApiEvent): Required<Identity> => {
  const identity = identityOf(event);
  if (identity.instanceId === undefined) throw new UnauthorizedError();
  return { userId: identity.userId, instanceId: identity.instanceId };
};
