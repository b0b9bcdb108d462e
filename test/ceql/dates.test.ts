import { describe, expect, it } from 'vitest';
import { assertSafeValue } from '../../shared/ceql/values';
import { formatServiceNowDateTime, parseIsoInstant } from './helpers/ceql';

const utc = (text: string) => {
  const instant = parseIsoInstant(text);
  return instant && formatServiceNowDateTime(instant.seconds);
};

describe('ISO 8601 -> ServiceNow UTC', () => {
  it.each([
    ['2024-05-01', '2024-05-01 00:00:00'],
    ['2024-05-01T10:00', '2024-05-01 10:00:00'],
    ['2024-05-01T10:00:00Z', '2024-05-01 10:00:00'],
    ['2024-05-01T10:00:00.999Z', '2024-05-01 10:00:00'],
    ['2024-05-01T01:00:00+02:00', '2024-04-30 23:00:00'],
    ['2024-05-01T22:15:00-0745', '2024-05-02 06:00:00'],
    ['2024-05-01 10:00:00', '2024-05-01 10:00:00'],
    ['2024-02-29T00:00:00Z', '2024-02-29 00:00:00'],
    ['0999-01-01', undefined],
    ['0050-01-01T00:00:00Z', undefined],
    ['2023-02-29', undefined],
    ['2024-13-01', undefined],
    ['2024-05-01T24:00:00Z', undefined],
    ['2024-05-01T10:00:00+25:00', undefined],
    ['2024-05-01T10:00:00 Z', undefined],
    ['May 1 2024', undefined],
  ])('%s -> %s', (text, expected) => {
    expect(utc(text)).toBe(expected);
  });

  it('flags non-zero fractions only', () => {
    expect(parseIsoInstant('2024-05-01T10:00:00.000Z')?.fractional).toBe(false);
    expect(parseIsoInstant('2024-05-01T10:00:00.010Z')?.fractional).toBe(true);
  });
});

describe('value safety rules', () => {
  const site = { field: 'sla_due', position: 0 };
  it('refuses @ only where the operator splits on it', () => {
    expect(() => assertSafeValue('a@b', site, 7)).not.toThrow();
    expect(() => assertSafeValue('a@b', site, 7, { at: true })).toThrow(
      "Value for field 'sla_due' at position 7 contains '@'",
    );
  });
});
