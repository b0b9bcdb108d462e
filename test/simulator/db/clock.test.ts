import { describe, expect, it } from 'vitest';
import { createClock, formatDate, formatDateTime, parseDateTime } from '../store/clock';

describe('simulator clock', () => {
  it('stays put while frozen and moves only when advanced or set', () => {
    const clock = createClock(new Date('2024-01-01T00:00:00Z'));
    clock.freeze();
    expect(formatDateTime(clock.now())).toBe('2024-01-01 00:00:00');
    clock.advance(61_000);
    expect(formatDateTime(clock.now())).toBe('2024-01-01 00:01:01');
    clock.set(new Date('2025-02-03T04:05:06Z'));
    expect(formatDateTime(clock.now())).toBe('2025-02-03 04:05:06');
  });

  it('follows wall time from the simulated instant once unfrozen', () => {
    const clock = createClock(new Date('2030-01-01T00:00:00Z'));
    const before = clock.now().getTime();
    clock.unfreeze();
    const after = clock.now().getTime();
    expect(after).toBeGreaterThanOrEqual(before);
    expect(after - before).toBeLessThan(60_000);
  });

  it('formats and parses the ServiceNow UTC formats', () => {
    expect(formatDate(new Date('2024-05-01T23:59:59Z'))).toBe('2024-05-01');
    expect(parseDateTime('2024-05-01 10:00:00')?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(parseDateTime('2024-05-01')?.toISOString()).toBe('2024-05-01T00:00:00.000Z');
    expect(parseDateTime('05/01/2024')).toBeUndefined();
  });
});
