/**
 * One Lambda for the platform API of elements and instances: find the route, call the instances
 * domain (shared/instances), shape the response.
 */
import { createInstanceService } from '../../shared/instances';
import { type ApiEvent, identityOf, type LambdaHttpHandler, routeFor, withMiddleware } from '../middleware';
import { awsStateTable } from '../runtime/aws-ports';
import { awsSecretStore } from '../runtime/aws-secret-store';
import { type AwsPorts, getDependencies } from '../runtime/dependencies';
import { CALLBACK_ROUTE_KEY, connectRoutes, oauthCallback } from './connect-routes';
import type { PlatformRouteTable } from './context';
import { docsRoutes } from './docs-routes';
import { instanceRoutes } from './routes';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = { stateTable: awsStateTable, secretStore: awsSecretStore };

/** Instance bodies are small; anything larger is refused before it reaches validation. */
export const MAX_INSTANCE_BODY_BYTES = 64 * 1024;

export const INSTANCE_FUNCTION_ROUTES: PlatformRouteTable = {
  ...instanceRoutes,
  ...docsRoutes,
  ...connectRoutes,
};

export const instancesHandler = async (event: ApiEvent) => {
  const { userId } = identityOf(event);
  const route = routeFor(INSTANCE_FUNCTION_ROUTES, event);
  const deps = await getDependencies(AWS_PORTS);
  return route({ event, userId, deps, instances: createInstanceService(deps) });
};

const platformHandler = withMiddleware(instancesHandler, {
  auth: ['platform', 'hub'],
  maxBodyBytes: MAX_INSTANCE_BODY_BYTES,
});
const callbackHandler = withMiddleware((event: ApiEvent) =>
  oauthCallback(event, () => getDependencies(AWS_PORTS)),
);

/** The OAuth callback is this function's one public route; API Gateway's routeKey says which matched. */
export const handler: LambdaHttpHandler = (event, context) =>
  event.routeKey === CALLBACK_ROUTE_KEY ? callbackHandler(event, context) : platformHandler(event, context);
