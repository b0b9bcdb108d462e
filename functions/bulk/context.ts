import type { InstanceRecord } from '../../shared/instances';
import type { BlobStore, QueueProducer } from '../../shared/ports';
import type { ServiceNowClient } from '../../shared/servicenow';
import type { ApiEvent } from '../middleware';
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
}

export type BulkRoute = (request: BulkRequest) => Promise<unknown>;
export type BulkRouteTable = Record<string, BulkRoute>;

/** Request header names arrive lower-cased (payload format 2.0). */
export const headerOf = (event: ApiEvent, name: string): string | undefined => {
  const value = event.headers?.[name.toLowerCase()];
  return value === undefined || value === '' ? undefined : value;
};
