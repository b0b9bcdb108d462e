/**
 * ISO 8601 literals -> ServiceNow's `yyyy-MM-dd HH:mm:ss` UTC.
 * Literal dates inside an encoded query are compared with stored UTC values; ServiceNow requires the
 * integration user's time zone to be UTC, so we always send UTC.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export interface ParsedInstant {
  /** Milliseconds since the epoch, whole seconds only. */
  seconds: number;
  /** The literal had a fraction of a second (dropped from `seconds`). */
  fractional: boolean;
  /** Only a date was given (`2024-05-01`). */
  dateOnly: boolean;
}

/**
 * Parses `2024-05-01`, `2024-05-01T10:00`, `2024-05-01T10:00:00.250+02:00`, and ServiceNow's own
 * `2024-05-01 10:00:00`. A time without a zone is UTC. undefined when malformed or not a real date.
 */
export function parseIsoInstant(text: string): ParsedInstant | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 19xx.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // 2024-02-30 would roll over to March: refuse instead.
  if (date.getUTCDate() !== day) return undefined;
  let ms = date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMinutes = Number(digits.slice(2));
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    ms -= sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  }
  const resultYear = new Date(ms).getUTCFullYear();
  if (resultYear < 1000 || resultYear > 9999) return undefined;
  return {
    seconds: ms,
    fractional: fraction !== undefined && /[1-9]/.test(fraction),
    dateOnly: m[4] === undefined,
  };
}

/** `yyyy-MM-dd HH:mm:ss` in UTC. */
export function formatServiceNowDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `yyyy-MM-dd` in UTC. */
export function formatServiceNowDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
