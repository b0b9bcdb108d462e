import type { Row } from '../store/sortedIndex';
import type { FieldDef } from '../store/types';
import type { Condition, Operator } from './ast';
import { resolveValue, type ScriptContext } from './javascript';
import { parseEncodedQuery } from './parser';

/** What the compiler needs to know about the tables (implemented by the database). */
export interface QuerySchema {
  /** Column position and definition of a field, own or inherited; undefined when unknown. */
  column(table: string, field: string): { index: number; def: FieldDef } | undefined;
  /** Row of a table (or its descendants) by sys_id, for dot-walking. */
  lookup(table: string, sysId: string): Row | undefined;
  /** Display value of the record a reference points to ('' when missing). */
  referenceDisplay(table: string, sysId: string): string;
  /** A table and every table extending it (for INSTANCEOF); undefined for an unknown table. */
  descendants(table: string): string[] | undefined;
}

/** How values of a field compare. */
export type ValueKind = 'number' | 'boolean' | 'datetime' | 'date' | 'reference' | 'choice' | 'string';

export function valueKind(def: FieldDef): ValueKind {
  switch (def.type) {
    case 'integer':
    case 'decimal':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'glide_date_time':
      return 'datetime';
    case 'glide_date':
      return 'date';
    case 'reference':
      return 'reference';
    case 'choice':
      return 'choice';
    default:
      return 'string';
  }
}

export type Getter = (row: Row) => string;

export interface CompiledCondition {
  field: string;
  operator: Operator;
  /** Column of a non-dot-walked field (the planner only uses these for index ranges). */
  column: number | undefined;
  kind: ValueKind;
  /** Resolved, normalised operand(s): one for comparisons, the list for IN, two for BETWEEN. */
  values: string[];
  test(row: Row): boolean;
}

export interface CompiledGroup {
  all: { any: CompiledCondition[] }[];
}

export interface CompiledOrder {
  field: string;
  column: number | undefined;
  descending: boolean;
  compare(a: Row, b: Row): number;
}

export interface CompiledQuery {
  /** Strict mode met an invalid condition: the query returns no rows. */
  none: boolean;
  /** OR-ed groups; empty means every row. */
  groups: CompiledGroup[];
  orderBy: CompiledOrder[];
  /** Conditions / order keys that were dropped (unknown field, operator or script). */
  ignored: string[];
  matches(row: Row): boolean;
}

export interface CompileOptions extends ScriptContext {
  strict?: boolean;
}

interface Resolved {
  getter: Getter;
  def: FieldDef;
  column: number | undefined;
}

