import type { ServiceNowClient } from '../../servicenow';

/** What every hub operation (records, attachments, journal) needs, built per request by the hub entry point. */
export interface RecordsContext {
  client: ServiceNowClient;
  instanceId: number;
  /** `filter.response.nulls` of the instance. */
  filterNulls: boolean;
  /** Key for `nextPage` tokens (shared/hub/page-token.ts); derived lazily, only list calls need it. */
  pageTokenKey: () => Buffer;
}

/**
 * The context, built on demand: an operation checks what the request addresses first, so a malformed
 * one is refused before the instance's ServiceNow client (and its secret) is built.
 */
export type RecordsContextOf = () => Promise<RecordsContext>;

/** A records operation's answer; the route module adds the instance header. */
export interface RecordsResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** `body` already serialized as JSON, when the operation had to serialize it (list pages are measured). */
  json?: string;
}
