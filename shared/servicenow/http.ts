import { isAscii } from 'node:buffer';
import { BadUpstreamError } from '../errors';
import { type OutboundResponse, OutboundTimeoutError, OutboundUrlRefusedError } from '../net';
import { errorFromResponse, HTML_INSTEAD_OF_JSON, timedOut, unreachable } from './errors';
import type { AttemptResult } from './retry';
import { parseRetryAfter } from './retry';
import type { HttpContext, HttpMethod } from './types';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The raw 2xx body when the exchange asked for `binary` (then `text` is empty). */
  bytes?: Buffer;
}

export interface Exchange {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Keep a 2xx body as bytes instead of decoding it as UTF-8 text (attachment downloads). */
  binary?: boolean;
}

// Nothing reached the server: safe to repeat for every method.
const REFUSED_CODES = new Set(['ECONNREFUSED', 'ECONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);

const codeOf = (err: unknown): string | undefined => {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return codeOf((err as { cause?: unknown }).cause);
};

const findRefusal = (err: unknown): OutboundUrlRefusedError | undefined => {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof OutboundUrlRefusedError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
};

const flattenHeaders = (headers: Record<string, string | string[] | undefined>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
};

/** Reused to join a body's chunks before decoding them; grows to the largest body seen, up to the cap. */
let joinBuffer = Buffer.alloc(0);
const JOIN_BUFFER_MAX = 4 * 1024 * 1024;

/**
 * A body as text: UTF-8 without its byte order mark. The chunks are joined in a buffer kept across
 * calls (a fresh ~200 KB buffer per hub page costs page faults, not just a copy), and an ASCII body, the
 * usual JSON page, is copied as Latin-1 instead of decoded.
 */
const decodeBody = (chunks: readonly Buffer[], length: number): string => {
  let bytes: Buffer;
  if (chunks.length === 1) bytes = chunks[0] as Buffer;
  else if (length > JOIN_BUFFER_MAX) bytes = Buffer.concat(chunks, length);
  else {
    if (joinBuffer.length < length) {
      joinBuffer = Buffer.allocUnsafeSlow(Math.min(JOIN_BUFFER_MAX, Math.max(length, 2 * joinBuffer.length)));
    }
    let offset = 0;
    for (const chunk of chunks) offset += chunk.copy(joinBuffer, offset);
    bytes = joinBuffer.subarray(0, length);
  }
  if (isAscii(bytes)) return bytes.toString('latin1');
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString('utf8', bom ? 3 : 0);
};

/**
 * One HTTP exchange through the SSRF-checking keep-alive agent. No cookie jar exists here:
 * nothing is stored from Set-Cookie and no Cookie header is ever sent (a shared
 * session serializes parallel calls and overflows with 202). Redirects are not followed.
 * Whole-exchange timeout = ctx.timeoutMs (headers and body).
 */
export const exchange = async (ctx: HttpContext, ex: Exchange): Promise<AttemptResult<RawResponse>> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ex.headers)) {
    if (name.toLowerCase() !== 'cookie') headers[name] = value;
  }
  let url: URL;
  try {
    url = new URL(ex.url);
  } catch (err) {
    return { ok: false, failure: { kind: 'fatal' }, error: unreachable(err) };
  }
  let response: OutboundResponse;
  try {
    response = await ctx.dispatcher.request({
      method: ex.method,
      url,
      headers,
      body: ex.body ?? null,
      timeoutMs: ctx.timeoutMs,
    });
  } catch (err) {
    const refusal = findRefusal(err);
    if (refusal) throw refusal;
    if (err instanceof OutboundTimeoutError && err.phase === 'timeout') {
      return { ok: false, failure: { kind: 'broken' }, error: timedOut(err) };
    }
    const code = codeOf(err);
    if (code !== undefined && REFUSED_CODES.has(code)) {
      return { ok: false, failure: { kind: 'refused' }, error: unreachable(err) };
    }
    return { ok: false, failure: { kind: 'broken' }, error: unreachable(err) };
  }
  const { status, chunks, length } = response;
  const headersOut = flattenHeaders(response.headers);
  // A 2xx body of a binary exchange is kept as bytes; every other body is text.
  if (ex.binary && status < 300) {
    return {
      ok: true,
      value: { status, headers: headersOut, text: '', bytes: Buffer.concat(chunks, length) },
    };
  }
  return { ok: true, value: { status, headers: headersOut, text: decodeBody(chunks, length) } };
};

const looksLikeHtml = (raw: RawResponse): boolean =>
  (raw.headers['content-type'] ?? '').includes('html') || /^\s*</.test(raw.text);

const parseJson = (raw: RawResponse): { ok: true; value: unknown } | { ok: false } => {
  if (raw.text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw.text) };
  } catch {
    return { ok: false };
  }
};

/**
 * Turns a raw response into a value or a classified failure: 2xx JSON -> body; HTML (hibernating
 * PDI answers 200 text/html) -> 502; GET 202 empty -> retryable session overflow;
 * 3xx -> 502 (redirects are never followed); errors -> mapped ElementError with providerMessage.
 */
export const interpret = (
  method: HttpMethod,
  raw: RawResponse,
  now: number,
): AttemptResult<{ status: number; headers: Record<string, string>; body: unknown }> => {
  const { status } = raw;
  if (status >= 200 && status < 300) {
    if (method === 'GET' && status === 202 && raw.text.trim() === '') {
      return {
        ok: false,
        failure: { kind: 'emptyAccepted' },
        error: new BadUpstreamError(
          'ServiceNow accepted the request without answering (202, session queue overflow)',
        ),
      };
    }
    if (raw.text.trim() !== '' && looksLikeHtml(raw)) {
      return { ok: false, failure: { kind: 'fatal' }, error: htmlError() };
    }
    const parsed = parseJson(raw);
    if (!parsed.ok) {
      return {
        ok: false,
        failure: { kind: 'fatal' },
        error: new BadUpstreamError('ServiceNow returned a response that is not valid JSON'),
      };
    }
    return { ok: true, value: { status, headers: raw.headers, body: parsed.value } };
  }
  if (status >= 300 && status < 400) {
    return {
      ok: false,
      failure: { kind: 'fatal' },
      error: new BadUpstreamError(
        `ServiceNow answered with a redirect (${status}), which is not followed; check the instance URL`,
      ),
    };
  }
  const parsed = looksLikeHtml(raw) ? { ok: false as const } : parseJson(raw);
  const error = errorFromResponse(status, parsed.ok ? parsed.value : undefined, raw.headers);
  const retryAfterMs = parseRetryAfter(raw.headers['retry-after'], now);
  return {
    ok: false,
    failure: { kind: 'status', status },
    error,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
};

const htmlError = () => new BadUpstreamError(HTML_INSTEAD_OF_JSON);
