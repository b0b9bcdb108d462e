/** The simulator's internal request/response model, shared by the HTTP server and the Batch API. */
import type { FaultSource } from '../faults';
import type { SimDatabase } from '../store/types';

export interface SimRequest {
  /** After `X-http-method-override`. */
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string | undefined;
}

export interface Principal {
  userName: string;
  userSysId: string | undefined;
}

export interface RouteContext {
  db: SimDatabase;
  /** http://127.0.0.1:<port>, used for absolute links (the `Link` header, reference links). */
  baseUrl: string;
  principal: Principal;
  faults: FaultSource;
  strictQueries: boolean;
  linkHeaderOnSinglePage: boolean;
  /** Attachment bytes by sys_attachment sys_id; metadata lives in the database. */
  attachments: Map<string, Buffer>;
  /** Work units spent by database queries for this request (cost model). */
  cost: { units: number };
  /** Runs another request as the same principal (Batch API). */
  dispatch(req: SimRequest): Promise<SimResponse>;
}

export const JSON_TYPE = 'application/json;charset=UTF-8';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(body) };
}

export function fail(
  error: { status: number; body: unknown },
  headers: Record<string, string> = {},
): SimResponse {
  return json(error.status, error.body, headers);
}

export function empty(status: number, headers: Record<string, string> = {}): SimResponse {
  return { status, headers, body: undefined };
}

/** ServiceNow booleans in query params are the strings "true"/"false". */
export function flag(query: URLSearchParams, name: string): boolean {
  return query.get(name)?.toLowerCase() === 'true';
}
