import { BadUpstreamError, InvalidInputError } from '../errors';
import { MAX_SERVICENOW_URL_BYTES } from '../input/limits';
import type { OnTokens } from './auth';
import { createAuthorizer } from './auth';
import type { RequestGate, SemaphoreRegistry } from './concurrency';
import { DEFAULT_CONCURRENCY, defaultSemaphores } from './concurrency';
import type { HttpOptions } from './context';
import { buildHttpContext } from './context';
import { exchange, interpret } from './http';
import { parseRetryAfter, withRetries } from './retry';
import type {
  ListResult,
  QueryValue,
  ServiceNowAuth,
  ServiceNowRequest,
  ServiceNowResponse,
  SnRecord,
  TableParams,
} from './types';

export interface ServiceNowClientOptions extends HttpOptions {
  auth: ServiceNowAuth;
  /** Max concurrent requests per instance+identity. Default 4. */
  concurrency?: number;
  /** Where the per-instance semaphores live. Default: process-wide registry. */
  semaphores?: SemaphoreRegistry;
  /** A second gate after the semaphore, across processes (createLeaseGate). Default: none. */
  gate?: RequestGate;
  /** Called with new OAuth tokens so the caller can persist them. */
  onTokens?: OnTokens;
  /** How long before expiry an OAuth token is refreshed. Default 60 s. */
  refreshSkewMs?: number;
  /** Observes every HTTP exchange (metrics): its status, undefined when no answer came, and duration. */
  onExchange?: (exchange: { status: number | undefined; durationMs: number }) => void;
}

/** `attempt`, reported to `observer` once it settles (never throws into the request). */
const observed = async <T extends { ok: boolean; value?: { status: number } }>(
  observer: ServiceNowClientOptions['onExchange'],
  attempt: () => Promise<T>,
): Promise<T> => {
  if (observer === undefined) return attempt();
  const startedAt = performance.now();
  const result = await attempt();
  observer({
    status: result.ok ? result.value?.status : undefined,
    durationMs: performance.now() - startedAt,
  });
  return result;
};

export interface ServiceNowClient {
  readonly baseUrl: string;
  request<T = unknown>(req: ServiceNowRequest): Promise<ServiceNowResponse<T>>;
  list(table: string, params?: TableParams): Promise<ListResult>;
  get(table: string, sysId: string, params?: TableParams): Promise<SnRecord>;
  create(table: string, record: SnRecord, params?: TableParams): Promise<SnRecord>;
  /** PATCH: only the given fields change. */
  update(table: string, sysId: string, record: SnRecord, params?: TableParams): Promise<SnRecord>;
  /** PUT (ServiceNow treats it as a partial update too). */
  replace(table: string, sysId: string, record: SnRecord, params?: TableParams): Promise<SnRecord>;
  delete(table: string, sysId: string): Promise<void>;
  /** Row count through the Aggregate API, without reading rows. */
  count(table: string, query?: string): Promise<number>;
  // Attachments: request() sends Uint8Array bodies with a caller-chosen content-type and
  // returns Buffers with `responseType: 'binary'`; see shared/servicenow/attachments.ts.
}

const TABLE_NAME = /^[A-Za-z0-9_]+$/;
const SYS_ID = /^[A-Za-z0-9_.-]+$/;

export const tablePath = (table: string, sysId?: string): string => {
  if (!TABLE_NAME.test(table))
    throw new InvalidInputError(`Invalid ServiceNow table name: ${JSON.stringify(table)}`);
  if (sysId === undefined) return `/api/now/table/${table}`;
  if (!SYS_ID.test(sysId))
    throw new InvalidInputError(`Invalid ServiceNow record id: ${JSON.stringify(sysId)}`);
  return `/api/now/table/${table}/${sysId}`;
};

export const tableQuery = (params: TableParams = {}): Record<string, QueryValue> => ({
  sysparm_query: params.query === '' ? undefined : params.query,
  sysparm_fields: params.fields && params.fields.length > 0 ? params.fields.join(',') : undefined,
  sysparm_limit: params.limit,
  sysparm_offset: params.offset,
  sysparm_display_value: params.displayValue === undefined ? undefined : String(params.displayValue),
  sysparm_exclude_reference_link: params.excludeReferenceLink,
  sysparm_no_count: params.noCount,
  ...params.extra,
});

/** Path and query string of a request, encoded as sent. */
const pathAndQuery = (path: string, query: Record<string, QueryValue> = {}): string => {
  if (!path.startsWith('/') || path.startsWith('//'))
    throw new InvalidInputError('ServiceNow path must start with "/"');
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) search.set(key, String(value));
  }
  const qs = search.toString();
  return `${path}${qs === '' ? '' : `?${qs}`}`;
};

/**
 * A 400 when a request's path and query string would pass MAX_SERVICENOW_URL_BYTES (the encoding is
 * ASCII, so its length is its size): ServiceNow echoes the query in its `Link` header, and servers cut
 * long request lines, so such a query would fail as a 502 or worse.
 */
export const assertFitsServiceNowUrl = (path: string, query?: Record<string, QueryValue>): string => {
  const target = pathAndQuery(path, query);
  if (target.length > MAX_SERVICENOW_URL_BYTES) {
    throw new InvalidInputError(
      `The query is too long for ServiceNow: its request URL would be ${target.length} bytes, over the ` +
        `${MAX_SERVICENOW_URL_BYTES}-byte limit (ServiceNow repeats the query in its response headers). ` +
        'Use fewer conditions (IN (...) instead of a chain of ORs), fewer fields, or split the query.',
    );
  }
  return target;
};

/** `Link: <url>;rel="next"` (no space before `;rel` on real instances; accept both). */
export const hasNextLink = (link: string | undefined): boolean =>
  link !== undefined && /;\s*rel="?next"?/i.test(link);

