import { type ApiEvent, instanceCallMiddleware, routeFor, withMiddleware } from '../middleware';
import { awsStateTable } from '../runtime/aws-ports';
import { awsSecretStore } from '../runtime/aws-secret-store';
import { type AwsPorts, getDependencies } from '../runtime/dependencies';
import { ATTACHMENT_UPLOAD_CONTENT_TYPES, attachmentsRoutes } from './attachments';
import { journalRoutes } from './journal';
import { metadataRoutes } from './metadata';
import { pingRoutes } from './ping';
import { recordsRoutes } from './records';
import { type HubRouteTable, hubRequestOf } from './types';

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
export const hubHandler = async (event: ApiEvent) =>
  routeFor(HUB_ROUTES, event)(hubRequestOf(event, await getDependencies(AWS_PORTS)));

// Attachment uploads arrive as multipart/form-data; the upload route parses them itself (busboy).
export const handler = withMiddleware(hubHandler, {
  auth: 'hub',
  acceptedContentTypes: ATTACHMENT_UPLOAD_CONTENT_TYPES,
  instanceCall: instanceCallMiddleware(() => getDependencies(AWS_PORTS)),
});
