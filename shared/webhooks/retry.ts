import type { OutboundAgent } from '../net';
import { type BackoffPolicy, backoffDelay, type RandomSource, type Sleep, sleep } from '../resilience';
import { postWebhook, type WebhookAttempt } from './post';

export interface WebhookRetryOptions {
  /** Attempts in all, the first included (at least 1). */
  attempts: number;
  /** Per attempt. */
  timeoutMs: number;
  backoff: BackoffPolicy;
  sleep?: Sleep;
  random?: RandomSource;
}

/**
 * POSTs with a few attempts inside the caller's invocation, backing off between them; stops at the
 * first 2xx or at a refusal of the SSRF guard (the address stays refused). Never throws. Event
 * deliveries retry through their queue instead (one attempt per receive).
 */
export const postWebhookWithRetry = async (
  http: OutboundAgent,
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: WebhookRetryOptions,
): Promise<{ attempt: WebhookAttempt; attempts: number }> => {
  const attempts = Math.max(1, options.attempts);
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  for (let made = 1; ; made++) {
    const attempt = await postWebhook(http, url, body, headers, options.timeoutMs);
    if (attempt.ok || attempt.refused !== undefined || made >= attempts) return { attempt, attempts: made };
    await wait(backoffDelay(made - 1, options.backoff, random));
  }
};
