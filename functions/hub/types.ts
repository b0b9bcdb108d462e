/**
 * What every hub route handler receives once the hub entry point has checked the instance
 * (deleted -> 401, disabled -> 403, invalid -> 401 re-authorize); its ServiceNow client is built on
 * first use, after the operation has checked what the request addresses.
 * Route modules export a `HubRouteTable`; the entry point (functions/hub/handler.ts) merges them.
 */
import { filtersNulls } from '../../shared/hub/null-filter';
import type { RecordsContext } from '../../shared/hub/records';
import { type InstanceRecord, serviceNowClientFor } from '../../shared/instances';
import type { ServiceNowClient } from '../../shared/servicenow';
import { type ApiEvent, instanceOf, pageTokenKeyOf } from '../middleware';
import type { Dependencies } from '../runtime/dependencies';

export interface HubRequest {
  event: ApiEvent;
  userId: string;
  instance: InstanceRecord;
  /** Lazily built: routes that never call ServiceNow do not pay for it. */
  client: () => Promise<ServiceNowClient>;
  /** The client with what every hub operation reads of the instance and the request (records, attachments, journal). */
  context: () => Promise<RecordsContext>;
  deps: Dependencies;
  /** Path parameters (objectName, id, attachmentId...). */
  params: Record<string, string>;
  /** Query string; repeated keys keep every value via `event.rawQueryString`. */
  query: URLSearchParams;
}

/**
 * Keys are `METHOD /path` below the hub prefix with parameter names kept, e.g.
 * `GET /{objectName}/{id}/attachments`. `/hubs/helpdesk/x` and `/x` reach the same key.
 */
export type HubRouteTable = Record<string, (request: HubRequest) => Promise<unknown>>;

/** The hub request of an event whose instance the instance-call middleware has checked. */
export const hubRequestOf = (event: ApiEvent, deps: Dependencies): HubRequest => {
  const instance = instanceOf(event);
  let built: Promise<ServiceNowClient> | undefined;
  const client = () => {
    built ??= serviceNowClientFor(instance, deps);
    return built;
  };
  return {
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
};
