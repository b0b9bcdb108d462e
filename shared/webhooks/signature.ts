import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `Elements-Webhook-Signature`: `sha256=` + base64 HMAC-SHA256 of the exact body
 * bytes with `event.notification.signature.key`, as CE's own test recomputes it.
 */
export const SIGNATURE_HEADER = 'Elements-Webhook-Signature';
export const WEBHOOK_ID_HEADER = 'Elements-Webhook-Id';

export const signBody = (key: string, body: string | Uint8Array): string =>
  `sha256=${createHmac('sha256', key).update(body).digest('base64')}`;

/** Constant-time check of a received signature header against the body. */
export const verifySignature = (
  key: string,
  body: string | Uint8Array,
  signature: string | undefined,
): boolean => {
  if (signature === undefined) return false;
  const expected = Buffer.from(signBody(key, body));
  const given = Buffer.from(signature.trim());
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time independent of the input.
  if (given.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(given, expected);
};