function resolveField(schema: QuerySchema, table: string, field: string): Resolved | undefined {
  const parts = field.split('.');
  let currentTable = table;
  let getter: Getter | undefined;
  let def: FieldDef | undefined;
  let column: number | undefined;
  for (const [n, part] of parts.entries()) {
    const col = schema.column(currentTable, part);
    if (!col) return undefined;
    if (n === 0) {
      const index = col.index;
      getter = (row) => row[index] ?? '';
      column = index;
    } else {
      // Dot-walk: follow the reference of the previous step.
      const previous = getter!;
      const target = currentTable;
      const index = col.index;
      getter = (row) => {
        const id = previous(row);
        if (id === '') return '';
        return schema.lookup(target, id)?.[index] ?? '';
      };
      column = undefined;
    }
    def = col.def;
    if (n < parts.length - 1) {
      if (def.type !== 'reference' || !def.reference) return undefined;
      currentTable = def.reference;
    }
  }
  return getter && def ? { getter, def, column } : undefined;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Date-only literals against date-time fields widen to the start or end of that day. */
function normalize(kind: ValueKind, value: string, side: 'start' | 'end' | 'exact'): string {
  if (kind === 'boolean') {
    if (value === '1' || value.toLowerCase() === 'true') return 'true';
    if (value === '0' || value.toLowerCase() === 'false') return 'false';
    return value;
  }
  if (kind === 'datetime' && side !== 'exact' && DATE_ONLY.test(value)) {
    return `${value} ${side === 'start' ? '00:00:00' : '23:59:59'}`;
  }
  return value;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** Compares two non-empty stored/literal values by kind; undefined when not comparable. */
export function compareValues(kind: ValueKind, a: string, b: string): number | undefined {
  if (kind === 'number' || (kind === 'choice' && NUMERIC.test(a) && NUMERIC.test(b))) {
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return undefined;
    return x - y;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function equals(kind: ValueKind, raw: string, value: string): boolean {
  if (kind === 'number') return raw !== '' && Number(raw) === Number(value);
  if (kind === 'boolean') return normalize('boolean', raw, 'exact') === value;
  return raw === value;
}

const DAY = 86_400_000;

function namedRange(label: string, now: Date): [string, string] | undefined {
  const today = Math.floor(now.getTime() / DAY) * DAY;
  const day = (offset: number): [string, string] => {
    const date = new Date(today + offset * DAY).toISOString().slice(0, 10);
    return [`${date} 00:00:00`, `${date} 23:59:59`];
  };
  if (label === 'Today') return day(0);
  if (label === 'Yesterday') return day(-1);
  if (label === 'Tomorrow') return day(1);
  return undefined;
}

function compileCondition(
  schema: QuerySchema,
  table: string,
  condition: Condition,
  options: CompileOptions,
): CompiledCondition | undefined {
  const { operator } = condition;
  if (!operator) return undefined;
  const resolved = resolveField(schema, table, condition.field);
  if (!resolved) return undefined;
  const kind = valueKind(resolved.def);
  const raw = resolved.getter;
  const base = { field: condition.field, operator, column: resolved.column, kind };
  const one = (side: 'start' | 'end' | 'exact'): string | undefined => {
    const v = resolveValue(condition.value, options);
    return v === undefined ? undefined : normalize(kind, v, side);
  };
  // Reference fields match LIKE/STARTSWITH/ENDSWITH against the display value.
  const reference = resolved.def.reference;
  const text: Getter =
    kind === 'reference' && reference
      ? (row) => {
          const id = raw(row);
          return id === '' ? '' : schema.referenceDisplay(reference, id);
        }
      : raw;
  const make = (values: string[], test: (row: Row) => boolean): CompiledCondition => ({
    ...base,
    values,
    test,
  });
  const compare = (side: 'start' | 'end', ok: (c: number) => boolean): CompiledCondition | undefined => {
    const v = one(side);
    if (v === undefined) return undefined;
    return make([v], (row) => {
      const value = raw(row);
      if (value === '') return false;
      const c = compareValues(kind, value, v);
      return c !== undefined && ok(c);
    });
  };
  switch (operator) {
    case '=': {
      const v = one('exact');
      if (v === undefined) return undefined;
      return make([v], v === '' ? (row) => raw(row) === '' : (row) => equals(kind, raw(row), v));
    }
    case '!=': {
      // `!=` also matches empty values (documented for booleans; applied to every type).
      const v = one('exact');
      if (v === undefined) return undefined;
      return make([v], v === '' ? (row) => raw(row) !== '' : (row) => !equals(kind, raw(row), v));
    }
    case '>':
      return compare('end', (c) => c > 0);
    case '>=':
      return compare('start', (c) => c >= 0);
    case '<':
      return compare('start', (c) => c < 0);
    case '<=':
      return compare('end', (c) => c <= 0);
    case 'LIKE':
    case 'NOT LIKE':
    case 'NOTLIKE':
    case 'STARTSWITH':
    case 'ENDSWITH': {
      const v = one('exact');
      if (v === undefined) return undefined;
      // Text matching is case-insensitive (the database collation).
      const needle = v.toLowerCase();
      const has = (row: Row): boolean => {
        const hay = text(row).toLowerCase();
        if (operator === 'STARTSWITH') return hay.startsWith(needle);
        if (operator === 'ENDSWITH') return hay.endsWith(needle);
        return hay.includes(needle);
      };
      return make([v], operator === 'NOT LIKE' || operator === 'NOTLIKE' ? (row) => !has(row) : has);
    }
    case 'IN':
    case 'NOT IN': {
      const values: string[] = [];
      for (const part of condition.value.split(',')) {
        const v = resolveValue(part, options);
        if (v === undefined) return undefined;
        values.push(normalize(kind, v, 'exact'));
      }
      const numbers = kind === 'number' ? new Set(values.map(Number)) : undefined;
      const set = new Set(values);
      const inList = (row: Row): boolean => {
        const value = raw(row);
        if (numbers) return value !== '' && numbers.has(Number(value));
        return set.has(kind === 'boolean' ? normalize(kind, value, 'exact') : value);
      };
      return make(values, operator === 'IN' ? inList : (row) => !inList(row));
    }
    case 'ISEMPTY':
    case 'EMPTYSTRING':
      return make([], (row) => raw(row) === '');
    case 'ISNOTEMPTY':
      return make([], (row) => raw(row) !== '');
    case 'ANYTHING':
      return make([], () => true);
    case 'BETWEEN': {
      const at = condition.value.indexOf('@');
      if (at < 0) return undefined;
      const lo = resolveValue(condition.value.slice(0, at), options);
      const hi = resolveValue(condition.value.slice(at + 1), options);
      if (lo === undefined || hi === undefined) return undefined;
      const a = normalize(kind, lo, 'start');
      const b = normalize(kind, hi, 'end');
      return make([a, b], (row) => {
        const value = raw(row);
        if (value === '') return false;
        const x = compareValues(kind, value, a);
        const y = compareValues(kind, value, b);
        return x !== undefined && y !== undefined && x >= 0 && y <= 0;
      });
    }
    case 'SAMEAS':
    case 'NSAMEAS': {
      const [otherField, granularity] = condition.value.split('@');
      const other = otherField ? resolveField(schema, table, otherField) : undefined;
      if (!other) return undefined;
      const cut = granularity === 'day' ? (s: string) => s.slice(0, 10) : (s: string) => s;
      const same = (row: Row): boolean => cut(raw(row)) === cut(other.getter(row));
      return make([condition.value], operator === 'SAMEAS' ? same : (row) => !same(row));
    }
    case 'ON':
    case 'NOTON': {
      // `label@start@end`; a bare label is accepted for Today/Yesterday/Tomorrow.
      const parts = condition.value.split('@');
      let range: [string, string] | undefined;
      if (parts.length >= 3) {
        const lo = resolveValue(parts[1]!, options);
        const hi = resolveValue(parts.slice(2).join('@'), options);
        if (lo !== undefined && hi !== undefined)
          range = [normalize(kind, lo, 'start'), normalize(kind, hi, 'end')];
      } else {
        range = namedRange(parts[0] ?? '', options.now);
      }
      if (!range) return undefined;
      const [a, b] = kind === 'date' ? [range[0].slice(0, 10), range[1].slice(0, 10)] : range;
      const on = (value: string): boolean => value >= a && value <= b;
      return make([a, b], (row) => {
        const value = raw(row);
        if (value === '') return false;
        return operator === 'ON' ? on(value) : !on(value);
      });
    }
    case 'INSTANCEOF': {
      const classes = schema.descendants(condition.value);
      if (!classes) return undefined;
      const set = new Set(classes);
      return make(classes, (row) => set.has(raw(row)));
    }
  }
}

function compileOrder(
  schema: QuerySchema,
  table: string,
  field: string,
  descending: boolean,
): CompiledOrder | undefined {
  const resolved = resolveField(schema, table, field);
  if (!resolved) return undefined;
  const kind = valueKind(resolved.def);
  const reference = resolved.def.reference;
  // ORDER BY a reference sorts by the referenced display value, as the platform list does.
  const get: Getter =
    kind === 'reference' && reference
      ? (row) => {
          const id = resolved.getter(row);
          return id === '' ? '' : schema.referenceDisplay(reference, id);
        }
      : resolved.getter;
  const sortKind: ValueKind = kind === 'reference' ? 'string' : kind;
  const sign = descending ? -1 : 1;
  return {
    field,
    column: resolved.column,
    descending,
    compare(a, b) {
      const x = get(a);
      const y = get(b);
      if (x === y) return 0;
      // Empty values sort first ascending (NULLs first).
      if (x === '') return -sign;
      if (y === '') return sign;
      const c = compareValues(sortKind, x, y) ?? (x < y ? -1 : 1);
      return c === 0 ? 0 : c < 0 ? -sign : sign;
    },
  };
}

/** Parses and binds an encoded query to a table: resolves fields, operators and javascript values. */
export function compileQuery(
  schema: QuerySchema,
  table: string,
  query: string,
  options: CompileOptions,
): CompiledQuery {
  const parsed = parseEncodedQuery(query);
  const ignored: string[] = [];
  let invalidConditions = 0;
  const groups: CompiledGroup[] = [];
  for (const group of parsed.groups) {
    const all: { any: CompiledCondition[] }[] = [];
    for (const item of group.all) {
      const any: CompiledCondition[] = [];
      for (const condition of item.any) {
        const compiled = compileCondition(schema, table, condition, options);
        if (compiled) any.push(compiled);
        else {
          invalidConditions++;
          ignored.push(`${condition.field}${condition.operator ?? ''}${condition.value}`);
        }
      }
      // Invalid conditions are dropped, widening the result.
      if (any.length > 0) all.push({ any });
    }
    groups.push({ all });
  }
  const orderBy: CompiledOrder[] = [];
  for (const key of parsed.orderBy) {
    const compiled = compileOrder(schema, table, key.field, key.descending);
    if (compiled) orderBy.push(compiled);
    else ignored.push(`ORDERBY${key.descending ? 'DESC' : ''}${key.field}`);
  }
  // Strict mode concerns conditions only; an unknown ORDERBY field is always ignored.
  const none = options.strict === true && invalidConditions > 0;
  // A group whose every item was dropped matches everything; so does a query with no groups.
  const matches = (row: Row): boolean => {
    if (groups.length === 0) return true;
    for (const group of groups) {
      let ok = true;
      for (const item of group.all) {
        let any = false;
        for (const c of item.any) {
          if (c.test(row)) {
            any = true;
            break;
          }
        }
        if (!any) {
          ok = false;
          break;
        }
      }
      if (ok) return true;
    }
    return false;
  };
  return { none, groups, orderBy, ignored, matches };
}
