import type { Literal } from './ast';
import { formatServiceNowDate, formatServiceNowDateTime, parseIsoInstant } from './dates';
import { CeqlTranslationError } from './errors';
import type { FieldType } from './field-catalog';

const NUMERIC = /^-?\d+(?:\.\d+)?$/;

/**
 * How a fractional-second literal is cut to ServiceNow's whole seconds without changing the result:
 * `x > 10:00:00.5` is `x > 10:00:00` (floor) but `x >= 10:00:00.5` is `x >= 10:00:01` (ceil); for
 * equality (`exact`) a fraction is refused, since no stored value could match it.
 */
export type Rounding = 'floor' | 'ceil' | 'exact';

/** Where a value sits, for error messages. */
export interface ValueSite {
  field: string;
  position: number;
}

/**
 * A CEQL literal as the text ServiceNow compares for a field of `type` (every value is a
 * string on the wire). Numbers stay as written, booleans become `true`/`false`, dates become UTC
 * `yyyy-MM-dd HH:mm:ss` / `yyyy-MM-dd` (A.7); other types take the literal's text.
 */
export function encodeLiteral(
  literal: Literal,
  type: FieldType,
  site: ValueSite,
  rounding: Rounding,
): string {
  switch (type) {
    case 'integer':
    case 'decimal':
    case 'float': {
      const text = literal.kind === 'boolean' ? undefined : literal.value;
      if (text === undefined || !NUMERIC.test(text)) throw expected(site, literal, 'a number');
      return text;
    }
    case 'boolean': {
      if (literal.kind === 'boolean') return String(literal.value);
      const text = literal.value.toLowerCase();
      if (text === 'true' || text === '1') return 'true';
      if (text === 'false' || text === '0') return 'false';
      throw expected(site, literal, 'true or false');
    }
    case 'glide_date_time':
    case 'glide_date': {
      const instant =
        literal.kind === 'string' || literal.kind === 'date' ? parseIsoInstant(literal.value) : undefined;
      if (!instant) throw expected(site, literal, 'an ISO 8601 date such as 2024-05-01T10:00:00Z');
      // A date field compares the literal's UTC calendar date.
      if (type === 'glide_date') return formatServiceNowDate(instant.seconds);
      if (instant.fractional && rounding === 'exact') {
        throw new CeqlTranslationError(
          `Field '${site.field}' holds whole seconds; a value with a fraction of a second can never equal it (position ${literal.position})`,
          literal.position,
        );
      }
      return formatServiceNowDateTime(
        instant.fractional && rounding === 'ceil' ? instant.seconds + 1000 : instant.seconds,
      );
    }
    default:
      return literal.kind === 'boolean' ? String(literal.value) : literal.value;
  }
}

function expected(site: ValueSite, literal: Literal, what: string): CeqlTranslationError {
  return new CeqlTranslationError(
    `Field '${site.field}' expects ${what} (value at position ${literal.position})`,
    literal.position,
  );
}

export interface SafetyRules {
  /** The operator separates list items with `,` (IN, NOT IN). */
  list?: boolean;
  /** The operator separates operands with `@` (BETWEEN, ON, SAMEAS...; none emitted today). */
  at?: boolean;
  /** The text follows `<` or `>`, where a leading `=` would turn the operator into `<=` / `>=`. */
  afterAngle?: boolean;
}

/**
 * Refuses values an encoded query cannot carry verbatim (there is no escape character).
 * Everything from the operator to the next `^` is the value, so a value holding `^` would add conditions,
 * `^NQ` groups or ORDERBY terms; `javascript:` values run as server-side script (B.3).
 */
export function assertSafeValue(
  value: string,
  site: ValueSite,
  position: number,
  rules: SafetyRules = {},
): void {
  const refuse = (why: string) =>
    new CeqlTranslationError(`Value for field '${site.field}' at position ${position} ${why}`, position);
  if (value.includes('^')) {
    throw refuse("contains '^', which a ServiceNow encoded query cannot escape");
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
  if (/[\u0000-\u001f\u007f]/.test(value)) throw refuse('contains a line break or control character');
  if (/^\s*javascript:/i.test(value)) {
    throw refuse("starts with 'javascript:', which ServiceNow would run as a server-side script");
  }
  if (rules.list && value.includes(',')) {
    throw refuse("contains ',', which would split the IN list (no escape exists)");
  }
  if (rules.at && value.includes('@')) throw refuse("contains '@', which would split the operands");
  if (rules.afterAngle && value.startsWith('=')) {
    throw refuse("starts with '=', which would change the comparison operator");
  }
}
