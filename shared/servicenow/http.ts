import { isAscii } from 'node:buffer';
import { BadUpstreamError } from '../errors';
import { OutboundUrlRefusedError } from '../net';
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

const REFUSED_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

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
 * A body as text: UTF-8 without its byte order mark (as undici's body.text()). The chunks are joined in
 * a buffer kept across calls (a fresh ~200 KB buffer per hub page costs page faults, not just a copy),
 * and an ASCII body, the usual JSON page, is copied as Latin-1 instead of decoded.
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

/** Why an exchange was aborted by its own whole-exchange timer. */
class ExchangeTimeout extends Error {}

/** Minimal view of the controller undici hands a dispatch handler (undici 7 handler API). */
interface DispatchController {
  abort(reason: Error): void;
}

/**
 * One HTTP exchange through the SSRF-checking keep-alive dispatcher. No cookie jar exists here:
 * nothing is stored from Set-Cookie and no Cookie header is ever sent (a shared
 * session serializes parallel calls and overflows with 202). Redirects are not followed.
 * Whole-exchange timeout = ctx.timeoutMs (headers and body).
 *
 * Uses the dispatcher's handler API rather than `undici.request`: a hub page is ~200 KB, and skipping
 * the body stream and its fresh concatenation buffer (see decodeBody) saves ~0.2-0.3 ms of CPU per
 * 200-row page, measured against the hub's 2 ms overhead budget.
 */
export const exchange = (ctx: HttpContext, ex: Exchange): Promise<AttemptResult<RawResponse>> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ex.headers)) {
    if (name.toLowerCase() !== 'cookie') headers[name] = value;
  }
  let url: URL;
  try {
    url = new URL(ex.url);
  } catch (err) {
    return Promise.resolve({ ok: false, failure: { kind: 'fatal' }, error: unreachable(err) });
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    let controller: DispatchController | undefined;
    let timeout: ExchangeTimeout | undefined;
    let status = 0;
    let headersOut: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let length = 0;

    const finish = (result: AttemptResult<RawResponse>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      const refusal = findRefusal(err);
      if (refusal) {
        settled = true;
        clearTimeout(timer);
        reject(refusal);
        return;
      }
      const code = codeOf(err);
      if (timeout !== undefined || (code !== undefined && TIMEOUT_CODES.has(code))) {
        finish({ ok: false, failure: { kind: 'broken' }, error: timedOut(err) });
      } else if (code !== undefined && REFUSED_CODES.has(code)) {
        finish({ ok: false, failure: { kind: 'refused' }, error: unreachable(err) });
      } else {
        finish({ ok: false, failure: { kind: 'broken' }, error: unreachable(err) });
      }
    };

    const timer = setTimeout(() => {
      timeout = new ExchangeTimeout('ServiceNow exchange timed out');
      // Not yet started (waiting for a connection): aborted as soon as it starts, see onRequestStart.
      controller?.abort(timeout);
      fail(timeout);
    }, ctx.timeoutMs);

    try {
      ctx.dispatcher.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: ex.method,
          headers,
          body: ex.body ?? null,
          headersTimeout: ctx.timeoutMs,
          bodyTimeout: ctx.timeoutMs,
        },
        {
          onRequestStart(started: DispatchController) {
            controller = started;
            if (timeout !== undefined) started.abort(timeout);
          },
          onResponseStart(
            _controller: DispatchController,
            statusCode: number,
            responseHeaders: Record<string, string | string[] | undefined>,
          ) {
            // 1xx informational answers precede the real one (undici.request skips them too).
            if (statusCode < 200) return;
            status = statusCode;
            headersOut = flattenHeaders(responseHeaders);
          },
          onResponseData(_controller: DispatchController, chunk: Buffer) {
            chunks.push(chunk);
            length += chunk.length;
          },
          onResponseEnd() {
            // A 2xx body of a binary exchange is kept as bytes; every other body is text.
            if (ex.binary && status < 300) {
              finish({
                ok: true,
                value: { status, headers: headersOut, text: '', bytes: Buffer.concat(chunks, length) },
              });
              return;
            }
            finish({ ok: true, value: { status, headers: headersOut, text: decodeBody(chunks, length) } });
          },
          onResponseError(_controller: DispatchController | undefined, err: Error) {
            fail(err);
          },
        },
      );
    } catch (err) {
      fail(err);
    }
  });
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
