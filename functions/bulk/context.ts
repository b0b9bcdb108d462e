import { type BulkJobContext, checkedCallbackUrl } from '../../shared/bulk/api';
import { UnavailableError } from '../../shared/errors';
import { type InstanceRecord, serviceNowClientFor } from '../../shared/instances';
import type { BlobStore, QueueProducer } from '../../shared/ports';
import type { ServiceNowClient } from '../../shared/servicenow';
import { type ApiEvent, pageTokenKeyOf } from '../middleware';
import type { Dependencies } from '../runtime/dependencies';

/** What every bulk route gets, built once per request by the entry point (functions/bulk/handler.ts). */
export interface BulkRequest {
  event: ApiEvent;
  instance: InstanceRecord;
  deps: Dependencies;
  params: Record<string, string>;
  query: URLSearchParams;
  client(): Promise<ServiceNowClient>;
  /** 503 when the stack has no bulk bucket / queue. */
  blobStore(): BlobStore;
  queue(): QueueProducer;
  /** Per-instance key of the paging tokens (shared/hub/page-token.ts: derived from the element token). */
  pageTokenKey(): Buffer;
  /** Process environment (limits): read per request so tests and local mode can set them. */
  env: Readonly<Record<string, string | undefined>>;
  /** The caller's instance and ports, for the job operations of shared/bulk/api. */
  jobs: BulkJobContext;
}

export type BulkRoute = (request: BulkRequest) => Promise<unknown>;
export type BulkRouteTable = Record<string, BulkRoute>;

/** Request header names arrive lower-cased (payload format 2.0). */
export const headerOf = (event: ApiEvent, name: string): string | undefined => {
  const value = event.headers?.[name.toLowerCase()];
  return value === undefined || value === '' ? undefined : value;
};

export const CALLBACK_HEADER = 'Elements-Async-Callback-Url';

/** The job's callback URL (header wins over the body's notificationUrl), SSRF-checked now: 400 if refused. */
export const callbackUrlOf = (request: BulkRequest, fromBody?: string): Promise<string | undefined> =>
  checkedCallbackUrl(request.jobs, headerOf(request.event, CALLBACK_HEADER) ?? fromBody);

const unavailable = (what: string) =>
  new UnavailableError(`Bulk is not available: this deployment has no bulk ${what}`);

/** What the routes get for one call; the ServiceNow client is made on first use. */
export const bulkRequestOf = (event: ApiEvent, instance: InstanceRecord, deps: Dependencies): BulkRequest => {
  let client: Promise<ServiceNowClient> | undefined;
  const blobStore = () => {
    if (deps.blobStore === undefined) throw unavailable('bucket');
    return deps.blobStore;
  };
  const queue = () => {
    if (deps.bulkQueue === undefined) throw unavailable('queue');
    return deps.bulkQueue;
  };
  return {
    event,
    instance,
    deps,
    params: { ...event.pathParameters } as Record<string, string>,
    query: new URLSearchParams(event.rawQueryString ?? ''),
    client: () => {
      client ??= serviceNowClientFor(instance, deps);
      return client;
    },
    blobStore,
    queue,
    pageTokenKey: () => pageTokenKeyOf(event),
    env: process.env,
    jobs: {
      instanceId: String(instance.id),
      stateTable: deps.stateTable,
      allowedHosts: deps.allowedHosts,
      now: deps.now,
      blobStore,
      queue,
    },
  };
};
