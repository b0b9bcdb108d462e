import { type ApiEvent, instanceCallMiddleware, instanceOf, routeFor, withMiddleware } from '../middleware';
import { awsBlobStore } from '../runtime/aws-blob-store';
import { awsStateTable } from '../runtime/aws-ports';
import { awsBulkQueue } from '../runtime/aws-queues';
import { awsSecretStore } from '../runtime/aws-secret-store';
import { type AwsPorts, getDependencies } from '../runtime/dependencies';
import { type BulkRouteTable, bulkRequestOf } from './context';
import { downloadRoutes } from './download-routes';
import { jobRoutes } from './job-routes';
import { uploadRoutes } from './upload-routes';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = {
  stateTable: awsStateTable,
  secretStore: awsSecretStore,
  blobStore: awsBlobStore,
  bulkQueue: awsBulkQueue,
};

export const BULK_ROUTES: BulkRouteTable = { ...downloadRoutes, ...uploadRoutes, ...jobRoutes };

/** The bulk API (User + Element): one route of BULK_ROUTES for the caller's instance (functions/middleware/instance-call.ts). */
export const bulkHandler = async (event: ApiEvent) => {
  const deps = await getDependencies(AWS_PORTS);
  return routeFor(BULK_ROUTES, event)(bulkRequestOf(event, instanceOf(event), deps));
};

/** Uploads arrive as multipart/form-data; `POST /bulk/query` may carry `metaData` as a form field. */
export const BULK_CONTENT_TYPES: readonly string[] = [
  'multipart/form-data',
  'application/x-www-form-urlencoded',
];

export const handler = withMiddleware(bulkHandler, {
  auth: 'hub',
  acceptedContentTypes: BULK_CONTENT_TYPES,
  instanceCall: instanceCallMiddleware(() => getDependencies(AWS_PORTS)),
});
