import { filtersNulls } from '../../shared/hub/null-filter';
import { serviceNowClientFor } from '../../shared/instances';
import type { ServiceNowClient } from '../../shared/servicenow';
import {
  type ApiEvent,
  instanceCallMiddleware,
  instanceOf,
  pageTokenKeyOf,
  routeFor,
  withMiddleware,
} from '../middleware';
import { awsStateTable } from '../runtime/aws-ports';
import { awsSecretStore } from '../runtime/aws-secret-store';
import { type AwsPorts, getDependencies } from '../runtime/dependencies';
import { ATTACHMENT_UPLOAD_CONTENT_TYPES, attachmentsRoutes } from './attachments';
import { journalRoutes } from './journal';
import { metadataRoutes } from './metadata';
import { pingRoutes } from './ping';
import { recordsRoutes } from './records';
import type { HubRequest, HubRouteTable } from './types';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = { stateTable: awsStateTable, secretStore: awsSecretStore };

/** Every hub route, keyed `METHOD /path` below the hub prefix (functions/hub/types.ts). */
export const HUB_ROUTES: HubRouteTable = {
  ...recordsRoutes,
  ...metadataRoutes,
  ...journalRoutes,
  ...attachmentsRoutes,
  ...pingRoutes,
};

/** The hub API (User + Element): one route of HUB_ROUTES for the caller's instance (functions/middleware/instance-call.ts). */
export const hubHandler = async (event: ApiEvent) => {
  const deps = await getDependencies(AWS_PORTS);
  const route = routeFor(HUB_ROUTES, event);
  const instance = instanceOf(event);
  let built: Promise<ServiceNowClient> | undefined;
  const client = () => {
    built ??= serviceNowClientFor(instance, deps);
    return built;
  };
  const request: HubRequest = {
    event,
    userId: instance.ownerUserId,
    instance,
    client,
    context: async () => ({
      client: await client(),
      instanceId: instance.id,
      filterNulls: filtersNulls(instance.configuration),
      pageTokenKey: () => pageTokenKeyOf(event),
    }),
    deps,
    params: { ...event.pathParameters } as Record<string, string>,
    query: new URLSearchParams(event.rawQueryString ?? ''),
  };
  return route(request);
};

// Attachment uploads arrive as multipart/form-data; the upload route parses them itself (busboy).
export const handler = withMiddleware(hubHandler, {
  auth: 'hub',
  acceptedContentTypes: ATTACHMENT_UPLOAD_CONTENT_TYPES,
  instanceCall: instanceCallMiddleware(() => getDependencies(AWS_PORTS)),
});
