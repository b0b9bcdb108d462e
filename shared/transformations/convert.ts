import { InvalidInputError } from '../errors';
import type { CommonFieldType } from './schema';

/**
 * Type conversion between ServiceNow values (all strings, "" for empty)
 * and common values. Policy:
 * - Reading (vendor -> common) is lenient: `""`, null and unparseable values become `null`, so one bad
 *   row never fails a whole page.
 * - Writing (common -> vendor) is strict: a value that cannot be converted is a 400 naming the field.
 * - Dates: common values are ISO 8601 (UTC when no zone); vendor values use the field `mask`
 *   (default `yyyy-MM-dd HH:mm:ss`, UTC). Tokens: yyyy MM dd HH mm ss SSS.
 */
export const DEFAULT_DATE_MASK = 'yyyy-MM-dd HH:mm:ss';

const TOKENS: Record<string, { re: string; pad: number }> = {
  yyyy: { re: '(\\d{4})', pad: 4 },
  MM: { re: '(\\d{2})', pad: 2 },
  dd: { re: '(\\d{2})', pad: 2 },
  HH: { re: '(\\d{2})', pad: 2 },
  mm: { re: '(\\d{2})', pad: 2 },
  ss: { re: '(\\d{2})', pad: 2 },
  SSS: { re: '(\\d{3})', pad: 3 },
};
const TOKEN_RE = /yyyy|MM|dd|HH|mm|ss|SSS/g;

function maskRegex(mask: string): { re: RegExp; order: string[] } {
  const order: string[] = [];
  let source = '';
  let last = 0;
  for (const m of mask.matchAll(TOKEN_RE)) {
    source += mask.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    source += TOKENS[m[0]]!.re;
    order.push(m[0]);
    last = m.index + m[0].length;
  }
  source += mask.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return { re: new RegExp(`^${source}$`), order };
}

/** Masked UTC text -> Date, or undefined. */
export function parseMasked(text: string, mask = DEFAULT_DATE_MASK): Date | undefined {
  const { re, order } = maskRegex(mask);
  const m = re.exec(text.trim());
  if (!m) return undefined;
  const part = (token: string, fallback: number) => {
    const i = order.indexOf(token);
    return i < 0 ? fallback : Number(m[i + 1]);
  };
  const [y, mo, d, h, mi, s, ms] = [
    part('yyyy', 1970),
    part('MM', 1),
    part('dd', 1),
    part('HH', 0),
    part('mm', 0),
    part('ss', 0),
    part('SSS', 0),
  ];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  // Refuse rollovers such as 2024-02-30.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  return date;
}

export function formatMasked(date: Date, mask = DEFAULT_DATE_MASK): string {
  const values: Record<string, number> = {
    yyyy: date.getUTCFullYear(),
    MM: date.getUTCMonth() + 1,
    dd: date.getUTCDate(),
    HH: date.getUTCHours(),
    mm: date.getUTCMinutes(),
    ss: date.getUTCSeconds(),
    SSS: date.getUTCMilliseconds(),
  };
  return mask.replace(TOKEN_RE, (t) => String(values[t]).padStart(TOKENS[t]!.pad, '0'));
}

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

export function parseIso(text: string): Date | undefined {
  const trimmed = text.trim();
  if (!ISO.test(trimmed)) return undefined;
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/.test(trimmed) || trimmed.length === 10 ? trimmed : `${trimmed}Z`;
  const date = new Date(zoned.replace(' ', 'T'));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMBER.test(value.trim())) return Number(value.trim());
  return undefined;
}

function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}

const isEmpty = (value: unknown) => value === undefined || value === null || value === '';

/** Vendor value -> common value of `type`; lenient (null when it cannot be read). */
export function vendorToCommon(value: unknown, type: CommonFieldType, mask?: string): unknown {
  if (isEmpty(value)) return null;
  switch (type) {
    case 'string':
      return typeof value === 'object' ? value : String(value);
    case 'number':
      return toNumber(value) ?? null;
    case 'boolean':
      return toBoolean(value) ?? null;
    case 'date': {
      if (typeof value === 'number') return new Date(value).toISOString();
      if (typeof value !== 'string') return null;
      const date = parseMasked(value, mask) ?? parseIso(value);
      return date ? date.toISOString() : null;
    }
  }
}

/**
 * Common value -> vendor value; strict (400 naming `field`). `vendorType` string (the default, as
 * ServiceNow takes strings) yields strings; null/"" become "" so ServiceNow clears the field.
 */
export function commonToVendor(
  value: unknown,
  field: { path: string; type: CommonFieldType; vendorType?: CommonFieldType; mask?: string },
): unknown {
  const vendorType = field.vendorType ?? 'string';
  if (isEmpty(value)) return vendorType === 'string' || vendorType === 'date' ? '' : null;
  const fail = (): never => {
    throw new InvalidInputError(
      `Field '${field.path}' expects a ${field.type}, got ${JSON.stringify(value)?.slice(0, 100)}`,
    );
  };
  let typed: unknown;
  switch (field.type) {
    case 'number':
      typed = toNumber(value) ?? fail();
      break;
    case 'boolean':
      typed = toBoolean(value) ?? fail();
      break;
    case 'date': {
      const date =
        typeof value === 'string' ? parseIso(value) : typeof value === 'number' ? new Date(value) : undefined;
      if (!date || Number.isNaN(date.getTime())) fail();
      return vendorType === 'number' ? date!.getTime() : formatMasked(date!, field.mask);
    }
    default:
      typed = value;
  }
  switch (vendorType) {
    case 'string':
      return typeof typed === 'object' ? typed : String(typed);
    case 'number':
      return toNumber(typed) ?? fail();
    case 'boolean':
      return toBoolean(typed) ?? fail();
    default:
      return typed;
  }
}
