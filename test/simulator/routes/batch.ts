/**
 * Batch API: `POST /api/now/v1/batch`. Items run sequentially
 * through the same router as the batch caller; bodies travel base64-encoded; the batch itself answers
 * 200 even when items fail.
 */
import { envelope, invalidJson, methodNotSupported } from '../envelopes';
import { fail, json, type RouteContext, type SimRequest, type SimResponse } from './context';

export const BATCH_PATH = /^\/api\/now\/v1\/batch\/?$/;

interface BatchItem {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  headers?: unknown;
  body?: unknown;
  exclude_response_headers?: unknown;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

function headerList(value: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!Array.isArray(value)) return headers;
  for (const h of value as { name?: unknown; value?: unknown }[]) {
    if (typeof h?.name === 'string' && typeof h.value === 'string') headers[h.name.toLowerCase()] = h.value;
  }
  return headers;
}

export async function batchRoute(req: SimRequest, ctx: RouteContext): Promise<SimResponse> {
  if (req.method !== 'POST') return fail(methodNotSupported(req.method));
  let parsed: { batch_request_id?: unknown; rest_requests?: unknown };
  try {
    parsed = JSON.parse(req.body.toString('utf8')) as typeof parsed;
  } catch {
    return fail(invalidJson());
  }
  if (!Array.isArray(parsed.rest_requests)) {
    return fail(envelope(400, 'Invalid batch request', 'rest_requests must be an array'));
  }
  const serviced: Record<string, unknown>[] = [];
  const unserviced: string[] = [];
  for (const raw of parsed.rest_requests as BatchItem[]) {
    const id = typeof raw?.id === 'string' ? raw.id : String(raw?.id ?? '');
    const started = performance.now();
    let response: SimResponse;
    let errorMessage: string | undefined;
    if (typeof raw?.url !== 'string' || typeof raw.method !== 'string' || !raw.url.startsWith('/api/')) {
      // An item that cannot be routed is not executed (C.3: listed by id in unserviced_requests).
      unserviced.push(id);
      continue;
    }
    const url = new URL(raw.url, ctx.baseUrl);
    if (/\/batch\/?$/.test(url.pathname)) {
      response = fail(envelope(400, 'Nested batch requests are not supported', null));
      errorMessage = 'Nested batch requests are not supported';
    } else {
      response = await ctx.dispatch({
        method: raw.method.toUpperCase(),
        path: url.pathname,
        query: url.searchParams,
        headers: headerList(raw.headers),
        body: typeof raw.body === 'string' ? Buffer.from(raw.body, 'base64') : Buffer.alloc(0),
      });
    }
    const body =
      response.body === undefined ? '' : Buffer.from(response.body as string | Buffer).toString('base64');
    const item: Record<string, unknown> = {
      id,
      status_code: response.status,
      status_text: STATUS_TEXT[response.status] ?? '',
      headers:
        raw.exclude_response_headers === true
          ? []
          : Object.entries(response.headers).map(([name, value]) => ({ name, value })),
      body,
      execution_time: Math.round(performance.now() - started),
    };
    if (errorMessage) item.error_message = errorMessage;
    serviced.push(item);
  }
  return json(200, {
    batch_request_id: parsed.batch_request_id ?? '',
    serviced_requests: serviced,
    unserviced_requests: unserviced,
  });
}
