import { InvalidInputError } from '../../errors';
import type { ServiceNowClient } from '../../servicenow';
import { providerMessageOf, tablePath } from '../../servicenow';

/**
 * Plain inserts through the Batch API: one `POST /api/now/v1/batch` carries N table
 * POSTs, run sequentially by the instance, each under its own ACLs. The batch answers 200 even when
 * items failed, so every item's `status_code` is checked; items the instance did not run (30 s batch
 * quota) come back in `unserviced_requests` and are reported as such so the caller can re-send them.
 */
export type BatchItemOutcome =
  | { ok: true }
  | { ok: false; unserviced: true }
  | { ok: false; unserviced: false; status: number; reason: string; providerMessage?: string };

interface ServicedRequest {
  id?: unknown;
  status_code?: unknown;
  body?: unknown;
  error_message?: unknown;
}

interface BatchResponse {
  serviced_requests?: ServicedRequest[];
  unserviced_requests?: unknown[];
}

const BATCH_PATH = '/api/now/v1/batch';
const JSON_HEADERS = [
  { name: 'Content-Type', value: 'application/json' },
  { name: 'Accept', value: 'application/json' },
];

const decodeBody = (body: unknown): unknown => {
  if (typeof body !== 'string' || body === '') return undefined;
  try {
    return JSON.parse(Buffer.from(body, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
};

/** One write of a batch: an insert, or an update of the record with `sysId`. */
export interface BatchWrite {
  record: Record<string, string>;
  /** Present: PATCH that record (upsert of an existing one). Absent: POST a new one. */
  sysId?: string;
}

/** Sends `records` as one batch of inserts; outcomes come back in input order. */
export const insertBatch = (
  client: ServiceNowClient,
  table: string,
  records: Record<string, string>[],
): Promise<BatchItemOutcome[]> =>
  writeBatch(
    client,
    table,
    records.map((record) => ({ record })),
  );

/** Sends inserts and updates as one batch; outcomes come back in input order. */
export const writeBatch = async (
  client: ServiceNowClient,
  table: string,
  writes: BatchWrite[],
): Promise<BatchItemOutcome[]> => {
  const url = tablePath(table); // validates the table name
  const response = await client.request<BatchResponse>({
    method: 'POST',
    path: BATCH_PATH,
    body: {
      batch_request_id: '1',
      rest_requests: writes.map((write, index) => ({
        id: String(index),
        method: write.sysId === undefined ? 'POST' : 'PATCH',
        url: write.sysId === undefined ? url : `${url}/${encodeURIComponent(write.sysId)}`,
        headers: JSON_HEADERS,
        body: Buffer.from(JSON.stringify(write.record)).toString('base64'),
        exclude_response_headers: true,
      })),
    },
  });
  const records = writes;
  const serviced = new Map<string, ServicedRequest>();
  for (const item of response.body?.serviced_requests ?? []) serviced.set(String(item.id), item);
  return records.map((_, index): BatchItemOutcome => {
    const item = serviced.get(String(index));
    if (item === undefined) return { ok: false, unserviced: true };
    const status = typeof item.status_code === 'number' ? item.status_code : Number(item.status_code);
    if (status >= 200 && status < 300) return { ok: true };
    const providerMessage =
      providerMessageOf(decodeBody(item.body)) ??
      (typeof item.error_message === 'string' && item.error_message !== '' ? item.error_message : undefined);
    return {
      ok: false,
      unserviced: false,
      status,
      reason: `ServiceNow refused the record (HTTP ${status})`,
      ...(providerMessage === undefined ? {} : { providerMessage }),
    };
  });
};

export const assertBatchSize = (size: number): void => {
  // Items run one after another inside a 30 s quota: keep batches small.
  if (!Number.isInteger(size) || size < 1 || size > 200) {
    throw new InvalidInputError('Batch size must be an integer from 1 to 200');
  }
};
