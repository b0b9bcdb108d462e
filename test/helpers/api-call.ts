/** One HTTP call of a test to the element's API (or any URL), the answer read whole. */

export interface ApiCallOptions {
  /** The Authorization header. */
  auth?: string;
  /** Sent as JSON (Content-Type application/json unless `headers` say otherwise). */
  body?: unknown;
  /** Sent as it is, when `body` is absent. */
  raw?: RequestInit['body'];
  headers?: Record<string, string>;
  /** Default: fetch's (follow). */
  redirect?: RequestInit['redirect'];
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  json: <T = unknown>() => T;
}

export const callApi = async (
  url: string,
  method: string,
  options: ApiCallOptions = {},
): Promise<ApiAnswer> => {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth !== undefined) headers.Authorization = options.auth;
  let body = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    ...(options.redirect === undefined ? {} : { redirect: options.redirect }),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  return { status: res.status, headers: res.headers, bytes, text, json: <T>() => JSON.parse(text) as T };
};
