/**
 * Outgoing webhooks, shared by event callbacks and bulk job callbacks: the signature header, the
 * SSRF-guarded POST that never follows redirects, and in-invocation retries.
 */
export { webhookHeaders } from './headers';
export { findRefusal, postWebhook, type WebhookAttempt } from './post';
export { postWebhookWithRetry, type WebhookRetryOptions } from './retry';
export { SIGNATURE_HEADER, signBody, verifySignature, WEBHOOK_ID_HEADER } from './signature';
