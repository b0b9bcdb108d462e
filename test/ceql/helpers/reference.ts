import type { SimDatabaseStore, SimRecord } from '../../simulator/store/types';
import type { Expression, FieldCatalog, Literal } from './ceql';

/**
 * The meaning the hub promises for a CEQL `where`, written directly over records (a specification, not
 * a translation): empty means NULL; `=`/`IN` on numbers compare numerically, on dates as instants, on
 * booleans as true/false, else as exact text; `!=`, `NOT IN`, `NOT LIKE` are the complements (so they
 * match empty fields, as ServiceNow does); `<`.. never match empty fields; LIKE is
 * case-insensitive with `%` at the ends, and without `%` is `=`.
 */
export function evaluate(
  expression: Expression,
  record: SimRecord,
  db: SimDatabaseStore,
  table: string,
  fields: FieldCatalog,
): boolean {
  const recurse = (e: Expression) => evaluate(e, record, db, table, fields);
  switch (expression.kind) {
    case 'and':
      return expression.operands.every(recurse);
    case 'or':
      return expression.operands.some(recurse);
    case 'null': {
      const empty = db.valueAt(table, record, expression.field) === '';
      return expression.negated ? !empty : empty;
    }
    case 'compare': {
      const raw = db.valueAt(table, record, expression.field);
      const type = fields.type(expression.field) ?? 'string';
      const { operator } = expression;
      if (operator === '=') return equals(type, raw, expression.value);
      if (operator === '!=') return !equals(type, raw, expression.value);
      if (raw === '') return false;
      const c = compare(type, raw, expression.value);
      if (operator === '<') return c < 0;
      if (operator === '<=') return c <= 0;
      if (operator === '>') return c > 0;
      return c >= 0;
    }
    case 'in': {
      const raw = db.valueAt(table, record, expression.field);
      const type = fields.type(expression.field) ?? 'string';
      const found = expression.values.some((value) => equals(type, raw, value));
      return expression.negated ? !found : found;
    }
    case 'like': {
      const raw = db.valueAt(table, record, expression.field);
      const { pattern } = expression;
      const core = pattern.replace(/^%+/, '').replace(/%+$/, '');
      let match: boolean;
      if (!pattern.includes('%')) match = raw === pattern;
      else if (core === '') match = raw !== '';
      else {
        const hay = raw.toLowerCase();
        const needle = core.toLowerCase();
        if (pattern.startsWith('%') && pattern.endsWith('%')) match = hay.includes(needle);
        else if (pattern.startsWith('%')) match = hay.endsWith(needle);
        else match = hay.startsWith(needle);
      }
      return expression.negated ? !match : match;
    }
  }
}

const text = (literal: Literal): string =>
  literal.kind === 'boolean' ? String(literal.value) : literal.value;

/** ISO text (with zone, fraction, or ServiceNow's `yyyy-MM-dd HH:mm:ss`) as epoch milliseconds. */
function instant(value: string): number {
  const iso = value.includes(' ') ? `${value.replace(' ', 'T')}Z` : value;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(iso) || !iso.includes('T');
  const ms = Date.parse(hasZone ? iso.replace(/([+-]\d{2})(\d{2})$/, '$1:$2') : `${iso}Z`);
  if (Number.isNaN(ms)) throw new Error(`bad date ${value}`);
  return ms;
}

function equals(type: string, raw: string, literal: Literal): boolean {
  const value = text(literal);
  if (raw === '') return value === '';
  switch (type) {
    case 'integer':
    case 'decimal':
      return Number(raw) === Number(value);
    case 'boolean':
      return raw === (value.toLowerCase() === 'true' || value === '1' ? 'true' : 'false');
    case 'glide_date_time':
      return instant(raw) === instant(value);
    default:
      return raw === value;
  }
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

function compare(type: string, raw: string, literal: Literal): number {
  const value = text(literal);
  if (
    type === 'integer' ||
    type === 'decimal' ||
    (type === 'choice' && NUMERIC.test(raw) && NUMERIC.test(value))
  ) {
    return Number(raw) - Number(value);
  }
  if (type === 'glide_date_time') return instant(raw) - instant(value);
  return raw < value ? -1 : raw > value ? 1 : 0;
}
