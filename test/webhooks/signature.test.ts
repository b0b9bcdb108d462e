import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from '../../shared/webhooks';

describe('callback signature (Elements-Webhook-Signature)', () => {
  const body = JSON.stringify({ message: { eventId: 'e-1', events: [] } });

  it('is sha256= plus the base64 HMAC-SHA256 of the body, as CE consumers recompute it', () => {
    const expected = `sha256=${createHmac('sha256', 'secret-key').update(body).digest('base64')}`;
    expect(signBody('secret-key', body)).toBe(expected);
    expect(signBody('secret-key', Buffer.from(body))).toBe(expected);
    expect(signBody('k', '')).toBe('sha256=i7mQxAp9YcuXWXqUISUCW+UKyL63RDbjc1uYiTp/ZiA=');
  });

  it('verifies the right signature and refuses a wrong key, a changed body, or a missing header', () => {
    const signature = signBody('secret-key', body);
    expect(verifySignature('secret-key', body, signature)).toBe(true);
    expect(verifySignature('secret-key', body, ` ${signature} `)).toBe(true);
    expect(verifySignature('other-key', body, signature)).toBe(false);
    expect(verifySignature('secret-key', `${body} `, signature)).toBe(false);
    expect(verifySignature('secret-key', body, undefined)).toBe(false);
    expect(verifySignature('secret-key', body, 'sha256=short')).toBe(false);
  });
});
