import { UnavailableError } from '../../shared/errors';
import { serviceNowClientFor } from '../../shared/instances';
import type { ServiceNowClient } from '../../shared/servicenow';
import { answerForInstance, pageTokenKeyOf } from '../hub/instance-call';
import { type ApiEvent, routeFor, withMiddleware } from '../middleware';
import { awsBlobStore, awsBulkQueue, awsSecretStore, awsStateTable } from '../runtime/aws-ports';
import { type AwsPorts, getDependencies } from '../runtime/dependencies';
import type { BulkRequest, BulkRouteTable } from './context';
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

const unavailable = (what: string) =>
  new UnavailableError(`Bulk is not available: this deployment has no bulk ${what}`);

/** The bulk API (User + Element): one route of BULK_ROUTES for the caller's instance (hub/instance-call.ts). */
export const bulkHandler = async (event: ApiEvent) => {
  const deps = await getDependencies(AWS_PORTS);
  return answerForInstance(event, deps, (instance) => {
    const route = routeFor(BULK_ROUTES, event);
    let client: Promise<ServiceNowClient> | undefined;
    const request: BulkRequest = {
      event,
      instance,
      deps,
      params: { ...event.pathParameters } as Record<string, string>,
      query: new URLSearchParams(event.rawQueryString ?? ''),
      client: () => {
        client ??= serviceNowClientFor(instance, deps);
        return client;
      },
      blobStore: () => {
        if (deps.blobStore === undefined) throw unavailable('bucket');
        return deps.blobStore;
      },
      queue: () => {
        if (deps.bulkQueue === undefined) throw unavailable('queue');
        return deps.bulkQueue;
      },
      pageTokenKey: () => pageTokenKeyOf(event),
      env: process.env,
    };
    return route(request);
  });
};

/** Uploads arrive as multipart/form-data; `POST /bulk/query` may carry `metaData` as a form field. */
export const BULK_CONTENT_TYPES: readonly string[] = [
  'multipart/form-data',
  'application/x-www-form-urlencoded',
];

export const handler = withMiddleware(bulkHandler, { auth: 'hub', acceptedContentTypes: BULK_CONTENT_TYPES });
