import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, fullJitterDelay, parseRetryAfter } from '../../shared/servicenow';

describe('retry timing', () => {
  it('reads Retry-After as delta-seconds or an HTTP date, exactly', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', now)).toBe(0); // in the past: retry now
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('full jitter stays within [0, min(cap, base * 2^n))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, r) => {
          const delay = fullJitterDelay(n, DEFAULT_RETRY, () => r);
          const ceiling = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** n);
          return delay >= 0 && delay < ceiling && Number.isInteger(delay);
        },
      ),
    );
  });
});
