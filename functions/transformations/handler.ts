/**
 * One Lambda for object definitions and transformations at the organization, account and instance
 * levels (rules in shared/transformations/service.ts; routes in ./routes.ts).
 */
import { createInstanceService } from '../../shared/instances';
import { createTransformationService } from '../../shared/transformations';
import { type ApiEvent, identityOf, routeFor, withMiddleware } from '../middleware';
import { awsStateTable } from '../runtime/aws-ports';
import { type AwsPorts, getDependencies } from '../runtime/dependencies';
import { TRANSFORMATION_ROUTES } from './routes';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = { stateTable: awsStateTable };

/** Definitions and transformations are small; anything larger is refused before validation. */
export const MAX_TRANSFORMATION_BODY_BYTES = 256 * 1024;

export const transformationsHandler = async (event: ApiEvent) => {
  const { userId } = identityOf(event);
  const route = routeFor(TRANSFORMATION_ROUTES, event);
  const deps = await getDependencies(AWS_PORTS);
  return route({
    event,
    userId,
    service: createTransformationService(deps),
    instances: createInstanceService(deps),
  });
};

export const handler = withMiddleware(transformationsHandler, {
  auth: 'platform',
  maxBodyBytes: MAX_TRANSFORMATION_BODY_BYTES,
});