const resultOf = (body: unknown): unknown =>
  typeof body === 'object' && body !== null && 'result' in body
    ? (body as { result: unknown }).result
    : undefined;

const recordOf = (body: unknown): SnRecord => {
  const result = resultOf(body);
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new BadUpstreamError('ServiceNow returned an unexpected response (no record in "result")');
  }
  return result as SnRecord;
};

export const createServiceNowClient = (options: ServiceNowClientOptions): ServiceNowClient => {
  const ctx = buildHttpContext(options);
  const authorizer = createAuthorizer(ctx, options.auth, options.onTokens, options.refreshSkewMs);
  const semaphore = (options.semaphores ?? defaultSemaphores).get(
    `${ctx.baseUrl}|${authorizer.identity}`,
    options.concurrency ?? DEFAULT_CONCURRENCY,
  );
  const retryDeps = { policy: ctx.retry, sleep: ctx.sleep, random: ctx.random };

  const request = async <T>(req: ServiceNowRequest): Promise<ServiceNowResponse<T>> => {
    const url = `${ctx.baseUrl}${assertFitsServiceNowUrl(req.path, req.query)}`;
    // Lower-cased so a caller's `Accept` replaces ours instead of doubling it; Authorization is ours
    // alone, and cookies are never sent.
    const binary = req.responseType === 'binary';
    const headers: Record<string, string> = { accept: binary ? '*/*' : 'application/json' };
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      const key = name.toLowerCase();
      if (key !== 'authorization' && key !== 'cookie') headers[key] = value;
    }
    let body: string | Uint8Array | undefined;
    if (req.body !== undefined) {
      if (typeof req.body === 'string' || req.body instanceof Uint8Array) {
        body = req.body;
      } else {
        body = JSON.stringify(req.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    let recoveredFromUnauthorized = false;
    for (;;) {
      let unauthorizedWith: string | undefined;
      try {
        const response = await withRetries(req.method, retryDeps, async () => {
          const authorization = await authorizer.authorization();
          const send = () =>
            observed(options.onExchange, () =>
              exchange(ctx, {
                method: req.method,
                url,
                headers: { ...headers, authorization },
                body,
                ...(binary ? { binary: true } : {}),
              }),
            );
          const { gate } = options;
          const result = await semaphore.run(() => (gate ? gate.run(send) : send()));
          if (!result.ok) return result;
          if (gate && result.value.status === 429) {
            await gate.throttled(parseRetryAfter(result.value.headers['retry-after'], ctx.clock.now()));
          }
          if (result.value.status === 401) unauthorizedWith = authorization;
          const { bytes } = result.value;
          if (bytes !== undefined) {
            return {
              ok: true,
              value: { status: result.value.status, headers: result.value.headers, body: bytes },
            };
          }
          return interpret(req.method, result.value, ctx.clock.now());
        });
        return response as ServiceNowResponse<T>;
      } catch (err) {
        // One more try with a fresh token after a 401 (expired/revoked early), then give up.
        if (unauthorizedWith !== undefined && !recoveredFromUnauthorized) {
          recoveredFromUnauthorized = true;
          if (await authorizer.recoverFromUnauthorized(unauthorizedWith)) continue;
        }
        throw err;
      }
    }
  };

  /** Some instances return empty `{}` rows; skip them (without building a key array per row). */
  const hasAnyField = (row: object): boolean => {
    for (const key in row) if (Object.hasOwn(row, key)) return true;
    return false;
  };

  const list = async (table: string, params: TableParams = {}): Promise<ListResult> => {
    const response = await request({ method: 'GET', path: tablePath(table), query: tableQuery(params) });
    const result = resultOf(response.body);
    if (!Array.isArray(result)) {
      throw new BadUpstreamError('ServiceNow returned an unexpected response (no list in "result")');
    }
    const total = response.headers['x-total-count'];
    return {
      records: result.filter(
        (row): row is SnRecord => typeof row === 'object' && row !== null && hasAnyField(row),
      ),
      totalCount: total === undefined || total === '' ? undefined : Number(total),
      hasNext: hasNextLink(response.headers.link),
      headers: response.headers,
    };
  };

  const write = async (
    method: 'POST' | 'PUT' | 'PATCH',
    path: string,
    record: SnRecord,
    params: TableParams,
  ): Promise<SnRecord> =>
    recordOf((await request({ method, path, query: tableQuery(params), body: record })).body);

  return {
    baseUrl: ctx.baseUrl,
    request,
    list,
    get: async (table, sysId, params = {}) =>
      recordOf(
        (await request({ method: 'GET', path: tablePath(table, sysId), query: tableQuery(params) })).body,
      ),
    create: (table, record, params = {}) => write('POST', tablePath(table), record, params),
    update: (table, sysId, record, params = {}) => write('PATCH', tablePath(table, sysId), record, params),
    replace: (table, sysId, record, params = {}) => write('PUT', tablePath(table, sysId), record, params),
    delete: async (table, sysId) => {
      await request({ method: 'DELETE', path: tablePath(table, sysId) });
    },
    count: async (table, query) => {
      if (!TABLE_NAME.test(table))
        throw new InvalidInputError(`Invalid ServiceNow table name: ${JSON.stringify(table)}`);
      const response = await request({
        method: 'GET',
        path: `/api/now/stats/${table}`,
        query: { sysparm_count: true, sysparm_query: query === '' ? undefined : query },
      });
      const result = resultOf(response.body) as { stats?: { count?: unknown } } | undefined;
      const count = Number(result?.stats?.count);
      if (!Number.isFinite(count)) {
        throw new BadUpstreamError('ServiceNow returned an unexpected response (no count in "stats")');
      }
      return count;
    },
  };
};
