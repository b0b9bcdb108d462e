import type { BulkCaller } from '../../shared/bulk/api';
import { UnavailableError } from '../../shared/errors';
import { type InstanceRecord, serviceNowClientFor } from '../../shared/instances';
import type { ServiceNowClient } from '../../shared/servicenow';
import { type ApiEvent, pageTokenKeyOf } from '../middleware';
import type { Dependencies } from '../runtime/dependencies';

/** What every bulk route gets, built once per request by the entry point (functions/bulk/handler.ts). */
export interface BulkRequest extends BulkCaller {
  event: ApiEvent;
  instance: InstanceRecord;
  deps: Dependencies;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Process environment (limits): read per request so tests and local mode can set them. */
  env: Readonly<Record<string, string | undefined>>;
}

export type BulkRouteTable = Record<string, (request: BulkRequest) => Promise<unknown>>;

const unavailable = (what: string) =>
  new UnavailableError(`Bulk is not available: this deployment has no bulk ${what}`);

/** What the routes get for one call; the ServiceNow client is made on first use, bucket and queue 503 when absent. */
export const bulkRequestOf = (event: ApiEvent, instance: InstanceRecord, deps: Dependencies): BulkRequest => {
  let client: Promise<ServiceNowClient> | undefined;
  const callbackHeader = event.headers?.['elements-async-callback-url'];
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
    pageTokenKey: () => pageTokenKeyOf(event),
    callbackHeader: callbackHeader === '' ? undefined : callbackHeader,
    env: process.env,
    jobs: {
      instanceId: String(instance.id),
      stateTable: deps.stateTable,
      allowedHosts: deps.allowedHosts,
      now: deps.now,
      blobStore: () => {
        if (deps.blobStore === undefined) throw unavailable('bucket');
        return deps.blobStore;
      },
      queue: () => {
        if (deps.bulkQueue === undefined) throw unavailable('queue');
        return deps.bulkQueue;
      },
    },
  };
};
