import type { ServiceNowClient } from '../../servicenow';
import type { InstanceRef } from '../../transformations/store';
import { type BulkJobContext, checkedCallbackUrl } from './job-service';

/** Who asks a bulk operation, as the bulk entry point hands it over (the ServiceNow client made on first use). */
export interface BulkCaller {
  instance: InstanceRef & { configuration: Record<string, string> };
  /** The caller's instance and ports, for the job operations. */
  jobs: BulkJobContext;
  client(): Promise<ServiceNowClient>;
  /** Per-instance key of the paging tokens (derived from the element token). */
  pageTokenKey(): Buffer;
  /** The `Elements-Async-Callback-Url` header, which wins over a body's notificationUrl. */
  callbackHeader: string | undefined;
}

/** The job's callback URL (header first, then the body's notificationUrl), SSRF-checked now: 400 if refused. */
export const callbackUrlOf = (caller: BulkCaller, fromBody?: string): Promise<string | undefined> =>
  checkedCallbackUrl(caller.jobs, caller.callbackHeader ?? fromBody);
