import { type OutboundAgent, OutboundTimeoutError, OutboundUrlRefusedError } from '../net';

/** One POST to a callback receiver: delivered, or why not (`refused`: the SSRF guard said no). */
export type WebhookAttempt =
  | { ok: true; statusCode: number }
  | { ok: false; refused?: string; reason: string; statusCode?: number };

/** The SSRF guard's refusal somewhere in an error's cause chain. */
export const findRefusal = (error: unknown): OutboundUrlRefusedError | undefined => {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof OutboundUrlRefusedError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
};

const errorCode = (error: unknown): string | undefined => {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
};

/**
 * POSTs the exact bytes through `http` (the SSRF-guarded agent) within `timeoutMs`; never follows
 * redirects, never throws. Shared by event callbacks and bulk job callbacks. The reasons carry no URL
 * and no body, so they are safe to log and store.
 */
export const postWebhook = async (
  http: OutboundAgent,
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<WebhookAttempt> => {
  try {
    const response = await http.request({
      method: 'POST',
      url,
      headers,
      body,
      timeoutMs,
      // The receiver's answer is not ours to keep; read a little so the socket can be reused.
      maxBodyBytes: 64 * 1024,
    });
    const status = response.status;
    if (status >= 200 && status < 300) return { ok: true, statusCode: status };
    const note = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
    return { ok: false, statusCode: status, reason: `HTTP ${status}${note}` };
  } catch (error) {
    const refusal = findRefusal(error);
    if (refusal) return { ok: false, refused: refusal.message, reason: refusal.message };
    const code = errorCode(error);
    if (error instanceof OutboundTimeoutError && error.phase === 'timeout') {
      return { ok: false, reason: `timed out after ${timeoutMs} ms` };
    }
    return { ok: false, reason: `connection failed${code === undefined ? '' : ` (${code})`}` };
  }
};
