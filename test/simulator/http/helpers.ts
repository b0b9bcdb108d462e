/** Helpers for the simulator's HTTP conformance tests: real requests over loopback with fetch. */
import type { SimulatorHandle } from '../index';

export const ADMIN_BASIC = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Calls the simulator as admin (Basic) unless `authorization` is given ('' = no header). */
export async function api<T = unknown>(
  sim: SimulatorHandle,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; authorization?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  const authorization = init.authorization ?? ADMIN_BASIC;
  if (authorization) headers.authorization = authorization;
  let body: string | Buffer | undefined;
  if (init.body !== undefined) {
    body =
      typeof init.body === 'string' || Buffer.isBuffer(init.body) ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${sim.url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body,
    redirect: 'manual',
  });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

export type Row = Record<string, unknown>;
export type ListBody = { result: Row[] };
export type OneBody = { result: Row };

/** Parses a `Link` header into rel -> URL. */
export function links(header: string | null): Record<string, URL> {
  const out: Record<string, URL> = {};
  if (!header) return out;
  for (const part of header.split(',')) {
    const m = /^<([^>]+)>;rel="(\w+)"$/.exec(part);
    if (!m) throw new Error(`malformed Link part: ${part}`);
    out[m[2]!] = new URL(m[1]!);
  }
  return out;
}

/** Inserts `count` incidents through the API, returning their sys_ids in insertion order. */
export async function createIncidents(
  sim: SimulatorHandle,
  count: number,
  extra: Row = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await api<OneBody>(sim, '/api/now/table/incident', {
      method: 'POST',
      body: { short_description: `incident ${i}`, ...extra },
    });
    if (res.status !== 201) throw new Error(`insert failed: ${res.status} ${res.text}`);
    ids.push(String(res.body.result.sys_id));
  }
  return ids;
}
