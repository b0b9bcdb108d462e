import { SIGNATURE_HEADER, signBody, WEBHOOK_ID_HEADER } from './signature';

/**
 * The headers of every callback POST: JSON, the webhook id receivers de-duplicate on, and the
 * signature of the exact body bytes when the instance has a signature key.
 */
export const webhookHeaders = (
  webhookId: string,
  body: string,
  signatureKey: string | undefined,
): Record<string, string> => ({
  'content-type': 'application/json',
  [WEBHOOK_ID_HEADER]: webhookId,
  ...(signatureKey === undefined ? {} : { [SIGNATURE_HEADER]: signBody(signatureKey, body) }),
});
